// The 2026-07-28 revision toward clients (protocol.md §11.1–11.3, checklist M1–M13): stateless POSTs on the same
// Streamable HTTP URLs as the 2025 era, discovery, header validation, Mcp-Param-* checks, version and envelope errors,
// cache hints, per-principal lists, cancellation by closing the stream, per-request log levels and trace keys, against
// a real gateway with server-everything, the fixture (tapped), a header-params upstream and meta-echo.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { joinSubjects, toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import type { NewToolPolicy } from '../../plugins/storage/rows.ts'
import { waitFor } from '../fixtures/processes.ts'
import { readLog, tapped, toolCalls } from '../fixtures/recording-upstreams.ts'
import {
  assertNoLeftovers,
  everythingServer,
  OTHER_KEY,
  OTHER_PROJECT_KEY,
  startTestGateway,
  TEST_KEY,
  type TestGateway,
} from '../harness.ts'
import {
  ACCEPT_BOTH,
  deleteSession,
  INIT_PARAMS,
  type Json,
  messagesOf,
  type RpcMsg,
  SseStream,
  StreamableClient,
  textOf,
} from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep } from '../kit/waiting.ts'

const V = '2026-07-28'
const ROOT = join(import.meta.dirname, '..', '..')
const dir = tempDir('modern')
const FX = join(dir.path, 'fixture.log')

const EVERYTHING = '/projects/demo/servers/everything/mcp'
const FIXTURE = '/projects/demo/servers/fixture/mcp'
const PARAMS = '/projects/demo/servers/params/mcp'
const META_ECHO = '/projects/demo/servers/meta/mcp'
const UNIFIED = '/projects/demo/mcp'

const HEADER_MISMATCH = -32020
const UNSUPPORTED_VERSION = -32022

let gw: TestGateway
const policies = toolPolicies()
const auditing = audit()

function envelope(extra: Json = {}): Json {
  return {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
    ...extra,
  }
}

interface Answer {
  status: number
  headers: Headers
  text: string
  messages: RpcMsg[]
  /** The response to the request's id (result or error), if any. */
  final: RpcMsg | undefined
}

interface ModernOpts {
  id?: string | number
  /** Header overrides: null removes a default header. */
  headers?: Record<string, string | null>
  key?: string | null
  /** Replaces `params._meta` (null: no `_meta` at all). */
  meta?: Json | null
  signal?: AbortSignal
}

const NAMED: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' }

function modernRequest(path: string, method: string, params: Json = {}, opts: ModernOpts = {}): Promise<Response> {
  const id = opts.id ?? 1
  const meta = opts.meta === undefined ? envelope() : opts.meta
  const body = { jsonrpc: '2.0', id, method, params: meta === null ? params : { ...params, _meta: meta } }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: ACCEPT_BOTH,
    'mcp-protocol-version': V,
    'mcp-method': method,
  }
  const field = NAMED[method]
  if (field && typeof params[field] === 'string') headers['mcp-name'] = params[field] as string
  const key = opts.key === undefined ? TEST_KEY : opts.key
  if (key !== null) headers.authorization = `Bearer ${key}`
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()]
    else headers[k.toLowerCase()] = v
  }
  return fetch(gw.url + path, { method: 'POST', headers, body: JSON.stringify(body), signal: opts.signal })
}

async function modern(path: string, method: string, params: Json = {}, opts: ModernOpts = {}): Promise<Answer> {
  const res = await modernRequest(path, method, params, opts)
  const text = await res.text()
  const messages = messagesOf(res.headers.get('content-type') ?? '', text)
  const id = opts.id ?? 1
  return {
    status: res.status,
    headers: res.headers,
    text,
    messages,
    final: messages.find((m) => m.method === undefined && m.id === id),
  }
}

/** The result of a 200 answer, failing with the body otherwise. */
function resultOf(a: Answer): Json {
  assert.equal(a.status, 200, a.text)
  assert.equal(a.final?.error, undefined, a.text)
  assert.ok(a.final?.result, a.text)
  return a.final.result as Json
}

/** A 400 (or given status) JSON-RPC error with this code, answering the request's id. */
function assertRefused(a: Answer, status: number, code: number, id: string | number = 1): RpcMsg {
  assert.equal(a.status, status, a.text)
  assert.ok(a.final, `no answer to id ${id}: ${a.text}`)
  assert.equal(a.final.id, id)
  assert.equal(a.final.error?.code, code, a.text)
  return a.final
}

function assertCacheable(result: Json, what: string): void {
  assert.equal(result.resultType, 'complete', `${what}: resultType`)
  assert.ok(Number.isInteger(result.ttlMs) && (result.ttlMs as number) >= 0, `${what}: ttlMs ${result.ttlMs}`)
  assert.equal(result.cacheScope, 'private', `${what}: cacheScope`)
}

const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`
const toolNames = (r: Json) => (r.tools as { name: string }[]).map((t) => t.name)

before(async () => {
  const node = process.execPath
  gw = await startTestGateway({
    plugins: [sessions(), apiKeys(), policies, auditing],
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [
          { name: 'test', key: TEST_KEY },
          { name: 'other', key: OTHER_KEY },
        ],
        servers: [
          everythingServer(),
          tapped('fixture', FX),
          {
            name: 'params',
            transport: 'stdio',
            command: node,
            args: ['--import', 'tsx', join(ROOT, 'test/fixtures/header-params-server.ts')],
            cwd: ROOT,
          },
          {
            name: 'meta',
            transport: 'stdio',
            command: node,
            args: ['--import', 'tsx', join(ROOT, 'test/fixtures/meta-echo.ts')],
            cwd: ROOT,
          },
        ],
      },
      {
        id: 'other',
        name: 'Other',
        apiKeys: [{ name: 'other', key: OTHER_PROJECT_KEY }],
        servers: [everythingServer()],
      },
    ],
  })
  // M7: the second key may not call everything's echo.
  const keys = await gw.gateway.store.apiKeys.list('demo')
  const other = keys.find((k) => k.name === 'other')
  assert.ok(other, 'the other key is stored')
  await gw.gateway.store.toolPolicies.create({
    projectId: 'demo',
    effect: 'deny',
    serverPattern: 'everything',
    toolPattern: 'echo',
    // Key subjects are stored beside roles (plugins/rbac/policies.ts joinSubjects).
    roles: joinSubjects([], [other.id]) as NewToolPolicy['roles'],
    description: 'no echo for the other key',
  })
  await policies.refresh('demo')
})

after(async () => {
  await gw?.close()
  dir.cleanup()
  await assertNoLeftovers()
})

describe('M1 stateless POSTs beside 2025 sessions on one URL', () => {
  it('M1 serves a modern POST with no Mcp-Session-Id in the answer', async () => {
    for (const path of [EVERYTHING, UNIFIED]) {
      const a = await modern(path, 'tools/list')
      const r = resultOf(a)
      assert.ok(Array.isArray(r.tools))
      assert.equal(a.headers.get('mcp-session-id'), null, `${path}: no session minted`)
    }
    // A session id sent along is ignored, not echoed.
    const a = await modern(EVERYTHING, 'tools/list', {}, { headers: { 'mcp-session-id': 'not-a-session' } })
    resultOf(a)
    assert.equal(a.headers.get('mcp-session-id'), null)
  })

  it('M1 initialize (no envelope, 2025 header or none) still opens a 2025 session on the same URL', async () => {
    const variants: Record<string, string>[] = [{}, { 'mcp-protocol-version': '2025-06-18' }]
    for (const extra of variants) {
      const res = await fetch(gw.url + EVERYTHING, {
        method: 'POST',
        headers: { ...gw.auth, accept: ACCEPT_BOTH, 'content-type': 'application/json', ...extra },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: INIT_PARAMS }),
      })
      const text = await res.text()
      assert.equal(res.status, 200, text)
      const sid = res.headers.get('mcp-session-id')
      assert.ok(sid, `a 2025 session is opened (${JSON.stringify(extra)})`)
      const init = messagesOf(res.headers.get('content-type') ?? '', text).find((m) => m.id === 0)
      assert.match(String((init?.result as Json | undefined)?.protocolVersion), /^2025-/)
      await deleteSession(gw.url + EVERYTHING, gw.auth, sid)
    }
  })

  it('M1 GET and DELETE with MCP-Protocol-Version 2026-07-28 answer 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      for (const path of [EVERYTHING, UNIFIED]) {
        const res = await fetch(gw.url + path, {
          method,
          headers: { ...gw.auth, accept: ACCEPT_BOTH, 'mcp-protocol-version': V },
        })
        await res.arrayBuffer()
        assert.equal(res.status, 405, `${method} ${path}`)
      }
    }
  })
})

describe('M2 server/discover', () => {
  for (const [label, path] of [
    ['per-server', EVERYTHING],
    ['unified', UNIFIED],
  ] as const) {
    it(`M2 server/discover on the ${label} endpoint`, async () => {
      const a = await modern(path, 'server/discover')
      const r = resultOf(a)
      assert.deepEqual(r.supportedVersions, [V])
      assert.equal(typeof r.capabilities, 'object')
      assert.ok(r.capabilities !== null)
      assert.ok((r.capabilities as Json).tools, 'tools capability')
      const info = (r._meta as Json | undefined)?.['io.modelcontextprotocol/serverInfo'] as Json | undefined
      assert.ok(info, 'serverInfo in _meta')
      assert.equal(typeof info.name, 'string')
      assert.equal(typeof info.version, 'string')
      assertCacheable(r, `discover ${label}`)
      assert.equal(a.headers.get('mcp-session-id'), null)
    })
  }
})

describe('M3 standard header validation', () => {
  it('M3 a missing Mcp-Method is 400 -32020 with the request id', async () => {
    const a = await modern(EVERYTHING, 'tools/list', {}, { id: 'm3-a', headers: { 'mcp-method': null } })
    assertRefused(a, 400, HEADER_MISMATCH, 'm3-a')
  })

  it('M3 an Mcp-Name that disagrees with params.name is 400 -32020', async () => {
    const a = await modern(
      EVERYTHING,
      'tools/call',
      { name: 'echo', arguments: { message: 'x' } },
      { id: 7, headers: { 'mcp-name': 'get-sum' } },
    )
    assertRefused(a, 400, HEADER_MISMATCH, 7)
    // An Mcp-Method that disagrees with the body method too.
    const m = await modern(EVERYTHING, 'tools/list', {}, { id: 8, headers: { 'mcp-method': 'prompts/list' } })
    assertRefused(m, 400, HEADER_MISMATCH, 8)
  })

  it('M3 a base64 Mcp-Name is decoded and accepted', async () => {
    const a = await modern(
      EVERYTHING,
      'tools/call',
      { name: 'echo', arguments: { message: 'b64' } },
      { headers: { 'mcp-name': b64('echo') } },
    )
    assert.match(String(textOf(resultOf(a) as { content?: unknown })), /b64/)
  })

  it('M3 an invalid base64 sentinel is 400 -32020', async () => {
    const a = await modern(
      EVERYTHING,
      'tools/call',
      { name: 'echo', arguments: { message: 'x' } },
      { id: 'bad-b64', headers: { 'mcp-name': '=?base64?!!not*base64?=' } },
    )
    assertRefused(a, 400, HEADER_MISMATCH, 'bad-b64')
  })

  it('M3 an MCP-Protocol-Version header that differs from the _meta version is 400 -32020', async () => {
    const a = await modern(
      EVERYTHING,
      'tools/list',
      {},
      { id: 11, meta: envelope({ 'io.modelcontextprotocol/protocolVersion': '2026-08-01' }) },
    )
    assertRefused(a, 400, HEADER_MISMATCH, 11)
  })
})

describe('M4 Mcp-Param-* headers against x-mcp-header', () => {
  const locate = (region: string) => ({ name: 'locate', arguments: { region } })

  it('M4 a matching Mcp-Param-Region passes', async () => {
    const a = await modern(PARAMS, 'tools/call', locate('eu-west'), { headers: { 'mcp-param-region': 'eu-west' } })
    assert.equal(textOf(resultOf(a) as { content?: unknown }), 'region=eu-west')
  })

  it('M4 a missing Mcp-Param-Region is 400 -32020', async () => {
    const a = await modern(PARAMS, 'tools/call', locate('eu-west'), { id: 'no-hdr' })
    assertRefused(a, 400, HEADER_MISMATCH, 'no-hdr')
  })

  it('M4 a mismatching Mcp-Param-Region is 400 -32020', async () => {
    const a = await modern(PARAMS, 'tools/call', locate('eu-west'), {
      id: 'mis',
      headers: { 'mcp-param-region': 'us-east' },
    })
    assertRefused(a, 400, HEADER_MISMATCH, 'mis')
  })

  it('M4 the base64 form of a non-ASCII value passes', async () => {
    const a = await modern(PARAMS, 'tools/call', locate('Zürich'), { headers: { 'mcp-param-region': b64('Zürich') } })
    assert.equal(textOf(resultOf(a) as { content?: unknown }), 'region=Zürich')
  })

  it('M4 the unified endpoint checks the header of a namespaced tool too', async () => {
    const ok = await modern(
      UNIFIED,
      'tools/call',
      { name: 'params__locate', arguments: { region: 'ap' } },
      { headers: { 'mcp-param-region': 'ap' } },
    )
    assert.equal(textOf(resultOf(ok) as { content?: unknown }), 'region=ap')
    const missing = await modern(UNIFIED, 'tools/call', { name: 'params__locate', arguments: { region: 'ap' } })
    assertRefused(missing, 400, HEADER_MISMATCH)
  })

  it('M4 a tool with an invalid x-mcp-header is left out of the modern tools/list, kept in the 2025 one', async () => {
    const modernList = toolNames(resultOf(await modern(PARAMS, 'tools/list')))
    assert.ok(modernList.includes('locate'))
    assert.ok(!modernList.includes('broken'), `modern list: ${modernList}`)
    const unifiedList = toolNames(resultOf(await modern(UNIFIED, 'tools/list')))
    assert.ok(unifiedList.includes('params__locate'))
    assert.ok(!unifiedList.includes('params__broken'), `unified modern list: ${unifiedList}`)
    const legacy = await StreamableClient.connect(gw.url + PARAMS, gw.auth)
    try {
      const r = await legacy.request('tools/list')
      const names = toolNames(r.result as Json)
      assert.ok(names.includes('broken') && names.includes('locate'), `2025 list: ${names}`)
    } finally {
      await legacy.close()
    }
  })
})

describe('M5 versions, envelope and removed methods', () => {
  it('M5 an unsupported version (header and _meta) is 400 -32022 with supported and requested', async () => {
    const a = await modern(
      EVERYTHING,
      'tools/list',
      {},
      {
        id: 'v999',
        headers: { 'mcp-protocol-version': 'v999.0.0' },
        meta: envelope({ 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }),
      },
    )
    const err = assertRefused(a, 400, UNSUPPORTED_VERSION, 'v999')
    assert.deepEqual(err.error?.data, { supported: [V], requested: 'v999.0.0' })
  })

  it('M5 a missing _meta or a missing clientCapabilities is 400 -32602', async () => {
    const none = await modern(EVERYTHING, 'tools/list', {}, { id: 'nometa', meta: null })
    assertRefused(none, 400, -32602, 'nometa')
    const meta = envelope()
    delete meta['io.modelcontextprotocol/clientCapabilities']
    const nocaps = await modern(EVERYTHING, 'tools/list', {}, { id: 'nocaps', meta })
    assertRefused(nocaps, 400, -32602, 'nocaps')
  })

  it('M5 ping, initialize with an envelope, logging/setLevel, resources/subscribe and unknown methods are 404 -32601', async () => {
    const cases: [string, Json][] = [
      ['ping', {}],
      ['initialize', { ...INIT_PARAMS, protocolVersion: V }],
      ['logging/setLevel', { level: 'debug' }],
      ['resources/subscribe', { uri: 'demo://resource/static/document/architecture.md' }],
      ['unknown/method', {}],
    ]
    for (const [method, params] of cases) {
      for (const path of [EVERYTHING, UNIFIED]) {
        const a = await modern(path, method, params, { id: method })
        assertRefused(a, 404, -32601, method)
        assert.equal(a.headers.get('mcp-session-id'), null, `${method}: no session`)
      }
    }
  })
})

describe('M6 resultType and cache hints', () => {
  it('M6 tools/call results carry resultType complete', async () => {
    for (const [path, name] of [
      [EVERYTHING, 'echo'],
      [UNIFIED, 'everything__echo'],
    ]) {
      const r = resultOf(await modern(path, 'tools/call', { name, arguments: { message: 'rt' } }))
      assert.equal(r.resultType, 'complete', path)
      assert.equal(textOf(r as { content?: unknown }), 'Echo: rt')
    }
  })

  it('M6 lists and resources/read carry ttlMs and cacheScope private', async () => {
    for (const path of [EVERYTHING, UNIFIED]) {
      for (const method of ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']) {
        assertCacheable(resultOf(await modern(path, method)), `${method} on ${path}`)
      }
    }
    const resources = resultOf(await modern(EVERYTHING, 'resources/list')).resources as { uri: string }[]
    assert.ok(resources.length > 0, 'server-everything lists resources')
    const read = resultOf(await modern(EVERYTHING, 'resources/read', { uri: resources[0].uri }))
    assert.ok(Array.isArray(read.contents))
    assertCacheable(read, 'resources/read')
  })
})

describe('M7 lists depend on the principal; the upstream sees no envelope', () => {
  it('M7 a key denied echo by policy neither lists nor calls it; another key does both', async () => {
    const mine = toolNames(resultOf(await modern(EVERYTHING, 'tools/list')))
    const theirs = toolNames(resultOf(await modern(EVERYTHING, 'tools/list', {}, { key: OTHER_KEY })))
    assert.ok(mine.includes('echo'))
    assert.ok(!theirs.includes('echo'), `the denied key lists: ${theirs}`)
    assert.ok(theirs.includes('get-sum'), 'the denied key still lists the rest')
    const unifiedTheirs = toolNames(resultOf(await modern(UNIFIED, 'tools/list', {}, { key: OTHER_KEY })))
    assert.ok(!unifiedTheirs.includes('everything__echo'))
    assert.ok(unifiedTheirs.includes('everything__get-sum'))

    const call = { name: 'echo', arguments: { message: 'denied?' } }
    const refused = await modern(EVERYTHING, 'tools/call', call, { key: OTHER_KEY, id: 'deny' })
    assert.equal(refused.final?.result, undefined, refused.text)
    assert.ok(refused.final?.error, `a refusal: ${refused.text}`)
    assert.equal(refused.final.id, 'deny')
    const allowed = await modern(EVERYTHING, 'tools/call', call)
    assert.equal(textOf(resultOf(allowed) as { content?: unknown }), 'Echo: denied?')
  })

  it('M7 the upstream receives no io.modelcontextprotocol/* envelope keys', async () => {
    const a = await modern(META_ECHO, 'tools/call', { name: 'meta', arguments: {} })
    const seen = JSON.parse(String(textOf(resultOf(a) as { content?: unknown }))) as Json | null
    const keys = Object.keys(seen ?? {})
    assert.deepEqual(
      keys.filter((k) => k.startsWith('io.modelcontextprotocol/')),
      [],
      `upstream _meta: ${JSON.stringify(seen)}`,
    )
  })
})

describe('M8 closing the response stream cancels upstream', () => {
  async function cancelled(tool: string, opts: { sse: boolean }) {
    const before = toolCalls(FX, tool).length
    const abort = new AbortController()
    // The SSE answer's headers go out with its first event: progress events open it.
    const meta = opts.sse
      ? envelope({ 'io.modelcontextprotocol/logLevel': 'debug', progressToken: 'p-cancel' })
      : envelope()
    const pending = modernRequest(
      FIXTURE,
      'tools/call',
      { name: tool, arguments: tool === 'slow' ? { steps: 100, ms: 100 } : {} },
      { id: `cancel-${tool}`, meta, signal: abort.signal },
    )
    let stream: SseStream | null = null
    if (opts.sse) {
      const res = await pending
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/)
      stream = new SseStream(res, abort)
      const progress = await stream.waitMessage((m) => m.method === 'notifications/progress', 5000)
      assert.equal((progress.params as Json).progressToken, 'p-cancel')
    } else pending.catch(() => {})
    assert.ok(await waitFor(() => toolCalls(FX, tool).length > before, 5000, 10), `the ${tool} call reached upstream`)
    const upstreamId = toolCalls(FX, tool).at(-1)?.msg?.id
    const t0 = Date.now()
    const seenBeforeClose = stream?.messages.length ?? 0
    if (stream) stream.close()
    else abort.abort()
    const cancelFor = () =>
      readLog(FX).find(
        (e) =>
          e.d === 'in' &&
          e.msg?.method === 'notifications/cancelled' &&
          (e.msg.params as Json | undefined)?.requestId === upstreamId,
      )
    assert.ok(await waitFor(() => cancelFor() !== undefined, 3000, 10), 'notifications/cancelled upstream')
    const entry = cancelFor()
    assert.ok(entry && entry.t - t0 < 1000, `cancelled after ${(entry?.t ?? 0) - t0} ms`)
    if (stream) {
      await stream.done
      // Nothing of the cancelled request (its answer least of all) reached the client after it closed.
      assert.ok(stream.messages.length <= seenBeforeClose + 1, 'at most an event in flight at close')
      assert.ok(!stream.messages.some((m) => m.id === `cancel-${tool}`), 'no answer to a cancelled request')
    }
    return upstreamId
  }

  it('M8 aborting a JSON-answered call to a hanging tool cancels it upstream within 1 s', async () => {
    await cancelled('hang', { sse: false })
    // The call is recorded as cancelled, and the stateless client holds no request any more.
    let status: string | undefined
    for (const until = Date.now() + 5000; Date.now() < until && status !== 'cancelled'; await sleep(50)) {
      await auditing.flush()
      const calls = await gw.gateway.store.toolCalls.list({ projectId: 'demo', toolName: 'hang' })
      status = calls[0]?.status
    }
    assert.equal(status, 'cancelled')
  })

  it('M8 closing an SSE answer (log level asked) cancels upstream within 1 s and nothing more goes out for it', async () => {
    await cancelled('slow', { sse: true })
    // The fixture's slow tool keeps running to its end; what it still sends must not revive the request: a fresh
    // request on the same client is served normally, its answer alone on its stream.
    await sleep(300)
    const a = await modern(
      FIXTURE,
      'tools/call',
      { name: 'echo', arguments: { message: 'after' } },
      { id: 'after', meta: envelope({ 'io.modelcontextprotocol/logLevel': 'debug' }) },
    )
    assert.equal(textOf(resultOf(a) as { content?: unknown }), 'Echo: after')
    assert.deepEqual(
      a.messages.filter((m) => m.method === 'notifications/progress'),
      [],
      'no progress of the cancelled call on another request',
    )
  })
})

describe('M10 per-request log level', () => {
  it('M10 no logLevel: no notifications/message; logLevel debug: log messages on the SSE answer', async () => {
    const call = { name: 'toggle-simulated-logging', arguments: {} }
    // Started logging (it sends one message at once) without a level: none reaches this answer.
    let quiet = await modern(EVERYTHING, 'tools/call', call, { id: 'quiet' })
    if (/Stopped/.test(String(textOf(resultOf(quiet) as { content?: unknown })))) {
      quiet = await modern(EVERYTHING, 'tools/call', call, { id: 'quiet' })
    }
    assert.match(String(textOf(resultOf(quiet) as { content?: unknown })), /Started/)
    assert.deepEqual(
      quiet.messages.filter((m) => m.method === 'notifications/message'),
      [],
    )
    // Stop it, then start it again with a level: the first message arrives on this answer's stream.
    const stop = await modern(EVERYTHING, 'tools/call', call, { id: 'stop' })
    assert.match(String(textOf(resultOf(stop) as { content?: unknown })), /Stopped/)
    const meta = envelope({ 'io.modelcontextprotocol/logLevel': 'debug' })
    const loud = await modern(EVERYTHING, 'tools/call', call, { id: 'loud', meta })
    assert.match(loud.headers.get('content-type') ?? '', /text\/event-stream/)
    assert.match(String(textOf(resultOf(loud) as { content?: unknown })), /Started/)
    const logs = loud.messages.filter((m) => m.method === 'notifications/message')
    assert.ok(logs.length >= 1, `log messages on the answer: ${loud.text}`)
    assert.match(String((logs[0].params as Json).data), /level[- ]message/i)
    await modern(EVERYTHING, 'tools/call', call, { id: 'stop-again' })
  })
})

describe('M12 trace keys pass through', () => {
  it('M12 traceparent, tracestate and baggage reach the upstream unchanged', async () => {
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      baggage: 'userId=alice,serverNode=DF%2028',
    }
    const a = await modern(META_ECHO, 'tools/call', { name: 'meta', arguments: {} }, { meta: envelope(trace) })
    const seen = JSON.parse(String(textOf(resultOf(a) as { content?: unknown }))) as Json
    assert.equal(seen.traceparent, trace.traceparent)
    assert.equal(seen.tracestate, trace.tracestate)
    assert.equal(seen.baggage, trace.baggage)
  })
})

describe('M13 extensions in discovery', () => {
  const RELAYED = ['io.modelcontextprotocol/skills']

  it('M13 discover carries no extensions but relayed ones', async () => {
    for (const path of [EVERYTHING, UNIFIED, PARAMS, META_ECHO]) {
      const caps = resultOf(await modern(path, 'server/discover')).capabilities as Json
      const ext = Object.keys((caps.extensions as Json | undefined) ?? {})
      assert.deepEqual(
        ext.filter((k) => !RELAYED.includes(k)),
        [],
        `${path}: ${JSON.stringify(caps.extensions)}`,
      )
    }
    // The header-params upstream declares one relayed and one unknown extension: only the relayed one is told.
    const caps = resultOf(await modern(PARAMS, 'server/discover')).capabilities as Json
    assert.deepEqual(Object.keys((caps.extensions as Json | undefined) ?? {}), RELAYED)
  })
})

describe('auth on every modern request', () => {
  const cases: [string, string, Json][] = [
    ['server/discover', UNIFIED, {}],
    ['tools/list', EVERYTHING, {}],
    ['tools/call', EVERYTHING, { name: 'echo', arguments: { message: 'x' } }],
    ['resources/list', UNIFIED, {}],
    ['prompts/list', EVERYTHING, {}],
  ]

  it('no key is 401, another project’s key is 404', async () => {
    for (const [method, path, params] of cases) {
      const anon = await modern(path, method, params, { key: null })
      assert.equal(anon.status, 401, `${method} ${path} without a key: ${anon.text}`)
      assert.equal(anon.headers.get('mcp-session-id'), null)
      const foreign = await modern(path, method, params, { key: OTHER_PROJECT_KEY })
      assert.equal(foreign.status, 404, `${method} ${path} with another project's key: ${foreign.text}`)
      // The other project's own endpoint serves the same key.
      const own = await modern(path.replace('/projects/demo/', '/projects/other/'), method, params, {
        key: OTHER_PROJECT_KEY,
      })
      assert.equal(own.status, 200, own.text)
    }
  })
})

describe('unified endpoint', () => {
  it('lists everything__echo and calls it statelessly', async () => {
    const list = await modern(UNIFIED, 'tools/list')
    assert.ok(toolNames(resultOf(list)).includes('everything__echo'))
    assert.equal(list.headers.get('mcp-session-id'), null)
    for (const message of ['one', 'two']) {
      const a = await modern(UNIFIED, 'tools/call', { name: 'everything__echo', arguments: { message } })
      assert.equal(textOf(resultOf(a) as { content?: unknown }), `Echo: ${message}`)
      assert.equal(a.headers.get('mcp-session-id'), null)
    }
    // An unknown namespaced tool is an error answer, not a crash.
    const unknown = await modern(UNIFIED, 'tools/call', { name: 'nope__echo', arguments: {} }, { id: 'u' })
    assert.equal(unknown.final?.id, 'u')
    assert.ok(unknown.final?.error || (unknown.final?.result as Json | undefined)?.isError, unknown.text)
  })
})
