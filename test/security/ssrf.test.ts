// Remote upstreams may not reach blocked networks (upstreams.blockedNetworks; link-local and cloud metadata by
// default): a project developer types the URL, so without the check the gateway would fetch whatever it names. Here
// 127.0.0.0/8 is blocked so that a local server can stand in for the metadata service: it must receive nothing, from
// the connection test or from an MCP session; with the default list the same URL works.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { resolveConfig } from '../../config/resolve.ts'
import { DEFAULT_BLOCKED_NETWORKS } from '../../config/schema.ts'
import { blockedBy, blockListOf } from '../../gateway/upstream/network-guard.ts'
import { startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, postMcp } from '../kit/mcp-wire.ts'

let metadata: Server
let hits = 0
let url = ''
const gateways: TestGateway[] = []

before(async () => {
  metadata = createServer((req, res) => {
    hits++
    req.resume()
    res.writeHead(500).end('{"secret":"instance credentials"}')
  })
  await new Promise<void>((r) => metadata.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}/mcp`
})
after(async () => {
  for (const gw of gateways) await gw.close()
  metadata.closeAllConnections()
  await new Promise((r) => metadata.close(r))
})

async function gatewayBlocking(blockedNetworks?: string[], target = url): Promise<TestGateway> {
  const gw = await startTestGateway({
    upstreams: blockedNetworks ? { blockedNetworks } : {},
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'k', key: TEST_KEY }],
        servers: [{ name: 'remote', transport: 'streamable-http', url: target }],
      },
    ],
  })
  gateways.push(gw)
  return gw
}

async function adminToken(gw: TestGateway): Promise<string> {
  const res = await fetch(`${gw.url}/api/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: gw.gateway.setupToken, email: 'admin@example.com', password: 'ssrf test admin pw' }),
  })
  return ((await res.json()) as { token: string }).token
}

async function testConnection(gw: TestGateway, token: string, target = url) {
  const res = await fetch(`${gw.url}/api/projects/demo/servers/test`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ transport: 'streamable-http', url: target }),
  })
  assert.equal(res.status, 200)
  return (await res.json()) as { ok: boolean; error?: string }
}

/** One JSON-RPC message to the remote server's Streamable HTTP endpoint through the gateway. */
function mcpPost(gw: TestGateway, message: object, session = '') {
  return postMcp(
    `${gw.url}/projects/demo/servers/remote/mcp`,
    { jsonrpc: '2.0', ...message },
    { ...bearer(TEST_KEY), ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}) },
  )
}

async function initialize(gw: TestGateway) {
  const clientInfo = { name: 'ssrf', version: '1' }
  const res = await mcpPost(gw, {
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo },
  })
  const list = await mcpPost(gw, { id: 2, method: 'tools/list' }, res.headers.get('mcp-session-id') ?? '')
  return (await list.text()) + (await res.text())
}

describe('remote upstreams and blocked networks', () => {
  it('refuses a blocked address before sending a byte, from the connection test and from a session', async () => {
    const gw = await gatewayBlocking(['127.0.0.0/8'])
    const token = await adminToken(gw)
    const tested = await testConnection(gw, token)
    assert.equal(tested.ok, false)
    assert.match(tested.error ?? '', /blocked network/)
    const answers = await initialize(gw)
    assert.match(answers, /"error"/, 'the session gets an error, not the upstream')
    assert.doesNotMatch(answers, /instance credentials/)
    assert.equal(hits, 0, 'the blocked server received no request')
  })

  it('reaches the same address with the default list, which blocks link-local and metadata addresses', async () => {
    const gw = await gatewayBlocking()
    const token = await adminToken(gw)
    const tested = await testConnection(gw, token)
    assert.equal(tested.ok, false, 'the stand-in answers 500: not an MCP server')
    assert.doesNotMatch(tested.error ?? '', /blocked network/)
    assert.ok(hits > 0, 'the request reached it')
    const defaults = blockListOf(DEFAULT_BLOCKED_NETWORKS)
    for (const address of [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      'fd00:ec2::254',
      '100.100.100.200',
      '0.0.0.0',
    ]) {
      assert.ok(blockedBy(defaults, address), address)
    }
    for (const address of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '::1', '8.8.8.8']) {
      assert.ok(!blockedBy(defaults, address), address)
    }
  })

  it('rejects a malformed network in the config, and takes a single address', () => {
    for (const bad of ['10.0.0.0/33', 'example.com/8', '10.0.0.0/', 'fd00::/129', '10.0.0.0/8/1']) {
      assert.throws(() => resolveConfig({ upstreams: { blockedNetworks: [bad] } }, { env: {} }), /blockedNetworks/, bad)
    }
    const ok = resolveConfig({ upstreams: { blockedNetworks: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'] } }, { env: {} })
    const list = blockListOf(ok.upstreams.blockedNetworks)
    assert.ok(blockedBy(list, '192.0.2.7') && blockedBy(list, '10.9.9.9') && blockedBy(list, 'fd00::1'))
    assert.ok(!blockedBy(list, '192.0.2.8'))
  })
})

// Issue 16 point 10: an operator who blocks loopback blocks it in every family and spelling. The stand-in listens on
// `::` (both families); each URL below reaches it when nothing is blocked, and none may once 127.0.0.0/8 is.
describe('blocked networks cover IPv6 and IPv4-mapped spellings', () => {
  let dual: Server | undefined
  let dualHits = 0
  let port = 0
  const ipv6 = hasIPv6Loopback()

  before(async () => {
    if (!ipv6) return
    dual = createServer((req, res) => {
      dualHits++
      req.resume()
      res.writeHead(500).end('{"secret":"instance credentials"}')
    })
    await new Promise<void>((r) => dual!.listen({ port: 0, host: '::', ipv6Only: false }, r))
    port = (dual.address() as AddressInfo).port
  })
  after(async () => {
    if (!dual) return
    dual.closeAllConnections()
    await new Promise((r) => dual!.close(r))
  })

  const spellings = (p: number) => [
    `http://[::1]:${p}/mcp`,
    `http://[::ffff:127.0.0.1]:${p}/mcp`,
    `http://[::ffff:7f00:1]:${p}/mcp`,
    `http://[0:0:0:0:0:ffff:7f00:1]:${p}/mcp`,
    `http://[::]:${p}/mcp`,
    `http://0.0.0.0:${p}/mcp`,
    `http://localhost:${p}/mcp`,
  ]

  it('refuses ::1, ::, mapped loopback and 0.0.0.0 when 127.0.0.0/8 is blocked', {
    skip: !ipv6 && 'no ::1',
  }, async () => {
    const gw = await gatewayBlocking(['127.0.0.0/8'], `http://[::1]:${port}/mcp`)
    const token = await adminToken(gw)
    for (const target of spellings(port)) {
      const tested = await testConnection(gw, token, target)
      assert.equal(tested.ok, false, target)
      assert.match(tested.error ?? '', /blocked network/, target)
    }
    const answers = await initialize(gw)
    assert.match(answers, /"error"/)
    assert.doesNotMatch(answers, /instance credentials/)
    assert.equal(dualHits, 0, 'the loopback listener received no request')
  })

  it('reaches ::1 with the default list, and refuses the unspecified :: and 0.0.0.0', {
    skip: !ipv6 && 'no ::1',
  }, async () => {
    const gw = await gatewayBlocking()
    const token = await adminToken(gw)
    const before = dualHits
    const tested = await testConnection(gw, token, `http://[::1]:${port}/mcp`)
    assert.doesNotMatch(tested.error ?? '', /blocked network/)
    assert.ok(dualHits > before, '::1 was reached')
    const reached = dualHits
    for (const target of [`http://[::]:${port}/mcp`, `http://0.0.0.0:${port}/mcp`]) {
      const refused = await testConnection(gw, token, target)
      assert.match(refused.error ?? '', /blocked network/, target)
    }
    assert.equal(dualHits, reached, 'nothing reached the listener through :: or 0.0.0.0')
  })
})

function hasIPv6Loopback(): boolean {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8').includes('00000000000000000000000000000001')
  } catch {
    return false
  }
}
