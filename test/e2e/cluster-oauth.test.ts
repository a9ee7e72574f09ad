// OAuth on a cluster (issue 20 point 7): three gateway processes on one PostgreSQL behind a round-robin balancer
// without sticky sessions, all with the balancer's URL as their public base URL (the issuer). The SDK client's whole
// OAuth flow runs through the balancer, so registration, authorization, consent and the code exchange land on
// different nodes; the token it gets works on every node; a revocation made on one node is refused by another
// within a second.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { openPostgresStore } from '../../plugins/storage/postgres.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { assertNoLeftovers } from '../harness.ts'
import { GatewayCluster } from '../kit/gateway-cluster.ts'
import { initializeRequest, postMcp } from '../kit/mcp-wire.ts'
import { consent, TestOAuthProvider } from '../kit/oauth.ts'
import { requirePostgres, TEST_DATABASE_URL } from '../kit/postgres.ts'
import { type RoundRobinProxy, startProxy } from './round-robin-proxy.ts'

const PASSWORD = 'correct horse battery staple'
const ENDPOINT = '/projects/demo/servers/shared/mcp'

let proxy: RoundRobinProxy | undefined
const clients: Client[] = []

let cluster: GatewayCluster | undefined

// Registered before requirePostgres's own `after` (which drops the schema): hooks run in registration order, so the
// nodes are gone before their schema is.
after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await proxy?.close()
  await cluster?.stop()
  await assertNoLeftovers()
})

const pg = await requirePostgres('OAuth on three nodes on one PostgreSQL behind a round-robin balancer')
const schema = pg?.schema('mcpo_cluster_oauth') ?? ''

let userToken = ''

describe('OAuth across three nodes', { skip: pg === null }, () => {
  before(async () => {
    proxy = await startProxy([])
    cluster = new GatewayCluster({
      url: TEST_DATABASE_URL,
      schema,
      plugins: '[sessions(), apiKeys(), toolPolicies()]',
      publicBaseUrl: proxy.url,
      authMode: 'oauth',
    })
    for (const id of ['a', 'b', 'c']) await cluster.start(id)
    proxy.backends.push(...cluster.nodes.map((n) => n.url))
    const store = await openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 1 })
    try {
      const user = await store.users.create({
        email: 'dev@example.com',
        name: 'Dev',
        passwordHash: await hashPassword(PASSWORD),
        emailVerifiedAt: new Date(),
      })
      await store.projectMembers.add({ projectId: 'demo', userId: user.id, role: 'developer' })
    } finally {
      await store.close()
    }
    const login = await fetch(`${proxy.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'dev@example.com', password: PASSWORD }),
    })
    assert.equal(login.status, 200)
    userToken = ((await login.json()) as { token: string }).token
  })

  it('a flow spread over the nodes issues a token every node accepts; a revocation on one is seen on another within 1 s', async (t) => {
    const px = proxy as RoundRobinProxy
    const provider = new TestOAuthProvider()
    const url = new URL(px.url + ENDPOINT)
    await assert.rejects(
      new Client({ name: 'c', version: '1' }).connect(
        new StreamableHTTPClientTransport(url, { authProvider: provider }),
      ),
      UnauthorizedError,
    )
    const result = await consent(provider.authorizationUrl as URL, { userToken })
    assert.ok(result.code, JSON.stringify(result.decision))
    await new StreamableHTTPClientTransport(url, { authProvider: provider }).finishAuth(result.code as string)
    const client = new Client({ name: 'c', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))
    clients.push(client)
    assert.ok((await client.listTools()).tools.length > 0)
    assert.ok([...px.served.values()].filter((n) => n > 0).length === 3, 'every node answered part of the flow')

    const token = provider.saved?.access_token as string
    const ping = (base: string) =>
      postMcp(base + ENDPOINT, initializeRequest(1, '2025-06-18'), { authorization: `Bearer ${token}` })
    for (const n of (cluster as GatewayCluster).nodes) {
      const res = await ping(n.url)
      assert.equal(res.status, 200, `node ${n.id} accepts the token`)
      await res.arrayBuffer()
    }
    const [a, , c] = (cluster as GatewayCluster).nodes
    const apps = (await (
      await fetch(`${c.url}/api/me/connected-apps`, { headers: { authorization: `Bearer ${userToken}` } })
    ).json()) as { items: { grantId: string }[] }
    assert.equal(apps.items.length, 1)
    const revoked = await fetch(`${c.url}/api/me/connected-apps/${apps.items[0].grantId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${userToken}` },
    })
    assert.equal(revoked.status, 204)
    const started = Date.now()
    let status = 200
    while (status === 200 && Date.now() - started < 3000) {
      const res = await ping(a.url)
      status = res.status
      await res.arrayBuffer()
      if (status === 200) await new Promise((r) => setTimeout(r, 50))
    }
    const took = Date.now() - started
    assert.equal(status, 401, 'node a refuses the revoked token')
    assert.ok(took < 1000, `node a refused it ${took} ms after node c revoked it`)
    t.diagnostic(`node a refused the token ${took} ms after node c revoked its grant`)
  })
})
