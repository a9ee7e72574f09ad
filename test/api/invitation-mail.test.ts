// Invitation mail through the `deliverInvitation` plugin hook: a mail plugin gets each invitation (the external one
// with its one-time link, which then is not shown to the inviter); when delivery fails, the inviter gets the link.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import type { InvitationMessage, McpoPlugin } from '../../plugins/contract.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type ApiHarness, startApi, type Who } from './tenancy-harness.ts'

const outbox: InvitationMessage[] = []
let mailUp = true
const mailer: McpoPlugin = {
  name: 'test:outbox-mailer',
  deliverInvitation(message) {
    if (!mailUp) throw new Error('SMTP connection refused')
    outbox.push(message)
    return true
  },
}

let api: ApiHarness
let owner: Who

before(async () => {
  api = await startApi({ plugins: [sessions(), apiKeys(), mailer] })
  owner = await api.user('owner')
  await api.user('known')
  const p = await api.call(owner, 'POST', '/api/projects', { id: 'mailed', name: 'Mailed' })
  assert.equal(p.status, 201)
})
after(() => api?.close())

it('hands invitations to the mail plugin; an external link goes only into the mail', async () => {
  const ext = await api.call(owner, 'POST', '/api/projects/mailed/invitations', {
    kind: 'external',
    email: 'new@example.org',
    role: 'developer',
  })
  assert.equal(ext.status, 201)
  assert.equal(ext.body.delivered, true)
  assert.equal(ext.body.link, null)
  const mail = outbox.find((m) => m.email === 'new@example.org')
  if (!mail?.link) throw new Error(`no mail with a link for new@example.org: ${JSON.stringify(outbox)}`)
  const link = mail.link
  assert.ok(link.includes('#token='))
  assert.deepEqual(
    [mail.kind, mail.role, mail.projectId, mail.invitedBy],
    ['external', 'developer', 'mailed', owner.id],
  )
  const token = link.slice(link.indexOf('#token=') + 7)
  const info = await api.call(null, 'POST', '/api/invitations/link-info', { token })
  assert.equal(info.body.email, 'new@example.org')

  const individual = await api.call(owner, 'POST', '/api/projects/mailed/invitations', {
    kind: 'individual',
    email: 'known@example.com',
    role: 'reporter',
  })
  assert.equal(individual.body.delivered, true)
  assert.equal(outbox.find((m) => m.email === 'known@example.com')?.link, null)
})

it('falls back to showing the link when delivery fails', async () => {
  mailUp = false
  const res = await api.call(owner, 'POST', '/api/projects/mailed/invitations', {
    kind: 'external',
    email: 'other@example.org',
    role: 'reporter',
  })
  assert.equal(res.status, 201)
  assert.equal(res.body.delivered, false)
  assert.match(res.body.link, /^\/admin\/invite#token=/)
  const resent = await api.call(owner, 'POST', `/api/invitations/${res.body.invitations[0].id}/resend`)
  assert.equal(resent.body.delivered, false)
  assert.match(resent.body.link, /#token=/)
  mailUp = true
})
