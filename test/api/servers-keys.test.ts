// Servers and API keys through real HTTP: CRUD with field errors, the stdio rule, masked secrets (never in an answer,
// never in clear in storage), config-file servers read-only, enable/disable/restart/status, import, test connection,
// the catalog; keys shown once, working at once on MCP, revoked at once, own versus anyone's.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isEncrypted, MASK } from '../../plugins/secrets/cipher.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { everythingServer, OTHER_PROJECT_KEY, TEST_KEY } from '../harness.ts'
import { bearer, initializeRequest, postMcp } from '../kit/mcp-wire.ts'
import { fieldsOf, type ProjectApi, type Reply, startProjectApi } from './project-harness.ts'

const ENV_SECRET = 'env-secret-VALUE-4f9c2d'
const HEADER_SECRET = 'header-secret-VALUE-8a1b7e'
const CLIENT_SECRET = 'client-secret-VALUE-3e7d91'
const S = '/api/projects/demo/servers'

let api: ProjectApi
let remote: HttpFixture
/** Every answer the tests got, to prove no secret ever left the gateway. */
const seen: Reply[] = []

async function call(...args: Parameters<ProjectApi['call']>): Promise<Reply> {
  const r = await api.call(...args)
  seen.push(r)
  return r
}

before(async () => {
  remote = await startHttpFixture({ transport: 'streamable-http' })
  api = await startProjectApi()
})
after(async () => {
  await api?.close()
  await remote?.close()
})

describe('servers API', () => {
  it('needs a signed-in member: 401 without a token, 404 for outsiders and other projects', async () => {
    assert.equal((await call(null, 'GET', S)).status, 401)
    assert.equal((await call(api.outsider, 'GET', S)).status, 404)
    assert.equal((await call(api.dev, 'GET', '/api/projects/other/servers')).status, 404)
    assert.equal((await call(api.dev, 'GET', '/api/projects/nope/servers')).status, 404)
    assert.equal((await call(OTHER_PROJECT_KEY, 'GET', S)).status, 401, 'keys are for MCP endpoints only')
    const list = await call(api.rep, 'GET', S)
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.body.map((s: { name: string }) => s.name),
      ['everything'],
    )
    assert.equal(list.body[0].source, 'config')
    assert.equal(typeof list.body[0].status.state, 'string')
  })

  it('answers a field error per field', async () => {
    const r = await call(api.dev, 'POST', S, { name: 'Bad Name', transport: 'sse', timeoutMs: 5 })
    assert.equal(r.status, 400)
    assert.equal(r.body.error.code, 'MCPO_ERR_VALIDATION')
    assert.deepEqual(fieldsOf(r).sort(), ['name', 'timeoutMs', 'url'])
    const stdio = await call(api.admin, 'POST', S, { name: 'x', transport: 'stdio' })
    assert.deepEqual(fieldsOf(stdio), ['command'])
    assert.equal(
      (await call(api.dev, 'POST', S, { name: 'x', transport: 'carrier-pigeon', url: remote.url })).status,
      400,
    )
  })

  it('stores the protocol era: null by default, set on create and update, cleared with null; never auto or modern over SSE', async () => {
    assert.equal((await call(api.rep, 'GET', `${S}/everything`)).body.protocol, null, 'config file, none set')
    const plain = await call(api.dev, 'POST', S, { name: 'era', transport: 'streamable-http', url: remote.url })
    assert.equal(plain.status, 201, plain.text)
    assert.equal(plain.body.protocol, null, "null: the gateway's default")
    const modern = await call(api.dev, 'PUT', `${S}/era`, { protocol: 'modern' })
    assert.equal(modern.status, 200, modern.text)
    assert.equal(modern.body.protocol, 'modern')
    assert.equal((await call(api.rep, 'GET', `${S}/era`)).body.protocol, 'modern')
    assert.equal((await call(api.dev, 'PUT', `${S}/era`, { description: 'kept' })).body.protocol, 'modern')
    const unknown = await call(api.dev, 'PUT', `${S}/era`, { protocol: 'newest' })
    assert.equal(unknown.status, 400)
    assert.deepEqual(fieldsOf(unknown), ['protocol'])

    // Legacy SSE has no 2026-07-28 form: a server cannot become SSE while it asks for one.
    const toSse = await call(api.dev, 'PUT', `${S}/era`, { transport: 'sse' })
    assert.equal(toSse.status, 400)
    assert.deepEqual(fieldsOf(toSse), ['protocol'])
    assert.match(toSse.body.error.message, /legacy SSE/)
    const sse = await call(api.dev, 'PUT', `${S}/era`, { transport: 'sse', protocol: null })
    assert.equal(sse.status, 200, sse.text)
    assert.equal(sse.body.protocol, null)
    assert.equal((await call(api.dev, 'PUT', `${S}/era`, { protocol: 'auto' })).status, 400)
    assert.equal((await call(api.dev, 'PUT', `${S}/era`, { protocol: 'legacy' })).body.protocol, 'legacy')

    const refused = await call(api.dev, 'POST', S, {
      name: 'era-sse',
      transport: 'sse',
      url: remote.url,
      protocol: 'auto',
    })
    assert.equal(refused.status, 400)
    assert.deepEqual(fieldsOf(refused), ['protocol'])
    const auto = await call(api.dev, 'POST', S, {
      name: 'era-auto',
      transport: 'streamable-http',
      url: remote.url,
      protocol: 'auto',
    })
    assert.equal(auto.status, 201, auto.text)
    assert.equal(auto.body.protocol, 'auto')
    for (const name of ['era', 'era-auto']) assert.equal((await call(api.dev, 'DELETE', `${S}/${name}`)).status, 204)
  })

  it('stores OAuth settings: the client secret sealed, masked, kept unless changed or sent elsewhere; remote servers only', async () => {
    const auth = {
      type: 'oauth',
      credentials: 'user',
      clientId: 'mcpo-test',
      clientSecret: CLIENT_SECRET,
      scopes: ['read', 'write'],
    }
    const created = await call(api.dev, 'POST', S, {
      name: 'oauth',
      transport: 'streamable-http',
      url: remote.url,
      auth,
    })
    assert.equal(created.status, 201, created.text)
    assert.deepEqual(created.body.auth, { ...auth, clientSecret: MASK })
    const row = await api.gw.gateway.store.servers.get('demo', 'oauth')
    assert.ok(row?.auth?.clientSecret && isEncrypted(row.auth.clientSecret), 'stored encrypted')
    assert.ok(!JSON.stringify(row).includes(CLIENT_SECRET), 'no clear text in the row')
    const spec = () => api.gw.gateway.relay.runtime('demo', 'oauth')?.spec
    assert.deepEqual(spec()?.auth, auth, 'the relay gets it in clear')
    assert.equal((await call(api.rep, 'GET', `${S}/oauth`)).body.auth.clientSecret, MASK)
    assert.equal(
      (await call(api.dev, 'POST', S, { name: 'plain-http', transport: 'streamable-http', url: remote.url })).body.auth,
      null,
      'none by default',
    )

    // Left out while naming the same client, or sent as the mask: the stored secret stays.
    const fewer = await call(api.dev, 'PUT', `${S}/oauth`, {
      auth: { type: 'oauth', credentials: 'user', clientId: 'mcpo-test', scopes: ['read'] },
    })
    assert.equal(fewer.status, 200, fewer.text)
    assert.deepEqual(fewer.body.auth, { ...auth, clientSecret: MASK, scopes: ['read'] })
    assert.equal(spec()?.auth?.clientSecret, CLIENT_SECRET)
    const other = await call(api.dev, 'PUT', `${S}/oauth`, { description: 'other fields' })
    assert.equal(other.body.auth.clientSecret, MASK)
    const masked = await call(api.dev, 'PUT', `${S}/oauth`, { auth: { ...fewer.body.auth, credentials: 'project' } })
    assert.equal(masked.status, 200, masked.text)
    assert.deepEqual(spec()?.auth, { ...auth, credentials: 'project', scopes: ['read'] })

    // The secret goes to the authorization server the URL leads to: a new origin needs it typed again.
    const moved = await call(api.dev, 'PUT', `${S}/oauth`, { url: 'http://127.0.0.2:9/mcp' })
    assert.equal(moved.status, 400)
    assert.deepEqual(fieldsOf(moved), ['auth.clientSecret'])
    assert.match(moved.body.error.message, /URL origin/)

    // Another client leaves it behind; null clears it; the mask with nothing stored is a field error.
    const otherClient = await call(api.dev, 'PUT', `${S}/oauth`, { auth: { type: 'oauth', clientId: 'another' } })
    assert.equal(otherClient.status, 200, otherClient.text)
    assert.deepEqual(otherClient.body.auth, {
      type: 'oauth',
      credentials: 'project',
      clientId: 'another',
      clientSecret: null,
      scopes: [],
    })
    assert.equal(spec()?.auth?.clientSecret, null)
    const noStored = await call(api.dev, 'PUT', `${S}/oauth`, {
      auth: { type: 'oauth', clientId: 'another', clientSecret: MASK },
    })
    assert.equal(noStored.status, 400)
    assert.deepEqual(fieldsOf(noStored), ['auth.clientSecret'])
    const retyped = await call(api.dev, 'PUT', `${S}/oauth`, { auth })
    assert.equal(retyped.status, 200, retyped.text)
    assert.equal(
      (await call(api.dev, 'PUT', `${S}/oauth`, { auth: { ...auth, clientSecret: null } })).body.auth.clientSecret,
      null,
    )
    const cleared = await call(api.dev, 'PUT', `${S}/oauth`, { auth: null })
    assert.equal(cleared.body.auth, null)
    assert.equal(spec()?.auth, null)

    // Field errors, and stdio refused: there is no request to carry a token.
    const stdio = await call(api.admin, 'POST', S, {
      name: 'local-oauth',
      transport: 'stdio',
      command: 'node',
      auth: { type: 'oauth' },
    })
    assert.equal(stdio.status, 400)
    assert.deepEqual(fieldsOf(stdio), ['auth'])
    assert.match(stdio.body.error.message, /only for remote servers/)
    const bad = await call(api.dev, 'POST', S, {
      name: 'bad-oauth',
      transport: 'sse',
      url: remote.url,
      auth: { type: 'oauth', credentials: 'team', scopes: ['a b'] },
    })
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad).sort(), ['auth.credentials', 'auth.scopes.0'])
    const maskOnCreate = await call(api.dev, 'POST', S, {
      name: 'mask-oauth',
      transport: 'sse',
      url: remote.url,
      auth: { type: 'oauth', clientId: 'c', clientSecret: MASK },
    })
    assert.equal(maskOnCreate.status, 400)
    assert.deepEqual(fieldsOf(maskOnCreate), ['auth.clientSecret'])
    const withHeader = await call(api.dev, 'PUT', `${S}/oauth`, {
      auth: { type: 'oauth' },
      headers: { Authorization: 'Bearer x' },
    })
    assert.equal(withHeader.status, 400)
    assert.deepEqual(fieldsOf(withHeader), ['headers.Authorization'])

    await call(api.dev, 'PUT', `${S}/oauth`, { auth })
    const toStdio = await call(api.admin, 'PUT', `${S}/oauth`, {
      transport: 'stdio',
      command: 'node',
      args: ['-e', '0'],
    })
    assert.equal(toStdio.status, 200, toStdio.text)
    assert.equal(toStdio.body.auth, null, 'a transport change to stdio leaves auth behind')
    for (const name of ['oauth', 'plain-http'])
      assert.equal((await call(api.dev, 'DELETE', `${S}/${name}`)).status, 204)
  })

  it('lets only global admins define stdio commands', async () => {
    for (const who of [api.dev, api.owner]) {
      const r = await call(who, 'POST', S, { ...everythingServer('mine'), env: { A: 'b' } })
      assert.equal(r.status, 403)
      assert.match(r.body.error.message, /administrators/)
    }
    assert.equal((await call(api.rep, 'POST', S, { name: 'r', transport: 'sse', url: remote.url })).status, 403)
    const r = await call(api.admin, 'POST', S, { ...everythingServer('stdio-one'), env: { TOKEN: ENV_SECRET } })
    assert.equal(r.status, 201)
    assert.deepEqual(r.body.env, { TOKEN: MASK })
    assert.equal(r.body.source, 'ui')
    // A developer may retune an admin's stdio server but not change what it runs.
    const retune = await call(api.dev, 'PUT', `${S}/stdio-one`, { description: 'tuned', env: { TOKEN: MASK } })
    assert.equal(retune.status, 200)
    assert.equal(retune.body.description, 'tuned')
    assert.equal((await call(api.dev, 'PUT', `${S}/stdio-one`, { args: ['--evil'] })).status, 403)
    assert.equal(
      (await call(api.dev, 'PUT', `${S}/stdio-one`, { env: { TOKEN: MASK, NODE_OPTIONS: 'x' } })).status,
      403,
    )
    assert.equal(
      (await call(api.dev, 'PUT', `${S}/${'stdio-one'}`, { transport: 'sse', url: remote.url })).status,
      200,
      'turning it into a remote server is allowed',
    )
    assert.equal((await call(api.dev, 'PUT', `${S}/stdio-one`, { transport: 'stdio', command: 'sh' })).status, 403)
    assert.equal((await call(api.admin, 'DELETE', `${S}/stdio-one`)).status, 204)
  })

  it('keeps env and header secrets encrypted at rest and masked in every answer; the mask keeps a value', async () => {
    const created = await call(api.dev, 'POST', S, {
      name: 'remote',
      transport: 'streamable-http',
      url: remote.url,
      headers: { Authorization: `Bearer ${HEADER_SECRET}`, 'X-Team': 'blue' },
    })
    assert.equal(created.status, 201, created.text)
    assert.deepEqual(created.body.headers, { Authorization: MASK, 'X-Team': MASK })
    const row = await api.gw.gateway.store.servers.get('demo', 'remote')
    assert.ok(row)
    for (const v of Object.values(row.headers)) assert.ok(isEncrypted(v), 'stored encrypted')
    assert.ok(!JSON.stringify(row).includes(HEADER_SECRET), 'no clear text in the row')

    const kept = await call(api.dev, 'PUT', `${S}/remote`, {
      description: 'fronted',
      headers: { Authorization: MASK, 'X-Team': 'red' },
    })
    assert.equal(kept.status, 200, kept.text)
    const spec = api.gw.gateway.relay.runtime('demo', 'remote')?.spec
    assert.equal(spec?.headers?.Authorization, `Bearer ${HEADER_SECRET}`, 'the mask kept the stored value')
    assert.equal(spec?.headers?.['X-Team'], 'red')
    const unknown = await call(api.dev, 'PUT', `${S}/remote`, { headers: { Other: MASK } })
    assert.equal(unknown.status, 400)
    assert.deepEqual(fieldsOf(unknown), ['headers.Other'])
    assert.equal(
      (await call(api.dev, 'POST', S, { name: 'm', transport: 'sse', url: remote.url, headers: { A: MASK } })).status,
      400,
    )

    // The upstream gets the header; the API never shows it.
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/remote/mcp')
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'echo'))
    assert.ok(remote.requests.some((r) => r.headers.authorization === `Bearer ${HEADER_SECRET}`))
    for (const path of [S, `${S}/remote`, `${S}/remote/status`]) {
      const r = await call(api.rep, 'GET', path)
      assert.equal(r.status, 200)
      assert.ok(!r.text.includes(HEADER_SECRET))
    }
  })

  it('refuses to edit or delete servers from the config file (409); toggling them still works', async () => {
    const put = await call(api.owner, 'PUT', `${S}/everything`, { description: 'x' })
    assert.equal(put.status, 409)
    assert.equal((await call(api.owner, 'DELETE', `${S}/everything`)).status, 409)
    assert.equal((await call(api.rep, 'PUT', `${S}/everything`, { description: 'x' })).status, 403)
    assert.equal((await call(api.dev, 'GET', `${S}/nope`)).status, 404)
    assert.equal((await call(api.dev, 'POST', S, { name: 'remote', transport: 'sse', url: remote.url })).status, 409)
  })

  it('disables (endpoint 404, upstream stopped), enables, restarts and reports status', async () => {
    const mcp = '/projects/demo/servers/everything/mcp'
    const client = await api.mcp(TEST_KEY, mcp)
    await client.listTools()
    const running = await call(api.rep, 'GET', `${S}/everything/status`)
    assert.equal(running.status, 200)
    assert.equal(running.body.state, 'running')
    assert.equal(typeof running.body.pid, 'number')
    assert.ok(Array.isArray(running.body.stderr))

    const restarted = await call(api.dev, 'POST', `${S}/everything/restart`)
    assert.equal(restarted.status, 200, restarted.text)
    assert.equal(restarted.body.restarts, running.body.restarts + 1)
    assert.notEqual(restarted.body.pid, running.body.pid)
    assert.equal((await call(api.rep, 'POST', `${S}/everything/restart`)).status, 403)

    const off = await call(api.dev, 'POST', `${S}/everything/disable`)
    assert.equal(off.status, 200)
    assert.equal(off.body.enabled, false)
    assert.equal(off.body.status.state, 'stopped')
    const probe = await postMcp(api.gw.url + mcp, initializeRequest(1, '2025-06-18'), bearer(TEST_KEY))
    assert.equal(probe.status, 404)
    assert.equal((await call(api.dev, 'POST', `${S}/everything/restart`)).status, 409)
    assert.equal((await call(api.dev, 'POST', `${S}/everything/enable`)).body.enabled, true)
    const again = await api.mcp(TEST_KEY, mcp)
    assert.ok((await again.listTools()).tools.length > 0)
  })

  it('imports a pasted mcpServers JSON with a result per entry', async () => {
    const r = await call(api.dev, 'POST', `${S}/import`, {
      mcpServers: {
        'Imported Remote': {
          type: 'streamableHttp',
          url: remote.url,
          headers: { Authorization: `Bearer ${HEADER_SECRET}` },
          timeout: 120,
        },
        legacy: { url: remote.url.replace(/\/mcp$/, '/sse') },
        local: { command: 'node', args: ['server.js'] },
        broken: { type: 'sse', url: 'not a url' },
        remote: { url: remote.url },
      },
    })
    assert.equal(r.status, 200, r.text)
    const by = Object.fromEntries(r.body.results.map((x: { entry: string }) => [x.entry, x]))
    assert.equal(by['Imported Remote'].status, 'created')
    assert.equal(by['Imported Remote'].name, 'imported-remote')
    assert.equal(by['Imported Remote'].server.transport, 'streamable-http')
    assert.equal(by['Imported Remote'].server.timeoutMs, 120_000)
    assert.equal(by.legacy.server.transport, 'sse', 'a url without type is SSE, as Cline reads it')
    assert.equal(by.local.error.code, 'MCPO_ERR_FORBIDDEN')
    assert.equal(by.broken.error.code, 'MCPO_ERR_VALIDATION')
    assert.deepEqual(
      by.broken.error.fields.map((f: { field: string }) => f.field),
      ['url'],
    )
    assert.equal(by.remote.error.code, 'MCPO_ERR_CONFLICT')
    assert.deepEqual([r.body.created, r.body.failed], [2, 3])
    assert.ok(api.gw.gateway.relay.runtime('demo', 'imported-remote'), 'the relay serves imported servers')
    assert.equal((await call(api.dev, 'POST', `${S}/import`, { mcpServers: {} })).status, 400)
    assert.equal((await call(api.rep, 'POST', `${S}/import`, { mcpServers: { a: { url: remote.url } } })).status, 403)
  })

  it('tests a connection before saving', async () => {
    const ok = await call(api.admin, 'POST', `${S}/test`, everythingServer('probe'))
    assert.equal(ok.status, 200, ok.text)
    assert.equal(ok.body.ok, true)
    assert.ok(ok.body.toolCount > 5)
    assert.ok(ok.body.tools.includes('echo'))
    const remoteOk = await call(api.dev, 'POST', `${S}/test`, { transport: 'streamable-http', url: remote.url })
    assert.equal(remoteOk.body.ok, true)
    const bad = await call(api.admin, 'POST', `${S}/test`, {
      transport: 'stdio',
      command: process.execPath,
      args: ['-e', `console.error('boom ' + process.env.TOKEN); process.exit(3)`],
      env: { TOKEN: ENV_SECRET },
    })
    assert.equal(bad.status, 200)
    assert.equal(bad.body.ok, false)
    assert.equal(typeof bad.body.error, 'string')
    assert.ok(!bad.text.includes(ENV_SECRET), 'stderr is shown with secrets masked')
    const masked = await call(api.dev, 'POST', `${S}/test`, {
      name: 'remote',
      transport: 'streamable-http',
      url: remote.url,
      headers: { Authorization: MASK },
    })
    assert.equal(masked.body.ok, true, 'a mask means the saved server’s value')
    assert.equal((await call(api.dev, 'POST', `${S}/test`, everythingServer('probe'))).status, 403)
    assert.equal(api.gw.gateway.relay.runtime('demo', 'probe'), undefined, 'nothing is saved')
  })

  it('deletes a server and stops serving it', async () => {
    assert.equal((await call(api.rep, 'DELETE', `${S}/imported-remote`)).status, 403)
    assert.equal((await call(api.dev, 'DELETE', `${S}/imported-remote`)).status, 204)
    assert.equal((await call(api.dev, 'GET', `${S}/imported-remote`)).status, 404)
    assert.equal(api.gw.gateway.relay.runtime('demo', 'imported-remote'), undefined)
  })
})

describe('server catalog', () => {
  let templateId = ''
  it('is managed by admins and seen by everyone when approved', async () => {
    const body = { ...everythingServer('everything-tpl'), name: 'Everything', envTemplate: { API_TOKEN: 'your token' } }
    delete (body as { cwd?: string }).cwd
    assert.equal((await call(api.owner, 'POST', '/api/templates', body)).status, 403)
    const bad = await call(api.admin, 'POST', '/api/templates', { name: 'x', transport: 'sse' })
    assert.deepEqual(fieldsOf(bad), ['url'])
    const t = await call(api.admin, 'POST', '/api/templates', { ...body, approved: false })
    assert.equal(t.status, 201, t.text)
    templateId = t.body.id
    assert.deepEqual((await call(api.dev, 'GET', '/api/templates')).body, [])
    assert.equal((await call(api.dev, 'GET', `/api/templates/${templateId}`)).status, 404)
    const fromDraft = await call(api.dev, 'POST', `${S}/from-template`, { templateId, name: 'tpl' })
    assert.equal(fromDraft.status, 404, 'an unapproved template is not in the catalog')
    assert.equal((await call(api.admin, 'PUT', `/api/templates/${templateId}`, { approved: true })).status, 200)
    assert.equal((await call(api.dev, 'GET', '/api/templates')).body.length, 1)
  })

  it('lets developers add a stdio server from an approved template, with only its variables', async () => {
    const extra = await call(api.dev, 'POST', `${S}/from-template`, {
      templateId,
      name: 'tpl',
      env: { NODE_OPTIONS: '--require x' },
    })
    assert.equal(extra.status, 400)
    assert.deepEqual(fieldsOf(extra), ['env.NODE_OPTIONS'])
    assert.equal((await call(api.rep, 'POST', `${S}/from-template`, { templateId, name: 'tpl' })).status, 403)
    const r = await call(api.dev, 'POST', `${S}/from-template`, {
      templateId,
      name: 'tpl',
      env: { API_TOKEN: ENV_SECRET },
    })
    assert.equal(r.status, 201, r.text)
    assert.equal(r.body.transport, 'stdio')
    assert.deepEqual(r.body.env, { API_TOKEN: MASK })
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/tpl/mcp')
    assert.ok((await client.listTools()).tools.length > 0)
    assert.equal((await call(api.admin, 'DELETE', `/api/templates/${templateId}`)).status, 204)
    assert.equal((await call(api.admin, 'DELETE', `/api/templates/${templateId}`)).status, 404)
  })
})

describe('API keys API', () => {
  const K = '/api/projects/demo/api-keys'
  let ownerKey: { id: string; key: string }
  let devKey: { id: string; key: string }

  it('answers the full key once; lists show prefix and suffix only', async () => {
    const r = await call(api.owner, 'POST', K, { name: 'ci', description: 'for CI' })
    assert.equal(r.status, 201, r.text)
    assert.match(r.body.key, /^mcp_proj_[A-Za-z0-9]{43}$/)
    assert.equal(r.body.preview, `${r.body.prefix}…${r.body.suffix}`)
    assert.ok(r.body.key.startsWith(r.body.prefix) && r.body.key.endsWith(r.body.suffix))
    assert.equal(r.body.keyHash, undefined)
    ownerKey = { id: r.body.id, key: r.body.key }
    const list = await call(api.owner, 'GET', K)
    assert.equal(list.status, 200)
    assert.ok(!list.text.includes(ownerKey.key))
    assert.ok(
      list.body.some((k: { source: string }) => k.source === 'config'),
      'owners see every key',
    )
    assert.equal(list.body.find((k: { id: string }) => k.id === ownerKey.id).status, 'active')
  })

  it('makes a new key work on MCP at once', async () => {
    const client = await api.mcp(ownerKey.key, '/projects/demo/servers/everything/mcp')
    assert.ok((await client.listTools()).tools.length > 0)
  })

  it('lets everyone manage their own keys and owners anyone’s', async () => {
    const d = await call(api.dev, 'POST', K, {
      name: 'dev laptop',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    })
    assert.equal(d.status, 201)
    devKey = { id: d.body.id, key: d.body.key }
    assert.equal((await call(api.rep, 'POST', K, { name: 'mine' })).status, 201, 'reporters have keys.own')
    const mine = await call(api.dev, 'GET', K)
    assert.deepEqual(
      mine.body.map((k: { id: string }) => k.id),
      [devKey.id],
    )
    assert.equal((await call(api.dev, 'DELETE', `${K}/${ownerKey.id}`)).status, 403)
    assert.equal((await call(api.dev, 'PUT', `${K}/${devKey.id}`, { name: 'renamed' })).body.name, 'renamed')
    assert.equal(
      (await call(api.dev, 'PUT', `${K}/${devKey.id}`, { rateLimit: { requests: 10, perSeconds: 1 } })).status,
      403,
    )
    const limited = await call(api.owner, 'PUT', `${K}/${devKey.id}`, { rateLimit: { requests: 10, perSeconds: 1 } })
    assert.deepEqual(limited.body.rateLimit, { requests: 10, perSeconds: 1 })
    assert.equal((await call(api.outsider, 'GET', K)).status, 404)
    assert.equal((await call(null, 'GET', K)).status, 401)
  })

  it('validates fields and refuses what is not the caller’s to change', async () => {
    const past = await call(api.dev, 'POST', K, { name: '', expiresAt: '2001-01-01T00:00:00Z' })
    assert.equal(past.status, 400)
    assert.deepEqual(fieldsOf(past).sort(), ['expiresAt', 'name'])
    const config = (await call(api.owner, 'GET', K)).body.find((k: { source: string }) => k.source === 'config')
    assert.equal((await call(api.owner, 'DELETE', `${K}/${config.id}`)).status, 409)
    const other = (await api.gw.gateway.store.apiKeys.list('other'))[0]
    assert.equal((await call(api.admin, 'DELETE', `${K}/${other.id}`)).status, 404, 'a key of another project')
    assert.equal((await call(api.owner, 'DELETE', `${K}/not-a-uuid`)).status, 404)
    const byKey = await call(ownerKey.key, 'POST', K, { name: 'minted by a key' })
    assert.equal(byKey.status, 401, 'a key cannot mint keys: keys are for MCP endpoints only')
  })

  it('serves the PRD paths too', async () => {
    const r = await call(api.rep, 'POST', '/projects/demo/api-keys', { name: 'prd' })
    assert.equal(r.status, 201)
    const list = await call(api.rep, 'GET', '/projects/demo/api-keys')
    assert.ok(list.body.some((k: { id: string }) => k.id === r.body.id))
    assert.equal((await call(api.rep, 'DELETE', `/projects/demo/api-keys/${r.body.id}`)).status, 204)
  })

  it('revokes: the key stops on MCP at once and its sessions close', async () => {
    const client = await api.mcp(devKey.key, '/projects/demo/servers/everything/mcp')
    await client.listTools()
    assert.equal((await call(api.owner, 'DELETE', `${K}/${devKey.id}`)).status, 204, 'owners revoke anyone’s key')
    const probe = await postMcp(
      `${api.gw.url}/projects/demo/servers/everything/mcp`,
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      bearer(devKey.key),
    )
    assert.equal(probe.status, 401)
    await assert.rejects(client.listTools())
    const revoked = (await call(api.owner, 'GET', K)).body.find((k: { id: string }) => k.id === devKey.id)
    assert.equal(revoked.status, 'revoked')
    assert.equal((await call(api.dev, 'DELETE', `${K}/${ownerKey.id}`)).status, 403)
    assert.equal((await call(api.owner, 'DELETE', `${K}/${ownerKey.id}`)).status, 204)
  })

  it('gives admins a console over every project', async () => {
    assert.equal((await call(api.owner, 'GET', '/api/admin/api-keys')).status, 403)
    const all = await call(api.admin, 'GET', '/api/admin/api-keys')
    assert.equal(all.status, 200)
    assert.ok(all.body.keys.some((k: { projectId: string }) => k.projectId === 'other'))
    const revoked = await call(api.admin, 'GET', '/api/admin/api-keys?status=revoked&search=RENAMED')
    assert.deepEqual(
      revoked.body.keys.map((k: { id: string }) => k.id),
      [devKey.id],
    )
    assert.equal((await call(api.admin, 'GET', '/api/admin/api-keys?status=bogus')).status, 400)
  })
})

describe('secrets', () => {
  it('never appear in any answer or audit record', () => {
    assert.ok(seen.length > 50)
    for (const r of seen) {
      assert.ok(!r.text.includes(ENV_SECRET), `env secret leaked in ${r.text.slice(0, 200)}`)
      assert.ok(!r.text.includes(HEADER_SECRET), `header secret leaked in ${r.text.slice(0, 200)}`)
      assert.ok(!r.text.includes(CLIENT_SECRET), `client secret leaked in ${r.text.slice(0, 200)}`)
    }
    const audit = JSON.stringify(api.audits)
    assert.ok(api.audits.some((e) => e.action === 'server.create'))
    assert.ok(!audit.includes(ENV_SECRET) && !audit.includes(HEADER_SECRET) && !audit.includes(CLIENT_SECRET))
  })
})
