// Conformance items 60–65 (protocol.md §9, upstream): crashes, garbage and stderr on stdio, timeouts, remote
// Streamable sessions that expire, remote SSE streams that drop, mcpo's own handshake; plus no retry of a crashed
// tools/call and one upstream per isolation unit.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { waitFor } from '../fixtures/processes.ts'
import { readLog, scripted, tapped, toolCalls } from '../fixtures/recording-upstreams.ts'
import { everythingServer, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { LegacyClient, StreamableClient, textOf } from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep } from '../kit/waiting.ts'

const dir = tempDir('upstream')
const FX = join(dir.path, 'fx.log')
const EV = join(dir.path, 'ev.log')
const PER = join(dir.path, 'per.log')
// Looks like a JSON-RPC notification so a gateway that parsed stderr would relay it.
const STDERR_LINE = JSON.stringify({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { level: 'error', data: 'STDERR-LEAK' },
})

let gw: TestGateway
let remoteMcp: HttpFixture
let remoteSse: HttpFixture
const opened: { close(): unknown }[] = []
const sse = (server: string) => `${gw.url}/projects/demo/servers/${server}/sse`
const mcp = (server: string) => `${gw.url}/projects/demo/servers/${server}/mcp`
const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args })

async function legacy(server: string): Promise<LegacyClient> {
  const c = await LegacyClient.connect(sse(server), gw.auth)
  opened.push(c)
  return c
}
async function streamable(server: string): Promise<StreamableClient> {
  const c = await StreamableClient.connect(mcp(server), gw.auth)
  opened.push(c)
  return c
}

before(async () => {
  remoteMcp = await startHttpFixture({ transport: 'streamable-http' })
  remoteSse = await startHttpFixture({ transport: 'sse' })
  gw = await startTestGateway({
    upstreams: { restartInitialMs: 100 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [
          { ...tapped('fx', FX, fixtureServer('fx'), { stderrLine: STDERR_LINE, timeoutMs: 1000 }), autoStart: true },
          { ...fixtureServer('big'), timeoutMs: 3_600_000 },
          { name: 'rs', transport: 'streamable-http', url: remoteMcp.url },
          { name: 'rsse', transport: 'sse', url: remoteSse.url },
          tapped('ev', EV, everythingServer('ev')),
          { ...scripted('per', PER), isolation: 'per-session' },
        ],
      },
    ],
  })
})

after(async () => {
  for (const c of opened) await c.close()
  await gw?.close()
  await remoteMcp?.close()
  await remoteSse?.close()
  dir.cleanup()
})

describe('upstream conformance (protocol.md §9 items 60–65)', () => {
  it('61 U: a non-JSON stdout line is logged and dropped, the session keeps working; stderr never reaches clients', async () => {
    const s = await legacy('fx')
    const res = await s.request('tools/call', call('garbage'))
    assert.equal(textOf(res), 'answered after garbage')
    assert.ok(
      readLog(FX).some((e) => e.d === 'out' && e.line === 'this line is not JSON'),
      'the fixture printed its garbage line',
    )
    assert.equal(textOf(await s.request('tools/call', call('echo', { message: 'still here' }))), 'Echo: still here')
    await sleep(100)
    const status = gw.gateway.relay.status('demo').fx
    assert.ok(
      status.stderr.some((l) => l.includes('STDERR-LEAK')),
      'stderr is kept for the operator',
    )
    assert.ok(!s.messages.some((m) => JSON.stringify(m).includes('STDERR-LEAK')), 'stderr reached the client')
    assert.ok(!s.messages.some((m) => m.method === 'notifications/message'))
  })

  it('62 U: upstream slower than the timeout → JSON-RPC timeout error, notifications/cancelled upstream; timeout configurable to ≥ 3600 s', async () => {
    const s = await streamable('fx')
    const t = performance.now()
    const res = await s.post({ jsonrpc: '2.0', id: 'h', method: 'tools/call', params: call('hang') })
    const ms = performance.now() - t
    assert.equal(res.status, 200)
    const answer = res.messages.find((m) => m.id === 'h')
    assert.ok(answer?.error, `expected an error, got ${res.text}`)
    assert.equal(answer.error.code, -32011)
    assert.ok(ms >= 900 && ms < 3000, `timed out after ${ms} ms (timeoutMs 1000)`)
    await sleep(100)
    const hang = toolCalls(FX, 'hang').at(-1)
    assert.ok(hang)
    const cancel = readLog(FX).find(
      (e) => e.d === 'in' && e.msg?.method === 'notifications/cancelled' && e.msg.params?.requestId === hang.msg?.id,
    )
    assert.ok(cancel, 'no notifications/cancelled with the upstream id')
    assert.equal(gw.gateway.relay.runtime('demo', 'big')?.spec.timeoutMs, 3_600_000)
  })

  it('60 U: stdio child exits during a call → JSON-RPC error within 1 s; restarted, re-initialized; sessions get list_changed and stay valid', async () => {
    const a = await streamable('fx')
    const aGet = await a.openGet()
    const b = await legacy('fx')
    const pidBefore = gw.gateway.relay.status('demo').fx.pid
    assert.ok(pidBefore)
    const initsBefore = readLog(FX).filter((e) => e.d === 'in' && e.msg?.method === 'initialize').length
    const crashesBefore = toolCalls(FX, 'crash').length

    // A has a call in flight on a Streamable POST stream while B's call crashes the child.
    const inflight = await a.postStream({
      jsonrpc: '2.0',
      id: 'slow',
      method: 'tools/call',
      params: call('slow', { steps: 50, ms: 100 }),
    })
    assert.equal(inflight.status, 200)
    await sleep(150)
    const t = performance.now()
    const [crashed, aborted] = await Promise.all([
      b.request('tools/call', call('crash'), 'c1'),
      inflight.stream.waitMessage((m) => m.id === 'slow', 2000),
    ])
    const ms = performance.now() - t
    assert.ok(crashed.error, 'the crash call should get a JSON-RPC error')
    assert.ok(aborted.error, 'the in-flight call should get a JSON-RPC error')
    assert.ok(ms < 1000, `errors took ${ms} ms`)

    await Promise.all([
      aGet.waitMessage((m) => m.method === 'notifications/tools/list_changed', 10_000),
      b.stream.waitMessage((m) => m.method === 'notifications/tools/list_changed', 10_000),
    ])
    const status = gw.gateway.relay.status('demo').fx
    assert.equal(status.state, 'running')
    assert.notEqual(status.pid, pidBefore)
    assert.ok(status.restarts >= 1)
    assert.equal(readLog(FX).filter((e) => e.d === 'in' && e.msg?.method === 'initialize').length, initsBefore + 1)
    assert.equal(textOf(await a.request('tools/call', call('echo', { message: 'a' }))), 'Echo: a')
    assert.equal(textOf(await b.request('tools/call', call('echo', { message: 'b' }))), 'Echo: b')
    // The call that crashed the upstream was never replayed on the new process.
    await sleep(200)
    assert.equal(toolCalls(FX, 'crash').length, crashesBefore + 1)
  })

  it('60b U: a tools/call that failed because the upstream crashed is never retried (the crash tool ran once)', async () => {
    const s = await legacy('fx')
    const before = toolCalls(FX, 'crash').length
    const res = await s.request('tools/call', call('crash'), 'once')
    assert.ok(res.error)
    await s.stream.waitMessage((m) => m.method === 'notifications/tools/list_changed', 10_000)
    await sleep(300)
    assert.equal(toolCalls(FX, 'crash').length, before + 1)
    assert.equal(s.messages.filter((m) => m.id === 'once').length, 1)
  })

  it('60c U: one upstream per server per isolation unit: shared → one pid for all sessions, per-session → one per session', async () => {
    const [a, b] = await Promise.all([legacy('fx'), streamable('fx')])
    await a.request('tools/call', call('echo', { message: 'a' }))
    await b.request('tools/call', call('echo', { message: 'b' }))
    const echoes = toolCalls(FX, 'echo').slice(-2)
    assert.equal(echoes[0].pid, echoes[1].pid)
    assert.equal(gw.gateway.relay.status('demo').fx.pids.length, 1)

    const [c, d] = await Promise.all([legacy('per'), streamable('per')])
    for (const [s, tag] of [
      [c, 'c1'],
      [d, 'd1'],
      [c, 'c2'],
      [d, 'd2'],
    ] as const) {
      assert.equal(textOf(await s.request('tools/call', call('echo', { message: tag }))), `Echo: ${tag}`)
    }
    const byTag = new Map(
      toolCalls(PER, 'echo').map((e) => [
        (e.msg?.params?.arguments as { message?: string } | undefined)?.message,
        e.pid,
      ]),
    )
    assert.equal(byTag.get('c1'), byTag.get('c2'))
    assert.equal(byTag.get('d1'), byTag.get('d2'))
    assert.notEqual(byTag.get('c1'), byTag.get('d1'))
    assert.equal(gw.gateway.relay.status('demo').per.pids.length, 2)
  })

  it('63 U: remote Streamable upstream answers 404 → mcpo re-initializes and retries only idempotent requests; tools/call gets an error, no replay', async () => {
    const s = await streamable('rs')
    assert.equal(textOf(await s.request('tools/call', call('echo', { message: 'before' }))), 'Echo: before')
    const initializes = () => remoteMcp.requests.filter((r) => r.body?.includes('"initialize"')).length
    const echoPosts = (message: string) =>
      remoteMcp.requests.filter((r) => r.body?.includes(`"message":"${message}"`)).length
    const initsBefore = initializes()

    // An idempotent request that meets the 404 is retried on a fresh upstream session.
    await remoteMcp.expireSessions()
    const read = await s.request('resources/read', { uri: 'fixture://hello' })
    assert.equal(read.error, undefined, `resources/read after a 404: ${JSON.stringify(read.error)}`)
    assert.equal((read.result as { contents: { text: string }[] }).contents[0].text, 'Hello from the fixture')
    assert.equal(initializes(), initsBefore + 1)

    // A tools/call that meets the 404 fails and is not replayed.
    await remoteMcp.expireSessions()
    const failed = await s.request('tools/call', call('echo', { message: 'after-404' }))
    assert.ok(failed.error, `tools/call after a 404 should fail, got ${JSON.stringify(failed.result)}`)
    await sleep(200)
    assert.equal(echoPosts('after-404'), 1, 'the tools/call was replayed')
    // The client session is still good: the next call gets a fresh upstream session.
    assert.equal(textOf(await s.request('tools/call', call('echo', { message: 'later' }))), 'Echo: later')
  })

  it('64 U: remote legacy-SSE upstream drops its stream → mcpo reconnects and re-initializes; later calls succeed', async () => {
    const s = await legacy('rsse')
    assert.equal(textOf(await s.request('tools/call', call('echo', { message: 'one' }))), 'Echo: one')
    const gets = () => remoteSse.requests.filter((r) => r.method === 'GET').length
    const inits = () => remoteSse.requests.filter((r) => r.body?.includes('"initialize"')).length
    const [getsBefore, initsBefore] = [gets(), inits()]
    remoteSse.dropStreams()
    // The per-session upstream connection notices the drop and goes away; the client session stays.
    assert.ok(await waitFor(() => gw.gateway.relay.status('demo').rsse.connections === 0, 3000), 'drop not noticed')
    assert.equal(textOf(await s.request('tools/call', call('echo', { message: 'two' }))), 'Echo: two')
    assert.equal(gets(), getsBefore + 1)
    assert.equal(inits(), initsBefore + 1)
  })

  it('65 U: the upstream handshake uses mcpo capabilities {}: no roots/sampling/elicitation tools; the post-init list_changed is coalesced', async () => {
    const direct = new Client({ name: 'direct', version: '1.0.0' }, { capabilities: {} })
    let directChanged = 0
    direct.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      directChanged++
    })
    const everything = everythingServer()
    try {
      const s = await legacy('ev')
      await direct.connect(
        new StdioClientTransport({ command: everything.command, args: everything.args, stderr: 'ignore' }),
      )
      const init = readLog(EV).find((e) => e.d === 'in' && e.msg?.method === 'initialize')
      assert.deepEqual(init?.msg?.params?.capabilities, {})
      // Precondition: server-everything does send a list_changed right after initialized, to mcpo and to a direct client.
      const upstreamChanged = () =>
        readLog(EV).filter((e) => e.d === 'out' && e.msg?.method === 'notifications/tools/list_changed').length
      assert.ok(await waitFor(() => upstreamChanged() >= 1 && directChanged >= 1, 5000), 'no post-init list_changed')
      await sleep(300)
      const relayed = s.messages.filter((m) => m.method === 'notifications/tools/list_changed').length
      assert.ok(relayed <= 1, `the client got ${relayed} list_changed for one upstream start`)
      const names = ((await s.request('tools/list')).result as { tools: { name: string }[] }).tools.map((t) => t.name)
      for (const absent of ['get-roots-list', 'trigger-sampling-request', 'trigger-elicitation-request']) {
        assert.ok(!names.includes(absent), `${absent} is listed although mcpo declared no capabilities`)
      }
      const expected = (await direct.listTools()).tools.map((t) => t.name)
      assert.deepEqual(names.sort(), expected.sort())
    } finally {
      await direct.close()
    }
  })
})
