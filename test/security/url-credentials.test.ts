// Credentials inside a remote server's URL (userinfo, `?api_key=`, `?token=`…). A reporter, who may read the
// project's servers and activity but never its secrets, looks for them in every answer about the servers, in the
// audit trail and its export; the gateway's own log (trace level, captured) of a server whose URL cannot be reached
// must not hold them either. The URL stays usable: the upstream still receives its key, and a PUT that sends back the
// masked URL as shown keeps the stored one.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, it } from 'node:test'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { setUpAdmin } from '../kit/first-admin.ts'
import { bearer, StreamableClient } from '../kit/mcp-wire.ts'
import { freePort } from '../kit/ports.ts'
import { rest } from '../kit/rest.ts'

const PASSWORD = 'url credentials test password'
const USER = 'svcuser-7d1e'
const PASS = 'urlPass-4c9e2a7b1f03'
const API_KEY = 'urlApiKey-8b3f6d0e2a91'
const TOKEN = 'urlToken-1a2b3c4d5e6f'
const DEAD_PASS = 'deadPass-6e5d4c3b2a10'
const DEAD_TOKEN = 'deadToken-0f9e8d7c6b5a'
const SECRETS = [PASS, API_KEY, TOKEN, DEAD_PASS, DEAD_TOKEN]
const S = '/api/projects/demo/servers'

const logLines: string[] = []
const seen: { where: string; text: string }[] = []
let fixture: HttpFixture
let gw: TestGateway
let admin = ''
let reporter = ''
let liveUrl = ''

async function call(as: string, method: string, path: string, body?: unknown) {
  const r = await rest(gw.url, method, path, { token: as, body })
  seen.push({ where: `${method} ${path}`, text: `${r.status} ${r.text}` })
  return r
}

before(async () => {
  fixture = await startHttpFixture({ transport: 'streamable-http' })
  const fixtureUrl = new URL(fixture.url)
  liveUrl = `http://${USER}:${PASS}@${fixtureUrl.host}${fixtureUrl.pathname}?api_key=${API_KEY}&tenant=t1`
  const deadUrl = `http://${USER}:${DEAD_PASS}@127.0.0.1:${await freePort()}/mcp?token=${DEAD_TOKEN}`
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  gw = await startTestGateway(
    {
      plugins: [sessions(), apiKeys(), audit({ batchMs: 50 })],
      projects: [{ id: 'demo', name: 'Demo', apiKeys: [{ name: 'k', key: TEST_KEY }] }],
    },
    { logger: createLogger('trace', sink) },
  )
  admin = (await setUpAdmin(gw, PASSWORD)).token
  const store = gw.gateway.store
  const u = await store.users.create({
    email: 'rep@example.com',
    name: 'rep',
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  await store.projectMembers.add({ projectId: 'demo', userId: u.id, role: 'reporter' })
  const login = await rest(gw.url, 'POST', '/api/auth/login', {
    body: { email: 'rep@example.com', password: PASSWORD },
  })
  assert.equal(login.status, 200, login.text)
  reporter = login.body.token

  const live = await call(admin, 'POST', S, { name: 'live', transport: 'streamable-http', url: liveUrl })
  assert.equal(live.status, 201, live.text)
  const dead = await call(admin, 'POST', S, {
    name: 'dead',
    transport: 'streamable-http',
    url: deadUrl,
    autoStart: true,
  })
  assert.equal(dead.status, 201, dead.text)
})
after(async () => {
  try {
    await gw?.close()
    await fixture?.close()
  } finally {
    await assertNoLeftovers()
  }
})

it('URL credentials reach the upstream, and a reporter finds them in no answer, audit row, export or log line', async () => {
  // The server works through its stored URL, key included.
  const c = new StreamableClient(`${gw.url}/projects/demo/servers/live/mcp`, bearer(TEST_KEY))
  await c.initialize()
  assert.ok(c.sessionId, 'the live server answered')
  await c.call(1, 'echo', { message: 'hi' })
  await c.close()
  assert.ok(
    fixture.requests.some((q) => q.url.includes(`api_key=${API_KEY}`)),
    'the upstream received the key in its URL',
  )
  // The dead one fails to connect, which writes its failure to the log and to its status.
  const d = new StreamableClient(`${gw.url}/projects/demo/servers/dead/mcp`, bearer(TEST_KEY))
  seen.push({ where: 'initialize dead', text: (await d.initialize()).text })
  await d.close()

  const list = await call(reporter, 'GET', S)
  assert.equal(list.status, 200, list.text)
  const shown = Object.fromEntries(list.body.map((s: { name: string; url: string }) => [s.name, s.url]))
  assert.equal(shown.live, `http://***:***@${new URL(fixture.url).host}/mcp?api_key=***&tenant=t1`)
  assert.match(shown.dead, /^http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/mcp\?token=\*\*\*$/)
  for (const name of ['live', 'dead']) {
    for (const suffix of ['', '/status', '/tools']) await call(reporter, 'GET', `${S}/${name}${suffix}`)
  }
  for (const path of [
    '/api/projects/demo',
    '/api/projects/demo/tools',
    '/api/projects/demo/activity',
    '/api/projects/demo/activity?kind=tools',
    '/api/projects/demo/activity/export?kind=audit',
    '/api/projects/demo/activity/export?kind=audit&format=csv',
    '/api/projects/demo/client-config?client=cline',
    '/projects/demo/cline-config',
    '/projects/demo/.well-known/mcp-servers',
  ]) {
    await call(reporter, 'GET', path)
  }
  // Edits by the admin put the URL into more audit rows (before and after).
  const put = await call(admin, 'PUT', `${S}/live`, { description: 'touched', url: shown.live })
  assert.equal(put.status, 200, put.text)
  await new Promise((r) => setTimeout(r, 300)) // the audit batch (50 ms) reaches the database
  const rows = await gw.gateway.store.audit.list({ projectId: 'demo', limit: 1000 })
  assert.ok(
    rows.some((r) => r.action === 'server.update'),
    'audit rows were written',
  )
  seen.push({ where: 'audit rows', text: JSON.stringify(rows) })
  const exported = await call(reporter, 'GET', '/api/projects/demo/activity/export?kind=audit')
  assert.equal(exported.status, 200, exported.text)
  assert.match(exported.text, /server\.update/, 'the export holds the server rows')

  assert.ok(
    logLines.some((l) => l.includes('"server":"dead"') && /fail|refused|ECONNREFUSED/i.test(l)),
    'the failing connection was logged',
  )
  for (const secret of SECRETS) {
    for (const s of seen) assert.ok(!s.text.includes(secret), `${secret} leaked in ${s.where}: ${s.text.slice(0, 300)}`)
    assert.deepEqual(
      logLines.filter((l) => l.includes(secret)),
      [],
      `${secret} leaked in log lines`,
    )
  }
})

it('a PUT or a connection test that sends back the masked URL uses the stored one; another host or path is taken as typed', async () => {
  const shown = (await call(admin, 'GET', `${S}/live`)).body.url as string
  const kept = await call(admin, 'PUT', `${S}/live`, { url: shown, description: 'again' })
  assert.equal(kept.status, 200, kept.text)
  assert.equal((await gw.gateway.store.servers.get('demo', 'live'))?.url, liveUrl, 'the stored URL is intact')
  const before = fixture.requests.length
  const c = new StreamableClient(`${gw.url}/projects/demo/servers/live/mcp`, bearer(TEST_KEY))
  await c.initialize()
  await c.close()
  assert.ok(
    fixture.requests.slice(before).some((q) => q.url.includes(`api_key=${API_KEY}`)),
    'still connects with it',
  )

  // "Test connection" of the saved server with the URL as shown uses the stored one too.
  const sent = fixture.requests.length
  const tested = await call(admin, 'POST', `${S}/test`, { name: 'live', transport: 'streamable-http', url: shown })
  assert.equal(tested.status, 200, tested.text)
  assert.equal(tested.body.ok, true, tested.text)
  assert.ok(
    fixture.requests.slice(sent).some((q) => q.url.includes(`api_key=${API_KEY}`)),
    'the test used the key',
  )

  const moved = shown.replace('/mcp?', '/other?')
  const put = await call(admin, 'PUT', `${S}/live`, { url: moved })
  assert.equal(put.status, 200, put.text)
  const stored = (await gw.gateway.store.servers.get('demo', 'live'))?.url ?? ''
  assert.equal(stored, moved, 'a changed path is stored as typed')
  for (const secret of SECRETS) assert.ok(!stored.includes(secret), 'no credential followed the edit')
})

it('a template URL with credentials is masked in the catalog, an edit that sends it back keeps it, and a server made from it connects with it', async () => {
  const created = await call(admin, 'POST', '/api/templates', {
    name: 'with-key',
    transport: 'streamable-http',
    url: liveUrl,
    approved: true,
  })
  assert.equal(created.status, 201, created.text)
  const developer = await gw.gateway.store.users.create({
    email: 'dev@example.com',
    name: 'dev',
    passwordHash: await hashPassword(PASSWORD),
    emailVerifiedAt: new Date(),
  })
  await gw.gateway.store.projectMembers.add({ projectId: 'demo', userId: developer.id, role: 'developer' })
  const login = await rest(gw.url, 'POST', '/api/auth/login', {
    body: { email: 'dev@example.com', password: PASSWORD },
  })
  const dev = login.body.token as string
  const catalog = await call(dev, 'GET', '/api/templates')
  const shown = catalog.body.find((t: { name: string }) => t.name === 'with-key').url as string
  assert.equal(shown, `http://***:***@${new URL(fixture.url).host}/mcp?api_key=***&tenant=t1`)
  await call(dev, 'GET', `/api/templates/${created.body.id}`)

  const put = await call(admin, 'PUT', `/api/templates/${created.body.id}`, { url: shown, description: 'edited' })
  assert.equal(put.status, 200, put.text)
  assert.equal((await gw.gateway.store.templates.get(created.body.id))?.url, liveUrl, 'the stored URL is intact')

  const made = await call(dev, 'POST', `${S}/from-template`, { name: 'from-template', templateId: created.body.id })
  assert.equal(made.status, 201, made.text)
  const before = fixture.requests.length
  const c = new StreamableClient(`${gw.url}/projects/demo/servers/from-template/mcp`, bearer(TEST_KEY))
  await c.initialize()
  await c.close()
  assert.ok(
    fixture.requests.slice(before).some((q) => q.url.includes(`api_key=${API_KEY}`)),
    'connects with the key',
  )
  for (const secret of SECRETS)
    for (const s of seen) assert.ok(!s.text.includes(secret), `${secret} leaked in ${s.where}: ${s.text.slice(0, 300)}`)
})
