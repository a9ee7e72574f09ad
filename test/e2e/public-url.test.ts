// Correct URLs behind proxies (issue 17 point 3), through a running gateway: the endpoint URLs a client is given come
// from listen.publicBaseUrl, else from a trusted proxy's X-Forwarded-* headers, else from the Host header with its
// port; forwarded headers are ignored when security.trustProxy is false.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

interface Discovery {
  unified: { endpoints: { mcp: string } }
  servers: { endpoints: { sse: string } }[]
}

/** GET with a Host header of our choosing (fetch does not let a caller set one). */
function get(
  gw: TestGateway,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Discovery }> {
  return new Promise((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port: gw.port, path, headers: { authorization: `Bearer ${TEST_KEY}`, ...headers } },
      (res) => {
        let text = ''
        res.on('data', (d) => {
          text += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    r.on('error', reject)
    r.end()
  })
}

const DISCOVERY = '/projects/demo/.well-known/mcp-servers'
let plain: TestGateway
let proxied: TestGateway
let fixed: TestGateway
before(async () => {
  ;[plain, proxied, fixed] = await Promise.all([
    startTestGateway(),
    startTestGateway({ security: { trustProxy: true } }),
    startTestGateway({ listen: { host: '127.0.0.1', port: 0, publicBaseUrl: 'https://mcp.example.com/' } }),
  ])
})
after(() => Promise.all([plain?.close(), proxied?.close(), fixed?.close()]))

describe('public base URL', () => {
  it('without a proxy: the Host header with its port, forwarded headers ignored', async () => {
    const r = await get(plain, DISCOVERY, {
      host: 'localhost:8080',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.unified.endpoints.mcp, 'http://localhost:8080/projects/demo/mcp')
    assert.equal(r.body.servers[0].endpoints.sse, 'http://localhost:8080/projects/demo/servers/everything/sse')
  })

  it('behind a trusted proxy: its scheme, host and port', async () => {
    const r = await get(proxied, DISCOVERY, {
      host: 'node1:8080',
      'x-forwarded-host': 'gateway.internal',
      'x-forwarded-port': '8443',
      'x-forwarded-proto': 'https',
    })
    assert.equal(r.body.unified.endpoints.mcp, 'https://gateway.internal:8443/projects/demo/mcp')
    // What the shipped nginx sends: the client's Host with its port.
    const nginx = await get(proxied, DISCOVERY, {
      host: 'localhost:8080',
      'x-forwarded-host': 'localhost:8080',
      'x-forwarded-proto': 'http',
    })
    assert.equal(nginx.body.unified.endpoints.mcp, 'http://localhost:8080/projects/demo/mcp')
  })

  it('with listen.publicBaseUrl: always that', async () => {
    const r = await get(fixed, DISCOVERY, { host: 'localhost:8080', 'x-forwarded-host': 'evil.example' })
    assert.equal(r.body.unified.endpoints.mcp, 'https://mcp.example.com/projects/demo/mcp')
  })
})
