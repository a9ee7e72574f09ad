// protocol.md §11.4 "SDK v2 client pinned to 2026-07-28 and in `auto` mode": the real @modelcontextprotocol/client
// (2.3.1) against a real gateway, on the per-server and the unified endpoint — connect (the era stays modern), tools,
// resources, templates, prompts, completions, progress, cancellation and list changes through `subscriptions/listen`;
// plus one SDK 1.x client on the same URL (the 2025 era still served beside the modern one).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  Client,
  type McpSubscription,
  StreamableHTTPClientTransport,
  SUBSCRIPTION_ID_META_KEY,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import type { McpoPlugin, ToolCallRecord } from '../../plugins/contract.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import {
  assertNoLeftovers,
  everythingServer,
  fixtureServer,
  startTestGateway,
  TEST_KEY,
  type TestGateway,
} from '../harness.ts'

const MODERN = '2026-07-28'

/** Every tool-call record the gateway produced (its `onToolResult` hook, as the audit plugin sees them). */
const toolResults: ToolCallRecord[] = []
const recorder: McpoPlugin = { name: 'test-tool-results', onToolResult: (record) => toolResults.push(record) }

let gw: TestGateway
const clients: Array<{ close(): Promise<void> }> = []

before(async () => {
  gw = await startTestGateway({
    // The harness's plugins, plus one that sees each tool call's outcome.
    plugins: [sessions(), apiKeys(), toolPolicies(), recorder],
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [
          { ...everythingServer('everything'), autoStart: true },
          // `notify` sends tools/list_changed: the list change the listen tests cause.
          { ...fixtureServer('fixture'), autoStart: true },
        ],
      },
    ],
  })
})

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()))
  await gw?.close()
  await assertNoLeftovers()
})

/** What the client put on the wire: the JSON-RPC method of each POST, in order. */
interface Wire {
  methods: string[]
  versions: Array<string | null>
}

/** A v2 client on `path` in `mode`, recording the methods it POSTs. */
async function connectV2(path: string, mode: VersionNegotiationMode): Promise<{ client: Client; wire: Wire }> {
  const wire: Wire = { methods: [], versions: [] }
  const recording: typeof fetch = async (input, init) => {
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const body = JSON.parse(init.body) as { method?: string }
      if (body.method) wire.methods.push(body.method)
      wire.versions.push(new Headers(init.headers).get('mcp-protocol-version'))
    }
    return fetch(input, init)
  }
  const client = new Client({ name: 'sdk-v2-conformance', version: '1.0.0' }, { versionNegotiation: { mode } })
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}${path}`), {
    requestInit: { headers: gw.auth },
    fetch: recording,
  })
  await client.connect(transport)
  clients.push(client)
  return { client, wire }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** How many long-running calls the gateway has ended as cancelled. */
const cancelledCalls = (): number =>
  toolResults.filter((r) => r.toolName === 'trigger-long-running-operation' && r.status === 'cancelled').length

const textOf = (content: unknown): string =>
  (content as Array<{ type: string; text?: string }>)
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n')

const MODES: Array<{ label: string; mode: VersionNegotiationMode }> = [
  { label: `pinned ${MODERN}`, mode: { pin: MODERN } },
  { label: 'auto', mode: 'auto' },
]
const ENDPOINTS = [
  {
    label: 'per-server',
    path: '/projects/demo/servers/everything/mcp',
    prefix: '',
    listen: '/projects/demo/servers/fixture/mcp',
    notify: 'notify',
  },
  {
    label: 'unified',
    path: '/projects/demo/mcp',
    prefix: 'everything__',
    listen: '/projects/demo/mcp',
    notify: 'fixture__notify',
  },
]

for (const { label: modeLabel, mode } of MODES) {
  for (const ep of ENDPOINTS) {
    describe(`SDK v2 client (${modeLabel}) on the ${ep.label} endpoint`, () => {
      let client: Client
      let wire: Wire
      const name = (n: string) => `${ep.prefix}${n}`

      before(async () => {
        ;({ client, wire } = await connectV2(ep.path, mode))
      })

      it(`connects and negotiates ${MODERN} through server/discover, without initialize`, () => {
        assert.equal(client.getProtocolEra(), 'modern')
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN)
        const discover = client.getDiscoverResult()
        assert.ok(discover, 'a DiscoverResult was adopted')
        assert.ok(discover.supportedVersions.includes(MODERN), JSON.stringify(discover.supportedVersions))
        assert.ok(discover.capabilities.tools, 'tools capability advertised')
        assert.equal(wire.methods[0], 'server/discover')
        assert.ok(!wire.methods.includes('initialize'), `no initialize: ${wire.methods.join(', ')}`)
        assert.equal(wire.versions[0], MODERN)
        assert.ok(client.getServerCapabilities()?.prompts, 'prompts capability advertised')
        assert.ok(client.getServerCapabilities()?.completions, 'completions capability advertised')
      })

      it('tools: lists them and calls echo', async () => {
        const { tools } = await client.listTools()
        const names = tools.map((t) => t.name)
        assert.ok(names.includes(name('echo')), names.join(', '))
        assert.ok(names.includes(name('trigger-long-running-operation')), names.join(', '))
        const result = await client.callTool({ name: name('echo'), arguments: { message: 'hello v2' } })
        assert.notEqual(result.isError, true)
        assert.match(textOf(result.content), /hello v2/)
        assert.ok(!wire.methods.includes('initialize'))
        assert.ok(
          wire.versions.every((v) => v === MODERN),
          `every POST carries ${MODERN}: ${wire.versions}`,
        )
      })

      it('resources: lists them, reads one, lists templates', async () => {
        const { resources } = await client.listResources()
        const doc = resources.find((r) => r.uri.startsWith('demo://resource/static/document/'))
        assert.ok(doc, resources.map((r) => r.uri).join(', '))
        const read = await client.readResource({ uri: doc.uri })
        assert.equal(read.contents.length, 1)
        assert.equal(read.contents[0]?.uri, doc.uri)
        assert.ok('text' in read.contents[0] && (read.contents[0].text as string).length > 0)
        const { resourceTemplates } = await client.listResourceTemplates()
        assert.ok(
          resourceTemplates.some((t) => t.uriTemplate === 'demo://resource/dynamic/text/{resourceId}'),
          resourceTemplates.map((t) => t.uriTemplate).join(', '),
        )
        const dynamic = await client.readResource({ uri: 'demo://resource/dynamic/text/3' })
        assert.equal(dynamic.contents[0]?.uri, 'demo://resource/dynamic/text/3')
      })

      it('prompts: lists them and gets one with arguments', async () => {
        const { prompts } = await client.listPrompts()
        const argsPrompt = prompts.find((p) => p.name === name('args-prompt'))
        assert.ok(argsPrompt, prompts.map((p) => p.name).join(', '))
        assert.deepEqual(
          argsPrompt.arguments?.map((a) => a.name),
          ['city', 'state'],
        )
        const got = await client.getPrompt({ name: name('args-prompt'), arguments: { city: 'Lyon', state: 'Rhône' } })
        const texts = got.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n')
        assert.match(texts, /Lyon/)
        assert.match(texts, /Rhône/)
      })

      it('completions: completes a prompt argument and a resource template variable', async () => {
        const prompt = await client.complete({
          ref: { type: 'ref/prompt', name: name('completable-prompt') },
          argument: { name: 'department', value: 'S' },
        })
        assert.deepEqual([...prompt.completion.values].sort(), ['Sales', 'Support'])
        const withContext = await client.complete({
          ref: { type: 'ref/prompt', name: name('completable-prompt') },
          argument: { name: 'name', value: '' },
          context: { arguments: { department: 'Engineering' } },
        })
        assert.deepEqual(withContext.completion.values, ['Alice', 'Bob', 'Charlie'])
        const template = await client.complete({
          ref: { type: 'ref/resource', uri: 'demo://resource/dynamic/text/{resourceId}' },
          argument: { name: 'resourceId', value: '1' },
        })
        assert.ok(template.completion.values.includes('1'), JSON.stringify(template.completion))
      })

      it('progress: a long-running tool reports progress to onprogress', async () => {
        const progress: Array<{ progress: number; total?: number }> = []
        const result = await client.callTool(
          { name: name('trigger-long-running-operation'), arguments: { duration: 1, steps: 3 } },
          { onprogress: (p) => progress.push(p) },
        )
        assert.notEqual(result.isError, true, textOf(result.content))
        assert.match(textOf(result.content), /completed/i)
        assert.ok(progress.length >= 2, `progress received: ${JSON.stringify(progress)}`)
        assert.ok(
          progress.every((p) => p.total === 3),
          JSON.stringify(progress),
        )
        assert.ok(progress[progress.length - 1].progress > progress[0].progress, JSON.stringify(progress))
      })

      it('cancel: aborting a long call rejects promptly, and the endpoint keeps serving', async () => {
        const controller = new AbortController()
        let firstProgress: () => void = () => {}
        const started = new Promise<void>((resolve) => {
          firstProgress = resolve
        })
        const call = client.callTool(
          { name: name('trigger-long-running-operation'), arguments: { duration: 30, steps: 30 } },
          { signal: controller.signal, onprogress: () => firstProgress() },
        )
        call.catch(() => {})
        const cancelledBefore = cancelledCalls()
        // The call is really in flight upstream: its first progress arrived.
        assert.notEqual(await Promise.race([started, sleep(5000).then(() => 'timeout')]), 'timeout', 'first progress')
        const t0 = Date.now()
        controller.abort(new Error('test cancels'))
        await assert.rejects(call)
        const elapsed = Date.now() - t0
        assert.ok(elapsed < 2000, `rejected after ${elapsed} ms`)
        // mcpo saw the closed stream and ended the call as cancelled (M8), long before its 30 s run would end.
        let cancelledNow = cancelledBefore
        for (let i = 0; i < 50 && cancelledNow === cancelledBefore; i++) {
          await sleep(100)
          cancelledNow = cancelledCalls()
        }
        assert.equal(cancelledNow, cancelledBefore + 1, 'the gateway ended one more long-running call as cancelled')
        const again = await client.callTool({ name: name('echo'), arguments: { message: 'still here' } })
        assert.match(textOf(again.content), /still here/)
      })

      it('list changes: subscriptions/listen delivers tools/list_changed', async () => {
        // The fixture's `notify` tool sends tools/list_changed; on the unified endpoint it is one of the tools.
        const listener = ep.listen === ep.path ? client : (await connectV2(ep.listen, mode)).client
        const tags: unknown[] = []
        let resolveChanged: () => void = () => {}
        const arrived = new Promise<void>((resolve) => {
          resolveChanged = resolve
        })
        listener.setNotificationHandler('notifications/tools/list_changed', (n) => {
          tags.push(n.params?._meta?.[SUBSCRIPTION_ID_META_KEY])
          resolveChanged()
        })
        let sub: McpSubscription | undefined
        try {
          sub = await listener.listen({ toolsListChanged: true })
          assert.equal(sub.honoredFilter.toolsListChanged, true, JSON.stringify(sub.honoredFilter))
          const result = await listener.callTool({ name: ep.notify, arguments: {} })
          assert.match(textOf(result.content), /notified/)
          const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref())
          assert.notEqual(await Promise.race([arrived, timeout]), 'timeout', 'tools/list_changed within 5 s')
          // Delivered on the listen stream: tagged with this subscription's id (the listen request's id).
          assert.ok(tags.length >= 1)
          assert.ok(
            tags.every((t) => typeof t === 'string' && t.startsWith('listen:')),
            `subscription ids: ${JSON.stringify(tags)}`,
          )
        } finally {
          await sub?.close()
        }
        if (sub) assert.equal(await sub.closed, 'local')
      })
    })
  }
}

describe('SDK 1.x client (2025 era) on the same URLs', () => {
  for (const path of ['/projects/demo/servers/everything/mcp', '/projects/demo/mcp']) {
    it(`connects with initialize and calls echo on ${path}`, async () => {
      const client = new ClientV1({ name: 'sdk-v1-sanity', version: '1.0.0' })
      const transport = new StreamableHTTPClientTransportV1(new URL(`${gw.url}${path}`), {
        requestInit: { headers: gw.auth },
      })
      clients.push(client)
      await client.connect(transport)
      assert.ok(transport.sessionId, 'a 2025-era session was minted')
      assert.notEqual(transport.protocolVersion, MODERN)
      assert.match(transport.protocolVersion ?? '', /^2025-/)
      const echo = path.endsWith('/servers/everything/mcp') ? 'echo' : 'everything__echo'
      const result = await client.callTool({ name: echo, arguments: { message: 'hello v1' } })
      assert.match(textOf(result.content), /hello v1/)
      await client.close()
    })
  }
})
