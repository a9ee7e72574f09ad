import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { bearerParams, discover, oauthHttp } from './discovery.ts'

describe('upstream OAuth discovery', () => {
  it("reads the Bearer challenge's parameters, quoted or not, among other schemes", () => {
    assert.deepEqual(
      bearerParams(
        'Basic realm="x", Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="a b", error=invalid_token',
      ),
      {
        resource_metadata: 'https://mcp.example/.well-known/oauth-protected-resource/mcp',
        scope: 'a b',
        error: 'invalid_token',
      },
    )
    assert.deepEqual(bearerParams('Bearer realm="a\\"b"'), { realm: 'a"b' })
    assert.deepEqual(bearerParams('Basic realm="only basic"'), {})
    assert.deepEqual(bearerParams(''), {})
  })

  it('reads a hostile header in linear time', () => {
    const started = performance.now()
    bearerParams(`Bearer ${'a="'.repeat(100_000)}`)
    bearerParams(`Bearer ${'x, '.repeat(100_000)}`)
    bearerParams(`Bearer ${'\\'.repeat(200_000)}`)
    assert.ok(performance.now() - started < 2000, 'no backtracking: the header is read once, at most 8 KiB of it')
  })

  it("refuses to reach into the blocked networks, whatever the server's metadata names", async () => {
    const server = createServer((_req, res) => res.end('{}'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
    const http = oauthHttp(['127.0.0.0/8'])
    try {
      await assert.rejects(discover(http, url), /could not be reached/)
      const open = oauthHttp([])
      assert.equal((await open.fetch(url, { method: 'GET' })).status, 200, 'the same address without the block')
      await open.close()
    } finally {
      await http.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })
})
