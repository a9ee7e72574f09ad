// Conformance items 46–59 (protocol.md §9, relay): ids, progress tokens, cancels, local answers, server→client
// requests, subscriptions, logging, de-paginated lists, capabilities and error pass-through, on shared stdio upstreams.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { waitFor } from '../fixtures/processes.ts'
import { type LogEntry, readLog, scripted, tapped, toolCalls } from '../fixtures/recording-upstreams.ts'
import { everythingServer, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import {
  initializeRequest,
  LegacyClient,
  postMcp,
  type RpcMsg,
  readRpc,
  StreamableClient,
  textOf,
} from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep } from '../kit/waiting.ts'

const dir = tempDir('relay')
const FX = join(dir.path, 'fx.log')
const PS = join(dir.path, 'per-session.log')
const SC = join(dir.path, 'script.log')

let gw: TestGateway
const opened: { close(): unknown }[] = []
const sse = (server: string) => `${gw.url}/projects/demo/servers/${server}/sse`
const mcp = (server: string) => `${gw.url}/projects/demo/servers/${server}/mcp`

async function legacy(server: string, init?: Record<string, unknown>): Promise<LegacyClient> {
  const c = await LegacyClient.connect(sse(server), gw.auth, init)
  opened.push(c)
  return c
}
async function streamable(server: string): Promise<StreamableClient> {
  const c = await StreamableClient.connect(mcp(server), gw.auth)
  opened.push(c)
  return c
}
const call = (name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>) => ({
  name,
  arguments: args,
  ...(meta ? { _meta: meta } : {}),
})

before(async () => {
  gw = await startTestGateway({
    upstreams: { restartInitialMs: 100 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [
          // Fixture starts cost seconds on a small machine: the shared ones boot together with the gateway.
          { ...tapped('fx', FX), autoStart: true },
          tapped('fxp', PS, fixtureServer('fxp'), { isolation: 'per-session' }),
          { ...everythingServer('ev'), autoStart: true },
          scripted('sc', SC),
          { ...fixtureServer('pg', ['--pages', '3']), autoStart: true },
          scripted('cold', join(dir.path, 'cold.log'), { initDelayMs: 500 }),
          scripted('busy', join(dir.path, 'busy.log'), { initDelayMs: 300 }),
        ],
      },
    ],
  })
})

after(async () => {
  for (const c of opened) await c.close()
  await gw?.close()
  dir.cleanup()
})

describe('relay conformance (protocol.md §9 items 46–59)', () => {
  it('46 R: two sessions on a shared upstream both send id 1 tools/call echo concurrently; each gets its own result, upstream ids distinct', async () => {
    const [a, b] = await Promise.all([streamable('fx'), streamable('fx')])
    const c = await legacy('fx')
    const before = toolCalls(FX, 'echo').length
    const [ra, rb, rc] = await Promise.all([
      a.request('tools/call', call('echo', { message: 'from A' }), 1),
      b.request('tools/call', call('echo', { message: 'from B' }), 1),
      c.request('tools/call', call('echo', { message: 'from C' }), 1),
    ])
    assert.equal(ra.id, 1)
    assert.equal(rb.id, 1)
    assert.equal(rc.id, 1)
    assert.equal(textOf(ra), 'Echo: from A')
    assert.equal(textOf(rb), 'Echo: from B')
    assert.equal(textOf(rc), 'Echo: from C')
    const seen = toolCalls(FX, 'echo').slice(before)
    assert.equal(seen.length, 3)
    const ids = seen.map((e) => e.msg?.id)
    assert.equal(new Set(ids.map((id) => JSON.stringify(id))).size, 3, `upstream ids not distinct: ${ids}`)
  })

  it('47 R: id type preserved: "1" → "1", 1 → 1 (even both in flight on one session)', async () => {
    const s = await streamable('fx')
    const str = await s.request('tools/call', call('echo', { message: 'string id' }), '1')
    const num = await s.request('tools/call', call('echo', { message: 'number id' }), 1)
    assert.equal(str.id, '1')
    assert.equal(num.id, 1)
    assert.equal(textOf(str), 'Echo: string id')
    assert.equal(textOf(num), 'Echo: number id')
    const ping = await s.request('ping', undefined, '0')
    assert.equal(ping.id, '0')
    // Legacy: 1 and "1" on the same stream at the same time must not be confused.
    const l = await legacy('fx')
    const [n, t] = await Promise.all([
      l.request('tools/call', call('echo', { message: 'n' }), 1),
      l.request('tools/call', call('echo', { message: 't' }), '1'),
    ])
    assert.equal(typeof n.id, 'number')
    assert.equal(typeof t.id, 'string')
    assert.equal(textOf(n), 'Echo: n')
    assert.equal(textOf(t), 'Echo: t')
  })

  it('48 R: two sessions both using progressToken 1 each receive only their own progress, token still the number 1', async () => {
    const a = await legacy('fx')
    const b = await streamable('fx')
    const before = toolCalls(FX, 'slow').length
    const [ra, rb] = await Promise.all([
      a.request('tools/call', call('slow', { steps: 3, ms: 40 }, { progressToken: 1 }), 1),
      b.post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: call('slow', { steps: 5, ms: 40 }, { progressToken: 1 }),
      }),
    ])
    assert.equal(textOf(ra), 'done')
    const progressA = a.messages.filter((m) => m.method === 'notifications/progress')
    assert.deepEqual(
      progressA.map((m) => [m.params?.progressToken, m.params?.progress, m.params?.total]),
      [
        [1, 1, 3],
        [1, 2, 3],
        [1, 3, 3],
      ],
    )
    assert.equal(rb.status, 200)
    assert.match(rb.headers.get('content-type') ?? '', /text\/event-stream/)
    const progressB = rb.messages.filter((m) => m.method === 'notifications/progress')
    assert.deepEqual(
      progressB.map((m) => [m.params?.progressToken, m.params?.progress, m.params?.total]),
      [1, 2, 3, 4, 5].map((p) => [1, p, 5]),
    )
    assert.equal(textOf(rb.messages.at(-1) as RpcMsg), 'done')
    const tokens = toolCalls(FX, 'slow')
      .slice(before)
      .map((e) => (e.msg?.params?._meta as { progressToken?: unknown } | undefined)?.progressToken)
    assert.equal(tokens.length, 2)
    assert.notDeepEqual(tokens[0], tokens[1], 'the upstream saw the same progress token twice')
  })

  it('49 R: notifications/cancelled reaches the upstream with its own id; the late response is not delivered', async () => {
    const s = await legacy('sc')
    const answer = s.request('tools/call', call('late', { ms: 1000 }), 'x7', 3000).catch((err: Error) => err)
    const isLate = (e: LogEntry) => e.d === 'in' && e.msg?.method === 'tools/call' && e.msg.params?.name === 'late'
    assert.ok(await waitFor(() => readLog(SC).some(isLate), 2000), 'the call never reached the upstream')
    assert.equal(await s.notify('notifications/cancelled', { requestId: 'x7', reason: 'user aborted' }), 202)
    const forwarded = readLog(SC).find(isLate)!
    // The scripted upstream ignores cancels and answers anyway: wait for that answer, then a little more.
    const lateAnswer = (e: LogEntry) => e.d === 'out' && e.msg?.id === forwarded.msg?.id && e.msg?.result !== undefined
    assert.ok(await waitFor(() => readLog(SC).some(lateAnswer), 3000), 'the scripted upstream did not answer late')
    await sleep(200)
    const cancel = readLog(SC).find((e) => e.d === 'in' && e.msg?.method === 'notifications/cancelled')
    assert.ok(cancel, 'no notifications/cancelled upstream')
    assert.deepEqual(cancel.msg?.params?.requestId, forwarded.msg?.id)
    assert.ok(cancel.t < readLog(SC).find(lateAnswer)!.t, 'the cancel reached the upstream after its answer')
    assert.ok(!s.messages.some((m) => m.id === 'x7'), 'the late response was delivered')
    const late = await answer
    assert.ok(late instanceof Error)
  })

  it('50 R: a cancel for the initialize id is ignored; the session still initializes', async () => {
    // `cold` has not been started: initialize waits for the upstream handshake, so the cancel arrives meanwhile.
    const s = await LegacyClient.open(sse('cold'), gw.auth)
    opened.push(s)
    const init = s.request(
      'initialize',
      { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      0,
      15_000,
    )
    await sleep(20)
    assert.equal(await s.notify('notifications/cancelled', { requestId: 0, reason: 'impatient' }), 202)
    const res = await init
    assert.equal(res.error, undefined)
    assert.equal((res.result as { protocolVersion?: string }).protocolVersion, '2025-11-25')
    assert.equal(await s.notify('notifications/initialized'), 202)
    const tools = await s.request('tools/list')
    assert.ok(((tools.result as { tools: unknown[] }).tools ?? []).length > 0)
  })

  it('51 R: client ping → {} within 100 ms while the upstream is busy or restarting', async () => {
    const s = await streamable('busy')
    const other = await streamable('busy')
    const busy = s.post({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: call('late', { ms: 1000 }) })
    await sleep(100)
    let t = performance.now()
    const p = await s.request('ping', undefined, 'p1')
    assert.ok(performance.now() - t < 100, `ping took ${performance.now() - t} ms while busy`)
    assert.deepEqual(p.result, {})
    // Now crash it and ping while it restarts.
    const crashed = await other.request('tools/call', call('crash'), 'c')
    assert.ok(crashed.error, 'crash should fail the call')
    // Many pings on a loaded machine: the median must meet 100 ms, and none may wait for the upstream (≥ 500 ms).
    const times: number[] = []
    for (let i = 0; i < 200; i++) {
      const state = gw.gateway.relay.status('demo').busy.state
      if (state === 'running') break
      t = performance.now()
      const r = await s.request('ping', undefined, `r${i}`)
      const ms = performance.now() - t
      assert.deepEqual(r.result, {})
      assert.ok(ms < 500, `ping took ${ms} ms while the upstream was ${state}`)
      times.push(ms)
      await sleep(20)
    }
    assert.ok(times.length > 0, 'never pinged while the upstream was restarting')
    const median = [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]
    assert.ok(median < 100, `median ping ${median} ms while restarting`)
    await busy.catch(() => {})
  })

  it('52 R: an upstream ping is answered by mcpo and never forwarded to a client', async () => {
    const s = await legacy('sc')
    const res = await s.request('tools/call', call('ping-client'))
    const report = JSON.parse(textOf(res) ?? '{}') as { msg: RpcMsg; ms: number }
    assert.deepEqual(report.msg.result, {})
    assert.ok(report.ms < 100, `mcpo answered the upstream ping after ${report.ms} ms`)
    assert.ok(!s.messages.some((m) => m.method === 'ping'), 'the upstream ping reached the client')
  })

  it('53 R: shared mode: upstream sampling/elicitation → upstream gets -32601 within 100 ms; no client receives it', async () => {
    const caps = { elicitation: {}, sampling: {} }
    const init = { protocolVersion: '2025-11-25', capabilities: caps, clientInfo: { name: 't', version: '1' } }
    const a = await legacy('fx', init)
    const b = await legacy('fx', init)
    const before = readLog(FX).length
    for (const mode of ['elicitation', 'sampling']) {
      const res = await a.request('tools/call', call('ask', { mode }))
      assert.match(textOf(res) ?? '', /client refused.*-32601/)
    }
    await sleep(100)
    const log = readLog(FX).slice(before)
    for (const method of ['elicitation/create', 'sampling/createMessage']) {
      const asked = log.find((e) => e.d === 'out' && e.msg?.method === method)
      assert.ok(asked, `the fixture never sent ${method}`)
      const answer = log.find((e) => e.d === 'in' && e.msg?.id === asked.msg?.id && e.msg?.method === undefined)
      assert.ok(answer, `no answer to ${method}`)
      assert.equal(answer.msg?.error?.code, -32601)
      assert.ok(answer.t - asked.t < 100, `${method} refused after ${answer.t - asked.t} ms`)
      for (const c of [a, b]) assert.ok(!c.messages.some((m) => m.method === method), `${method} reached a client`)
    }
  })

  it('54 R: per-session mode: upstream elicitation/create reaches exactly the owning client; its answer reaches the upstream with the original id', async () => {
    const asked: string[] = []
    const clients: Client[] = []
    try {
      for (const name of ['owner', 'bystander']) {
        const client = new Client({ name, version: '1.0.0' }, { capabilities: { elicitation: {} } })
        client.setRequestHandler(ElicitRequestSchema, () => {
          asked.push(name)
          return { action: 'accept', content: { color: 'blue' } }
        })
        clients.push(client)
      }
      // Each session starts its own fixture: connect both at once.
      await Promise.all(
        clients.map((c) =>
          c.connect(new SSEClientTransport(new URL(sse('fxp')), { requestInit: { headers: gw.auth } })),
        ),
      )
      const before = readLog(PS).length
      const res = await clients[0].callTool({ name: 'ask', arguments: { mode: 'elicitation' } })
      assert.equal(res.isError, false, JSON.stringify(res))
      assert.deepEqual(JSON.parse(textOf(res as { content: unknown }) ?? '{}'), {
        action: 'accept',
        content: { color: 'blue' },
      })
      assert.deepEqual(asked, ['owner'])
      const log = readLog(PS).slice(before)
      const request = log.find((e) => e.d === 'out' && e.msg?.method === 'elicitation/create')
      assert.ok(request)
      const answer = log.find((e) => e.d === 'in' && e.msg?.method === undefined && e.msg?.id === request.msg?.id)
      assert.ok(answer, 'the client answer did not reach the upstream with its original id')
      assert.equal(answer.pid, request.pid, 'answered on another upstream')
      assert.equal((answer.msg?.result as { action?: string } | undefined)?.action, 'accept')
      const pids = gw.gateway.relay.status('demo').fxp.pids
      assert.equal(pids.length, 2, 'per-session: one upstream per session')
    } finally {
      for (const c of clients) await c.close()
    }
  })

  it('55 R: two sessions subscribe one URI → one upstream subscribe; one unsubscribes → no upstream unsubscribe; updates only to subscribers', async () => {
    const [a, b, c] = await Promise.all([legacy('fx'), legacy('fx'), legacy('fx')])
    const uri = 'fixture://hello'
    const before = readLog(FX).length
    const upstream = (method: string) =>
      readLog(FX)
        .slice(before)
        .filter((e) => e.d === 'in' && e.msg?.method === method)
    assert.deepEqual((await a.request('resources/subscribe', { uri })).result, {})
    assert.deepEqual((await b.request('resources/subscribe', { uri })).result, {})
    assert.equal(upstream('resources/subscribe').length, 1)
    assert.deepEqual((await a.request('resources/unsubscribe', { uri })).result, {})
    assert.equal(upstream('resources/unsubscribe').length, 0)
    await c.request('tools/call', call('notify', { uri }))
    await b.stream.waitMessage((m) => m.method === 'notifications/resources/updated', 2000)
    await sleep(300)
    const updated = (s: LegacyClient) => s.messages.filter((m) => m.method === 'notifications/resources/updated').length
    assert.equal(updated(b), 1)
    assert.equal(updated(a), 0)
    assert.equal(updated(c), 0)
    assert.deepEqual((await b.request('resources/unsubscribe', { uri })).result, {})
    assert.equal(upstream('resources/unsubscribe').length, 1, 'the last unsubscribe should reach the upstream')
  })

  it('56 R: logging/setLevel from session A never makes session B receive unrequested notifications/message', async () => {
    const a = await legacy('ev')
    const b = await legacy('ev')
    assert.deepEqual((await a.request('logging/setLevel', { level: 'debug' })).result, {})
    await a.request('tools/call', call('toggle-simulated-logging'))
    try {
      await a.stream.waitMessage((m) => m.method === 'notifications/message', 3000)
      await sleep(300)
      assert.equal(b.messages.filter((m) => m.method === 'notifications/message').length, 0)
    } finally {
      await a.request('tools/call', call('toggle-simulated-logging'))
    }
  })

  it('57 R: an upstream paging tools/list (3 pages) → one response with all tools, no nextCursor; a bogus cursor → -32602', async () => {
    const s = await streamable('pg')
    const res = await s.post({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    assert.equal(res.status, 200)
    const result = res.messages[0].result as { tools: { name: string }[]; nextCursor?: string }
    assert.deepEqual(result.tools.map((t) => t.name).sort(), [
      'ask',
      'crash',
      'echo',
      'fail',
      'garbage',
      'hang',
      'notify',
      'slow',
    ])
    assert.equal(result.nextCursor, undefined)
    const bogus = await s.post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { cursor: 'bogus' } })
    assert.equal(bogus.status, 200)
    assert.equal(bogus.messages[0].error?.code, -32602)
    assert.equal(bogus.messages[0].id, 2)
  })

  it('58 R: the client InitializeResult capabilities = the upstream ones minus tasks; listChanged kept (relayed)', async () => {
    const direct = new Client({ name: 'direct', version: '1.0.0' }, { capabilities: {} })
    const everything = everythingServer()
    try {
      await direct.connect(
        new StdioClientTransport({ command: everything.command, args: everything.args, stderr: 'ignore' }),
      )
      const upstreamCaps = direct.getServerCapabilities() as Record<string, unknown>
      assert.ok(upstreamCaps.tasks, 'server-everything advertises tasks (the thing to filter)')
      const fresh = await freshInit('ev')
      const { tasks: _dropped, ...expected } = upstreamCaps
      const got = fresh as { capabilities: Record<string, unknown>; serverInfo: unknown; instructions?: string }
      assert.deepEqual(got.capabilities, expected)
      assert.equal((got.capabilities.tools as { listChanged?: boolean }).listChanged, true)
      assert.deepEqual(got.serverInfo, direct.getServerVersion())
      assert.equal(got.instructions, direct.getInstructions())
    } finally {
      await direct.close()
    }
  })

  it('59 R: an unknown method → the upstream -32601 passed through unchanged in a 2xx exchange', async () => {
    const s = await streamable('fx')
    const res = await s.post({ jsonrpc: '2.0', id: 'u1', method: 'vendor/unknown', params: {} })
    assert.equal(res.status, 200)
    const err = res.messages.find((m) => m.id === 'u1')?.error
    assert.equal(err?.code, -32601)
    const upstreamAnswer = readLog(FX).find(
      (e) =>
        e.d === 'out' &&
        e.msg?.error?.code === -32601 &&
        readLog(FX).some((i) => i.d === 'in' && i.msg?.method === 'vendor/unknown' && i.msg.id === e.msg?.id),
    )
    assert.ok(upstreamAnswer, 'the request never reached the upstream')
    assert.deepEqual(err, upstreamAnswer.msg?.error)
    const l = await legacy('fx')
    const viaLegacy = await l.request('vendor/unknown', {}, 'u2')
    assert.deepEqual(viaLegacy.error, upstreamAnswer.msg?.error)
  })
})

async function freshInit(server: string): Promise<unknown> {
  return (await readRpc(await postMcp(mcp(server), initializeRequest(0), gw.auth), 0)).result
}
