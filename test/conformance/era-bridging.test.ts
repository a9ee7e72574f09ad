// Issue 21 (protocol.md §11.2, U4, M11, L1): elicitation, sampling and roots end to end in all four client-era ×
// server-era combinations, through per-server and unified endpoints, with real clients on both sides of mcpo: the SDK
// 1.x client (2025 era) and the SDK v2 client pinned to 2026-07-28. The 2026-only side is the conformance suite's
// reference server spoken to in 2026-07-28 only (its `test_input_required_result_*` tools answer `input_required`); the
// 2025 side a stdio server that sends ordinary server→client requests. A 2025-era client in front of a modern upstream
// is asked the upstream's questions as ordinary requests (U4), even on a shared upstream, and the call is retried with
// the answers and the upstream's state byte for byte, at most 10 rounds; a 2026 client reads the upstream's
// `input_required` itself, with the state sealed to it.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as StreamableV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { assertNoLeftovers, OTHER_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { type ReferenceServer, startReferenceServer } from '../kit/conformance/reference-server.ts'

const MODERN = '2026-07-28'
const ROOTS = [{ uri: 'file:///test/root', name: 'Test Root' }]

/** A 2025-era stdio server whose tools ask the client (elicitation, sampling, roots) and return the answer as text. */
const LEGACY_ASKER = `
const rl = require('node:readline').createInterface({ input: process.stdin })
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n')
const waiting = new Map()
const ASKS = {
  ask_elicit: ['elicitation/create', { message: 'What is your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }],
  ask_sample: ['sampling/createMessage', { messages: [{ role: 'user', content: { type: 'text', text: 'Capital of France?' } }], maxTokens: 10 }],
  ask_roots: ['roots/list', {}],
}
rl.on('line', (line) => {
  const m = JSON.parse(line)
  if (m.method === 'initialize') return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'legacy-asker', version: '1' } } })
  if (m.method === 'tools/list') return send({ jsonrpc: '2.0', id: m.id, result: { tools: Object.keys(ASKS).map((name) => ({ name, inputSchema: { type: 'object' } })) } })
  if (m.method === 'tools/call') {
    const [method, params] = ASKS[m.params.name]
    const q = 'q' + m.id
    waiting.set(q, m.id)
    return send({ jsonrpc: '2.0', id: q, method, params })
  }
  if (m.id !== undefined && m.method === undefined && waiting.has(m.id)) {
    const id = waiting.get(m.id)
    waiting.delete(m.id)
    send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: JSON.stringify(m.result ?? m.error) }] } })
  }
})
`

/**
 * A minimal 2026-07-28-only server for what the reference server does not do: `twice` asks twice and checks that its
 * state (bytes a careless relay would re-encode: non-ASCII, escapes, spaces) comes back exactly; `forever` never stops
 * asking. Every state it hands out and every one it gets back is recorded.
 */
function startEndlessAsker(): Promise<{ url: string; server: Server; statesBack: string[] }> {
  const STATE = 'é ü 🙂 {"a":"\\u0041"}  tab\t'
  const statesBack: string[] = []
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    if (req.method !== 'POST') {
      res.writeHead(405).end()
      return
    }
    const msg = JSON.parse(body) as { id: number; method: string; params?: Record<string, unknown> }
    const answer = (result: Record<string, unknown>) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }))
    }
    if (msg.method === 'server/discover') {
      return answer({
        supportedVersions: [MODERN],
        capabilities: { tools: {} },
        serverInfo: { name: 'endless', version: '1' },
        ttlMs: 0,
        cacheScope: 'public',
      })
    }
    if (msg.method === 'tools/list') {
      return answer({
        tools: ['twice', 'forever'].map((name) => ({ name, inputSchema: { type: 'object' } })),
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'public',
      })
    }
    if (msg.method !== 'tools/call') {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }))
      return
    }
    const given = msg.params?.requestState
    if (typeof given === 'string') statesBack.push(given)
    const round = typeof given === 'string' ? Number(given.slice(given.lastIndexOf('#') + 1)) + 1 : 1
    if (msg.params?.name === 'twice' && round > 2) {
      const intact = given === `${STATE}#2`
      return answer({ content: [{ type: 'text', text: intact ? 'state intact' : `state changed: ${given}` }] })
    }
    answer({
      resultType: 'input_required',
      inputRequests: {
        [`q${round}`]: {
          method: 'elicitation/create',
          params: { message: `round ${round}`, requestedSchema: { type: 'object', properties: {} } },
        },
      },
      requestState: `${STATE}#${round}`,
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server, statesBack }),
    ),
  )
}

let gw: TestGateway
let reference: ReferenceServer
let endless: Awaited<ReturnType<typeof startEndlessAsker>>
const closers: (() => Promise<unknown>)[] = []
/** What the clients were asked, by client era. */
const asked: { v1: string[]; v2: string[] } = { v1: [], v2: [] }

before(async () => {
  reference = await startReferenceServer()
  endless = await startEndlessAsker()
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [
          { name: 'test', key: TEST_KEY },
          { name: 'other', key: OTHER_KEY },
        ],
        servers: [
          // Shared on purpose: the input_required result says whose call the questions belong to.
          { name: 'modern', transport: 'streamable-http', url: reference.url, protocol: 'modern', isolation: 'shared' },
          {
            name: 'legacy',
            transport: 'stdio',
            command: process.execPath,
            args: ['-e', LEGACY_ASKER],
            isolation: 'per-session',
          },
          { name: 'endless', transport: 'streamable-http', url: endless.url, protocol: 'auto', isolation: 'shared' },
        ],
      },
    ],
  })
})

after(async () => {
  for (const close of closers) await close().catch(() => {})
  await gw?.close()
  reference?.stop()
  endless?.server.closeAllConnections()
  await new Promise((r) => endless?.server.close(r))
  await assertNoLeftovers()
})

const CAPS = { elicitation: {}, sampling: {}, roots: {} }

async function clientV1(path: string): Promise<ClientV1> {
  const client = new ClientV1({ name: 'era-v1', version: '1.0.0' }, { capabilities: CAPS })
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.v1.push(req.method)
    return { action: 'accept', content: { name: 'Alice' } }
  })
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    asked.v1.push(req.method)
    return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' }
  })
  client.setRequestHandler(ListRootsRequestSchema, async (req) => {
    asked.v1.push(req.method)
    return { roots: ROOTS }
  })
  await client.connect(new StreamableV1(new URL(`${gw.url}${path}`), { requestInit: { headers: gw.auth } }))
  closers.push(() => client.close())
  return client
}

async function clientV2(path: string): Promise<ClientV2> {
  const client = new ClientV2(
    { name: 'era-v2', version: '1.0.0' },
    { capabilities: CAPS, versionNegotiation: { mode: { pin: MODERN } } },
  )
  client.setRequestHandler('elicitation/create', async (req) => {
    asked.v2.push(req.method)
    return { action: 'accept', content: { name: 'Alice' } }
  })
  client.setRequestHandler('sampling/createMessage', async (req) => {
    asked.v2.push(req.method)
    return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' }
  })
  client.setRequestHandler('roots/list', async (req) => {
    asked.v2.push(req.method)
    return { roots: ROOTS }
  })
  await client.connect(new StreamableV2(new URL(`${gw.url}${path}`), { requestInit: { headers: gw.auth } }))
  closers.push(() => client.close())
  return client
}

const textOf = (r: unknown): string =>
  ((r as { content?: { type: string; text?: string }[] }).content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n')

type AnyClient = { callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown> }

/** The three kinds of input, as each upstream era asks for them, and what the tool's answer says when it worked. */
const CASES = {
  modern: [
    { tool: 'test_input_required_result_elicitation', method: 'elicitation/create', expect: /Hello, Alice!/ },
    { tool: 'test_input_required_result_sampling', method: 'sampling/createMessage', expect: /Sampling result: Paris/ },
    { tool: 'test_input_required_result_list_roots', method: 'roots/list', expect: /Found 1 root\(s\)/ },
  ],
  legacy: [
    { tool: 'ask_elicit', method: 'elicitation/create', expect: /"name":"Alice"/ },
    { tool: 'ask_sample', method: 'sampling/createMessage', expect: /"text":"Paris"/ },
    { tool: 'ask_roots', method: 'roots/list', expect: /file:\/\/\/test\/root/ },
  ],
} as const

for (const clientEra of ['2025', '2026'] as const) {
  for (const serverEra of ['legacy', 'modern'] as const) {
    for (const endpoint of ['per-server', 'unified'] as const) {
      it(`${clientEra}-era client, ${serverEra} upstream, ${endpoint} endpoint: elicitation, sampling and roots`, async () => {
        const path = endpoint === 'unified' ? '/projects/demo/mcp' : `/projects/demo/servers/${serverEra}/mcp`
        const client: AnyClient = clientEra === '2025' ? await clientV1(path) : await clientV2(path)
        const log = clientEra === '2025' ? asked.v1 : asked.v2
        for (const c of CASES[serverEra]) {
          log.length = 0
          const name = endpoint === 'unified' ? `${serverEra}__${c.tool}` : c.tool
          const result = await client.callTool({ name, arguments: {} })
          assert.match(textOf(result), c.expect, `${name}: ${JSON.stringify(result)}`)
          assert.deepEqual(log, [c.method], `the client was asked ${c.method} once`)
        }
      })
    }
  }
}

describe('U4: 2025-era clients in front of a 2026-only upstream', () => {
  it('several rounds: the state goes back byte for byte each round, under a new id, until the upstream is done', async () => {
    const client = await clientV1('/projects/demo/servers/endless/mcp')
    asked.v1.length = 0
    endless.statesBack.length = 0
    const result = await client.callTool({ name: 'twice', arguments: {} })
    assert.equal(textOf(result), 'state intact')
    assert.deepEqual(asked.v1, ['elicitation/create', 'elicitation/create'])
    assert.equal(endless.statesBack.length, 2)
  })

  it('an upstream that never stops asking is given up after 10 rounds with a clear error', async () => {
    const client = await clientV1('/projects/demo/servers/endless/mcp')
    asked.v1.length = 0
    await assert.rejects(client.callTool({ name: 'forever', arguments: {} }), /asked for input 10 times/)
    assert.equal(asked.v1.length, 10, 'the client answered ten rounds')
  })

  it('a client that did not declare the capability gets a clear error, and is not asked', async () => {
    const client = new ClientV1({ name: 'no-caps', version: '1.0.0' }, { capabilities: {} })
    await client.connect(
      new StreamableV1(new URL(`${gw.url}/projects/demo/servers/endless/mcp`), { requestInit: { headers: gw.auth } }),
    )
    closers.push(() => client.close())
    await assert.rejects(
      client.callTool({ name: 'twice', arguments: {} }),
      /needs elicitation\/create, but the client did not declare the elicitation capability/,
    )
  })

  it('a cancel while the client is being asked withdraws the question from the client', async () => {
    const client = new ClientV1({ name: 'canceller', version: '1.0.0' }, { capabilities: CAPS })
    let withdrawn: () => void = () => {}
    const wasWithdrawn = new Promise<void>((resolve) => {
      withdrawn = resolve
    })
    let askedNow: () => void = () => {}
    const wasAsked = new Promise<void>((resolve) => {
      askedNow = resolve
    })
    client.setRequestHandler(ElicitRequestSchema, (_req, extra) => {
      askedNow()
      return new Promise((_resolve, reject) => {
        extra.signal.addEventListener('abort', () => {
          withdrawn()
          reject(new Error('withdrawn'))
        })
      })
    })
    await client.connect(
      new StreamableV1(new URL(`${gw.url}/projects/demo/servers/endless/mcp`), { requestInit: { headers: gw.auth } }),
    )
    closers.push(() => client.close())
    const abort = new AbortController()
    const call = client.callTool({ name: 'twice', arguments: {} }, undefined, { signal: abort.signal })
    await wasAsked
    abort.abort('changed my mind')
    await assert.rejects(call)
    await wasWithdrawn
  })
})

describe('2026-07-28 clients in front of a 2026-only upstream: input_required passes through, its state sealed', () => {
  async function post(key: string, id: number, params: Record<string, unknown>) {
    const res = await fetch(`${gw.url}/projects/demo/servers/endless/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'twice',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: {
          name: 'twice',
          arguments: {},
          ...params,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': MODERN,
            'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          },
        },
      }),
    })
    return (await res.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } }
  }

  it('the client sees the upstream keys and a state only mcpo can open; the retry reaches the upstream with its own', async () => {
    endless.statesBack.length = 0
    const first = await post(TEST_KEY, 1, {})
    assert.equal(first.result?.resultType, 'input_required')
    assert.deepEqual(Object.keys(first.result?.inputRequests as object), ['q1'])
    const sealed = first.result?.requestState as string
    assert.ok(!sealed.includes('🙂'), 'the upstream state is not handed out as it is')
    const second = await post(TEST_KEY, 2, { inputResponses: { q1: { action: 'accept' } }, requestState: sealed })
    assert.equal(second.result?.resultType, 'input_required')
    assert.equal(endless.statesBack.at(-1), 'é ü 🙂 {"a":"\\u0041"}  tab\t#1', 'the upstream got its own state back')
  })

  it('a sealed state is refused to another key, to another request and when tampered with', async () => {
    const first = await post(TEST_KEY, 3, {})
    const sealed = first.result?.requestState as string
    const before = endless.statesBack.length
    const foreign = await post(OTHER_KEY, 4, { inputResponses: { q1: { action: 'accept' } }, requestState: sealed })
    assert.match(foreign.error?.message ?? '', /belongs to another client/)
    const tampered = await post(TEST_KEY, 5, { requestState: `${sealed}x` })
    assert.match(tampered.error?.message ?? '', /integrity check/)
    const otherArgs = await post(TEST_KEY, 6, { arguments: { different: true }, requestState: sealed })
    assert.match(otherArgs.error?.message ?? '', /issued for a different request/)
    assert.equal(endless.statesBack.length, before, 'none of them reached the upstream')
  })
})
