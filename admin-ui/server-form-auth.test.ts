// The server form's Authorization part (issue 22): OAuth settings the API schema accepts, the client secret as
// write-only as a header value (the mask keeps it, null drops it), and the checks the API would make.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serverAuthSchema, serverSchema } from '../config/schema.ts'
import type { Server } from './api-types.ts'
import {
  authBody,
  emptyServerForm,
  formField,
  MASK,
  serverBody,
  serverFormFrom,
  testsOnSave,
  validateServerForm,
} from './server-form.ts'

const saved: Server = {
  id: '1',
  name: 'github',
  description: '',
  transport: 'streamable-http',
  command: null,
  args: [],
  env: {},
  cwd: null,
  url: 'https://mcp.example.com/mcp',
  headers: {},
  timeoutMs: 60_000,
  isolation: null,
  enabled: true,
  autoStart: false,
  toolToggles: {},
  source: 'ui',
  healthCheckIntervalMs: null,
  protocol: null,
  auth: { type: 'oauth', credentials: 'user', clientId: 'mcpo-app', clientSecret: MASK, scopes: ['repo', 'read:user'] },
  status: {
    state: 'stopped',
    health: 'unknown',
    pid: null,
    restarts: 0,
    lastError: null,
    lastErrorAt: null,
    lastOkAt: null,
    era: null,
  },
  createdAt: '',
  updatedAt: '',
}
const opts = { canStdio: false, editing: false }

describe('server form: authorization', () => {
  it('a new OAuth server: a body the API schema accepts, without the optional parts left empty', () => {
    const s = { ...emptyServerForm(), name: 'gh', url: 'https://mcp.example.com/mcp' }
    s.auth = { ...s.auth, type: 'oauth', scopes: '  repo   read:user ' }
    assert.deepEqual(validateServerForm(s, opts), {})
    const body = serverBody(s, false)
    assert.deepEqual(body.auth, { type: 'oauth', credentials: 'project', scopes: ['repo', 'read:user'] })
    const parsed = serverSchema.parse(body)
    assert.deepEqual(parsed.auth, { type: 'oauth', credentials: 'project', scopes: ['repo', 'read:user'] })
  })

  it('none: left out of a new server, null on an edit (which removes OAuth); never sent for stdio', () => {
    assert.equal('auth' in serverBody({ ...emptyServerForm(), name: 'gh', url: 'https://x.example/mcp' }, false), false)
    const edit = serverFormFrom(saved)
    edit.auth = { ...edit.auth, type: 'none' }
    assert.equal(serverBody(edit, true).auth, null)
    assert.equal('auth' in serverBody({ ...serverFormFrom(saved), transport: 'stdio', command: 'x' }, true), false)
  })

  it('an edit keeps the stored client secret with the mask, replaces it when typed, drops it when removed', () => {
    const s = serverFormFrom(saved)
    assert.deepEqual(s.auth, {
      type: 'oauth',
      credentials: 'user',
      clientId: 'mcpo-app',
      clientSecret: '',
      secretStored: true,
      scopes: 'repo read:user',
    })
    assert.equal(authBody(s.auth, true)?.clientSecret, MASK)
    assert.equal(authBody({ ...s.auth, clientSecret: 'new' }, true)?.clientSecret, 'new')
    assert.equal(authBody({ ...s.auth, secretStored: false }, true)?.clientSecret, null)
    const dropped = authBody({ ...s.auth, secretStored: false }, true)
    assert.deepEqual(serverAuthSchema.parse(dropped), { ...dropped, clientSecret: null })
  })

  it('reports what the API would refuse, next to the field', () => {
    const s = { ...emptyServerForm(), name: 'gh', url: 'https://x.example/mcp' }
    s.auth = { ...s.auth, type: 'oauth', clientSecret: 's3cret', scopes: 'ok "bad"' }
    s.headers = [{ key: 'Authorization', value: 'Bearer x', stored: false }]
    const errors = validateServerForm(s, opts)
    assert.equal(errors['auth.clientSecret'], 'needs a client ID')
    assert.match(errors['auth.scopes'], /"bad"/)
    assert.match(errors['headers.0'], /set from the OAuth tokens/)
    // The API agrees on each.
    const refused = serverSchema.safeParse(serverBody(s, false))
    assert.equal(refused.success, false)
    const paths = refused.error?.issues.map((i) => i.path.join('.')).sort()
    assert.deepEqual(paths, ['auth.clientSecret', 'auth.scopes.1', 'headers.Authorization'])
    assert.equal(formField('auth.scopes.1', s), 'auth.scopes')
    assert.equal(formField('headers.Authorization', s), 'headers.0')
  })

  it('saving an OAuth server runs no connection test: it connects only after someone signs in at the provider', () => {
    const fresh = { ...emptyServerForm(), name: 'gh', url: 'https://x.example/mcp' }
    assert.equal(testsOnSave(fresh, null), true)
    assert.equal(testsOnSave({ ...fresh, auth: { ...fresh.auth, type: 'oauth' } }, null), false)
    const open = { ...saved, auth: null }
    const s = serverFormFrom(open)
    assert.equal(testsOnSave(s, open), false, 'nothing changed')
    assert.equal(testsOnSave({ ...s, url: 'https://y.example/mcp' }, open), true)
  })
})
