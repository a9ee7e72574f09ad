// Secret hygiene (issue 11 point 5): secrets planted in a stdio server's env and a remote server's headers (from the
// config file and through the API) reach their upstream, and appear in no API answer, MCP reply, error, log line
// (pino at debug level, captured), /metrics output or audit row. test/api/servers-keys.test.ts checks answers of
// the server routes and test/e2e/audit.test.ts log lines at info; this one checks every surface at once.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { after, before, it } from 'node:test'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { metrics } from '../../plugins/metrics/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { assertNoLeftovers, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, StreamableClient } from '../kit/mcp-wire.ts'

const ENV_SECRET = 'envSecret-7f3a9c1e5b2d4086'
const HEADER_SECRET = 'hdrSecret-2b8e4f6a0c9d1357'
const API_ENV_SECRET = 'apiEnvSecret-91d2c3b4a5e6f708'
const API_HEADER_SECRET = 'apiHdrSecret-0a1b2c3d4e5f6789'
const SECRETS = [ENV_SECRET, HEADER_SECRET, API_ENV_SECRET, API_HEADER_SECRET]

const logLines: string[] = []
const seen: { where: string; text: string }[] = []
const upstreamHeaders: string[] = []
let remote: Server
let gw: TestGateway
let token = ''

before(async () => {
  // The remote upstream records what it receives (so the test knows the secret was really used) and answers 500.
  remote = createServer((req, res) => {
    upstreamHeaders.push(JSON.stringify(req.headers))
    req.resume()
    req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream broke'))
  })
  await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r))
  const remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/mcp`
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  gw = await startTestGateway(
    {
      plugins: [sessions(), apiKeys(), toolPolicies(), audit({ batchMs: 50 }), metrics()],
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          apiKeys: [{ name: 'k', key: TEST_KEY }],
          servers: [
            { ...fixtureServer('envy'), env: { FIXTURE_TOKEN: ENV_SECRET } },
            {
              name: 'remote',
              transport: 'streamable-http',
              url: remoteUrl,
              headers: { Authorization: `Bearer ${HEADER_SECRET}` },
            },
          ],
        },
      ],
    },
    { logger: createLogger('debug', sink) },
  )
  const setup = await call('POST', '/api/auth/setup', {
    token: gw.gateway.setupToken,
    email: 'admin@example.com',
    password: 'secret hygiene admin',
  })
  token = JSON.parse(setup).token
  // The same kinds of secrets through the API, where admins define stdio servers and remote headers.
  await call('POST', '/api/projects/demo/servers', {
    ...fixtureServer('api-envy'),
    env: { OTHER_TOKEN: API_ENV_SECRET },
  })
  await call('POST', '/api/projects/demo/servers', {
    name: 'api-remote',
    transport: 'streamable-http',
    url: remoteUrl,
    headers: { 'x-api-key': API_HEADER_SECRET },
  })
})
after(async () => {
  await gw?.close()
  remote?.closeAllConnections()
  await new Promise((r) => remote?.close(r))
  await assertNoLeftovers()
})

async function call(method: string, path: string, body?: unknown): Promise<string> {
  const res = await fetch(gw.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const answer = await res.text()
  seen.push({ where: `${method} ${path}`, text: `${res.status} ${JSON.stringify([...res.headers])} ${answer}` })
  return answer
}

it('a secret in env or headers reaches its upstream and appears in no answer, error, log, metric or audit row', async () => {
  // Use every server over MCP: calls succeed on the stdio ones and fail on the remote ones (errors are checked too).
  for (const server of ['envy', 'api-envy', 'remote', 'api-remote']) {
    const c = new StreamableClient(`${gw.url}/projects/demo/servers/${server}/mcp`, bearer(TEST_KEY))
    const init = await c.initialize()
    seen.push({ where: `initialize ${server}`, text: init.text })
    if (c.sessionId) {
      const r = await c.call(1, 'echo', { message: 'hi' })
      seen.push({ where: `tools/call ${server}`, text: r.reply.text })
      await c.close()
    }
  }
  // Every GET of the API that concerns these servers, plus the operations that report errors.
  for (const path of [
    '/api/projects/demo',
    '/api/projects/demo/servers',
    '/api/projects/demo/tools',
    '/api/projects/demo/activity',
    '/api/projects/demo/activity?kind=tools',
    '/api/projects/demo/tool-calls/stats',
    '/api/projects/demo/client-config?client=cline',
    '/projects/demo/cline-config',
    '/projects/demo/.well-known/mcp-servers',
    '/api/openapi.json',
  ]) {
    await call('GET', path)
  }
  for (const name of ['envy', 'api-envy', 'remote', 'api-remote']) {
    for (const suffix of ['', '/status', '/tools']) await call('GET', `/api/projects/demo/servers/${name}${suffix}`)
    await call('POST', `/api/projects/demo/servers/${name}/restart`)
    await call('PUT', `/api/projects/demo/servers/${name}`, { description: 'touched' })
  }
  await call('POST', '/api/projects/demo/servers/test', {
    transport: 'streamable-http',
    url: `http://127.0.0.1:${(remote.address() as AddressInfo).port}/mcp`,
    headers: { authorization: `Bearer ${API_HEADER_SECRET}` },
  })
  const metricsText = await (await fetch(`${gw.url}/metrics`)).text()
  seen.push({ where: '/metrics', text: metricsText })
  await new Promise((r) => setTimeout(r, 300)) // the audit batch (50 ms) reaches the database
  const rows = await gw.gateway.store.audit.list({ projectId: 'demo', limit: 1000 })
  assert.ok(rows.length > 0, 'audit rows were written')
  seen.push({ where: 'audit rows', text: JSON.stringify(rows) })

  // The secrets were really in use: otherwise their absence would prove nothing.
  const received = upstreamHeaders.join('\n')
  assert.ok(received.includes(HEADER_SECRET) && received.includes(API_HEADER_SECRET), 'the remote got its headers')
  assert.ok(logLines.length > 5, `logs were captured (${logLines.length})`)
  assert.ok(seen.length > 40)
  for (const secret of SECRETS) {
    for (const s of seen) assert.ok(!s.text.includes(secret), `${secret} leaked in ${s.where}: ${s.text.slice(0, 300)}`)
    const leaking = logLines.filter((l) => l.includes(secret))
    assert.deepEqual(leaking, [], `${secret} leaked in log lines`)
  }
})
