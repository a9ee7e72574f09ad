// Attacks on the 2026-07-28 path by a holder of a valid key: streams without end, state that belongs to someone else,
// capability sets that vary to get more upstream sessions. Each is bounded or refused.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  assertNoLeftovers,
  everythingServer,
  OTHER_PROJECT_KEY,
  startTestGateway,
  TEST_KEY,
  type TestGateway,
} from '../harness.ts'

const V = '2026-07-28'

function post(
  url: string,
  key: string,
  method: string,
  params: Record<string, unknown>,
  caps = {},
  signal?: AbortSignal,
) {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': caps },
      },
    }),
    signal,
  })
}

describe('2026-07-28 path limits', { timeout: 60_000 }, () => {
  let gw: TestGateway | undefined
  let url = ''
  const streams: AbortController[] = []

  before(async () => {
    gw = await startTestGateway({
      limits: { sessionsPerKey: 4 },
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [everythingServer()],
          apiKeys: [{ name: 'test', key: TEST_KEY }],
        },
        {
          id: 'other',
          name: 'Other',
          servers: [everythingServer()],
          apiKeys: [{ name: 'other', key: OTHER_PROJECT_KEY }],
        },
      ],
    })
    url = `${gw.url}/projects/demo/servers/everything/mcp`
  })

  after(async () => {
    for (const s of streams) s.abort()
    await gw?.close()
    await assertNoLeftovers()
  })

  it('one client cannot hold more than 16 subscriptions/listen streams', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 17; i++) {
      const abort = new AbortController()
      streams.push(abort)
      const res = await post(
        url,
        TEST_KEY,
        'subscriptions/listen',
        { notifications: { toolsListChanged: true } },
        {},
        abort.signal,
      )
      statuses.push(res.status)
      if (res.status !== 200) {
        const body = (await res.json()) as { error?: { code: number } }
        assert.equal(body.error?.code, -32015)
      }
    }
    assert.deepEqual(statuses.slice(0, 16), Array(16).fill(200))
    assert.equal(statuses[16], 429)
    for (const s of streams.splice(0)) s.abort()
  })

  it('varying capability sets cannot exhaust the key: idle variants make room, a busy key is refused with -32015', async () => {
    // More capability sets than the key has sessions: every request still succeeds, older idle variants are closed.
    for (let i = 0; i < 8; i++) {
      const res = await post(url, TEST_KEY, 'tools/list', {}, { experimental: { [`v${i}`]: {} } })
      assert.equal(res.status, 200, `capability set ${i}`)
      await res.arrayBuffer()
    }
    // Four variants each holding a listen stream are busy: a fifth variant finds no room.
    for (let i = 0; i < 4; i++) {
      const abort = new AbortController()
      streams.push(abort)
      const res = await post(
        url,
        TEST_KEY,
        'subscriptions/listen',
        { notifications: {} },
        { experimental: { [`busy${i}`]: {} } },
        abort.signal,
      )
      assert.equal(res.status, 200)
    }
    const refused = await post(url, TEST_KEY, 'tools/list', {}, { experimental: { fifth: {} } })
    assert.equal(refused.status, 429)
    assert.equal(((await refused.json()) as { error?: { code: number } }).error?.code, -32015)
    for (const s of streams.splice(0)) s.abort()
  })

  it("a key cannot reach another project's endpoint statelessly", async () => {
    const res = await post(`${gw?.url}/projects/other/servers/everything/mcp`, TEST_KEY, 'tools/list', {})
    assert.equal(res.status, 404)
    const own = await post(`${gw?.url}/projects/other/servers/everything/mcp`, OTHER_PROJECT_KEY, 'tools/list', {})
    assert.equal(own.status, 200)
    await own.arrayBuffer()
  })
})
