// Issue 21: a 2026-07-28-only server added to a project with no `protocol` setting (the `auto` default) serves every
// client era on both the per-server and the unified endpoint, through real peers: the SDK 1.x client over Streamable
// HTTP and legacy SSE (tools, prompts, resources, progress, cancel), a Cline-shaped SSE client, the Inspector CLI,
// mcp-remote on both transports, and the SDK v2 client in `auto` and pinned to 2026-07-28 (protocol.md §10, §11.4).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as StreamableV2,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type ModernServer, README_TEXT, startModernServer } from '../fixtures/modern-server.ts'
import { assertNoLeftovers, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { LegacyClient } from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { waitFor, within } from '../kit/waiting.ts'

const root = join(import.meta.dirname, '../..')
const INSPECTOR = join(root, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js')
const MCP_REMOTE = join(root, 'node_modules/mcp-remote/dist/proxy.js')
const MODERN = '2026-07-28'

let gw: TestGateway
let modern: ModernServer
const home = tempDir('modern-peers-home')
const closers: (() => Promise<unknown>)[] = []

before(async () => {
  modern = await startModernServer({ extras: true })
  gw = await startTestGateway({
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        // No `protocol`: the default (auto) has to find out the server speaks only 2026-07-28.
        servers: [{ name: 'modern', transport: 'streamable-http', url: modern.url }],
        apiKeys: [{ name: 'k', key: TEST_KEY }],
      },
    ],
  })
})

after(async () => {
  await Promise.all(closers.map((close) => close().catch(() => {})))
  await gw?.close()
  await modern?.close()
  home.cleanup()
  await assertNoLeftovers()
})

const ENDPOINTS = [
  { label: 'per-server', base: '/projects/demo/servers/modern', prefix: '' },
  { label: 'unified', base: '/projects/demo', prefix: 'modern__' },
] as const
type Endpoint = (typeof ENDPOINTS)[number]

const urlOf = (ep: Endpoint, kind: 'mcp' | 'sse') => new URL(`${gw.url}${ep.base}/${kind}`)

const textOf = (r: unknown): string =>
  ((r as { content?: { type: string; text?: string }[] }).content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n')

/** The upstream's record of the last tools/call of `tool` that reached it since `from`. */
const upstreamCall = (tool: string, from: number) =>
  modern.requests
    .slice(from)
    .filter((r) => {
      const body = JSON.parse(r.body || '{}') as { method?: string; params?: { name?: string } }
      return body.method === 'tools/call' && body.params?.name === tool
    })
    .at(-1)

async function connectV1(ep: Endpoint, kind: 'mcp' | 'sse'): Promise<Client> {
  const client = new Client({ name: `sdk1-${kind}`, version: '1.0.0' })
  const opts = { requestInit: { headers: gw.auth } }
  await client.connect(
    kind === 'mcp'
      ? new StreamableHTTPClientTransport(urlOf(ep, 'mcp'), opts)
      : new SSEClientTransport(urlOf(ep, 'sse'), opts),
  )
  closers.push(() => client.close())
  return client
}

/** The part of the SDK 1.x and v2 clients that checkCatalog uses. */
interface CatalogClient {
  listTools(): Promise<{ tools: { name: string }[] }>
  callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>
  listPrompts(): Promise<{ prompts: { name: string; arguments?: { name: string; required?: boolean }[] }[] }>
  getPrompt(p: { name: string; arguments: Record<string, string> }): Promise<{ messages: unknown[] }>
  listResources(): Promise<{ resources: { uri: string }[] }>
  listResourceTemplates(): Promise<{ resourceTemplates: { uriTemplate: string }[] }>
  readResource(p: { uri: string }): Promise<{ contents: object[] }>
}

/** What every client here checks: the upstream's tools, prompt and resources, by the names this endpoint gives them. */
async function checkCatalog(client: CatalogClient, ep: Endpoint, label: string): Promise<void> {
  const name = (n: string) => `${ep.prefix}${n}`
  const tools = (await client.listTools()).tools.map((t) => t.name)
  for (const t of ['echo', 'slow', 'progress']) assert.ok(tools.includes(name(t)), `${label}: ${t} in ${tools}`)
  assert.ok(!tools.includes(name('broken-header')), `${label}: the invalid x-mcp-header tool is left out`)
  const echo = await client.callTool({ name: name('echo'), arguments: { message: label } })
  assert.equal(textOf(echo), `Echo: ${label}`)

  const prompts = (await client.listPrompts()).prompts
  const greet = prompts.find((p) => p.name === name('greet'))
  assert.ok(greet, `${label}: greet in ${prompts.map((p) => p.name)}`)
  assert.deepEqual(
    greet.arguments?.map((a) => [a.name, a.required]),
    [['name', true]],
  )
  const got = await client.getPrompt({ name: name('greet'), arguments: { name: 'Ada' } })
  assert.deepEqual(got.messages, [{ role: 'user', content: { type: 'text', text: 'Hello, Ada!' } }])

  const resources = (await client.listResources()).resources
  assert.ok(
    resources.some((r) => r.uri === 'mem://readme'),
    `${label}: ${JSON.stringify(resources)}`,
  )
  const readme = await client.readResource({ uri: 'mem://readme' })
  assert.deepEqual(
    readme.contents.map((c) => ('text' in c ? c.text : null)),
    [README_TEXT],
  )
  const templates = (await client.listResourceTemplates()).resourceTemplates
  assert.ok(
    templates.some((t) => t.uriTemplate === 'mem://notes/{id}'),
    `${label}: ${JSON.stringify(templates)}`,
  )
  const note = await client.readResource({ uri: 'mem://notes/7' })
  assert.deepEqual(
    note.contents.map((c) => ('text' in c ? c.text : null)),
    ['note 7'],
  )
}

/**
 * The SDK 1.x client's progress. Over legacy SSE its last notification can be lost in the client itself: eventsource
 * hands it every event of a chunk at once, and the SDK runs notification handlers a microtask later but responses at
 * once, so a progress that arrives in the same chunk as its result finds its handler gone ("unknown token"). The same
 * happens in front of a 2025-era server; the wire check below shows mcpo delivers every step before the result.
 */
async function checkProgress(client: Client, ep: Endpoint, kind: 'mcp' | 'sse', label: string): Promise<void> {
  const steps: number[] = []
  const result = await client.callTool({ name: `${ep.prefix}progress`, arguments: { steps: 3, ms: 30 } }, undefined, {
    onprogress: (p) => steps.push(p.progress),
  })
  assert.equal(textOf(result), 'progress done: 3')
  if (kind === 'mcp') assert.deepEqual(steps, [1, 2, 3], `${label}: progress`)
  else assert.deepEqual(steps, [1, 2, 3].slice(0, Math.max(2, steps.length)), `${label}: progress`)
}

/** A cancel (AbortSignal) of slow closes its POST upstream within a second, and the session outlives it. */
async function checkCancel(client: Client, ep: Endpoint, label: string): Promise<void> {
  const from = modern.requests.length
  const controller = new AbortController()
  const call = client.callTool({ name: `${ep.prefix}slow`, arguments: { ms: 20_000 } }, undefined, {
    signal: controller.signal,
  })
  await waitFor(() => upstreamCall('slow', from) !== undefined, 3000, `${label}: slow reaching the upstream`)
  const cancelledAt = Date.now()
  controller.abort()
  await assert.rejects(call)
  const slow = upstreamCall('slow', from)
  await waitFor(() => slow?.abortedAt != null, 2000, `${label}: the upstream POST of slow closed`)
  assert.ok(
    (slow?.abortedAt ?? 0) - cancelledAt < 1000,
    `${label}: closed ${(slow?.abortedAt ?? 0) - cancelledAt} ms late`,
  )
  assert.equal(
    textOf(await client.callTool({ name: `${ep.prefix}echo`, arguments: { message: 'after' } })),
    'Echo: after',
  )
}

/** An OAuth provider as Cline creates for every remote server: no tokens, dynamic registration, a browser redirect. */
function clineAuthProvider(redirects: URL[]): OAuthClientProvider {
  let info: Awaited<ReturnType<OAuthClientProvider['clientInformation']>>
  return {
    redirectUrl: 'http://127.0.0.1:48801/callback',
    clientMetadata: {
      client_name: 'Cline',
      redirect_uris: ['http://127.0.0.1:48801/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    clientInformation: () => info,
    saveClientInformation: (i) => {
      info = i
    },
    tokens: () => undefined,
    saveTokens: () => {},
    redirectToAuthorization: (u) => {
      redirects.push(u)
    },
    saveCodeVerifier: () => {},
    codeVerifier: () => 'verifier',
  }
}

/** Runs a CLI to completion (killed after `timeoutMs`), collecting its output. */
function run(args: string[], env: Record<string, string>, timeoutMs = 30_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('a 2026-07-28-only upstream under the default protocol (auto)', () => {
  it('is found to be modern', async () => {
    const client = await connectV1(ENDPOINTS[0], 'mcp')
    assert.equal(client.getServerVersion()?.name, 'modern-fixture')
    assert.equal(gw.gateway.relay.runtime('demo', 'modern')?.status()?.era, 'modern')
    assert.ok(
      modern.requests.every((r) => r.method === 'POST' && r.headers['mcp-session-id'] === undefined),
      'no GET, DELETE or session upstream',
    )
  })

  for (const ep of ENDPOINTS) {
    for (const kind of ['mcp', 'sse'] as const) {
      const label = `SDK 1.x ${kind === 'mcp' ? 'Streamable HTTP' : 'legacy SSE'}, ${ep.label}`
      it(`${label}: tools, prompts and resources`, async () => {
        await checkCatalog(await connectV1(ep, kind), ep, label)
      })
      it(`${label}: progress reaches onprogress`, async () => {
        await checkProgress(await connectV1(ep, kind), ep, kind, label)
      })
      it(`${label}: a cancel closes the upstream POST within a second`, async () => {
        await checkCancel(await connectV1(ep, kind), ep, label)
      })
    }
  }

  it('legacy SSE on the wire: every progress step reaches the stream before its result, on both endpoints', async () => {
    for (const ep of ENDPOINTS) {
      const wire = await LegacyClient.connect(urlOf(ep, 'sse').href, gw.auth)
      closers.push(async () => wire.close())
      const from = wire.messages.length
      const res = await wire.request('tools/call', {
        name: `${ep.prefix}progress`,
        arguments: { steps: 3, ms: 30 },
        _meta: { progressToken: 'wire' },
      })
      assert.equal(textOf(res.result), 'progress done: 3')
      const seen = wire.messages.slice(from).map((m) => (m.method ? `${m.method} ${m.params?.progress}` : 'result'))
      assert.deepEqual(seen, [1, 2, 3].map((i) => `notifications/progress ${i}`).concat('result'), ep.label)
      wire.close()
    }
  })

  it('a Cline-shaped SSE client (auth provider, static header, fetch wrapper) lists all four kinds in parallel and calls', async () => {
    const headers = { Authorization: `Bearer ${TEST_KEY}` }
    for (const ep of ENDPOINTS) {
      const redirects: URL[] = []
      const client = new Client({ name: 'Cline', version: '3.40.0' }, { capabilities: {} })
      closers.push(() => client.close())
      await client.connect(
        new SSEClientTransport(urlOf(ep, 'sse'), {
          requestInit: { headers },
          authProvider: clineAuthProvider(redirects),
          eventSourceInit: {
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
          },
        }),
      )
      const [tools, resources, templates, prompts] = await Promise.all([
        client.listTools(),
        client.listResources(),
        client.listResourceTemplates(),
        client.listPrompts(),
      ])
      assert.ok(tools.tools.some((t) => t.name === `${ep.prefix}echo`))
      assert.ok(resources.resources.some((r) => r.uri === 'mem://readme'))
      assert.ok(templates.resourceTemplates.some((t) => t.uriTemplate === 'mem://notes/{id}'))
      assert.ok(prompts.prompts.some((p) => p.name === `${ep.prefix}greet`))
      const out = await client.callTool({ name: `${ep.prefix}echo`, arguments: { message: `cline ${ep.label}` } })
      assert.deepEqual(out.content, [{ type: 'text', text: `Echo: cline ${ep.label}` }])
      assert.deepEqual(redirects, [], 'the client was never sent to a browser')
      await client.close()
    }
  })

  it('Inspector CLI: tools/call echo on /mcp and /sse and tools/list on /mcp, of both endpoints', async () => {
    const env = { HOME: home.path, MCP_CATALOG_PATH: join(home.path, 'catalog.json') }
    // Six CLI processes at once: a list on /sse too would add load and no path the SDK SSE client does not take.
    const cases = ENDPOINTS.flatMap((ep) => [
      { ep, kind: 'mcp' as const, method: 'tools/list' as const },
      ...(['mcp', 'sse'] as const).map((kind) => ({ ep, kind, method: 'tools/call' as const })),
    ])
    const runs = await Promise.all(
      cases.map(({ ep, kind, method }) =>
        run(
          [
            INSPECTOR,
            '--cli',
            urlOf(ep, kind).href,
            '--transport',
            kind === 'mcp' ? 'http' : 'sse',
            '--header',
            `Authorization: Bearer ${TEST_KEY}`,
            '--method',
            method,
            ...(method === 'tools/call'
              ? ['--tool-name', `${ep.prefix}echo`, '--tool-arg', `message=inspector ${kind}`]
              : []),
          ],
          env,
        ),
      ),
    )
    for (const [i, { ep, kind, method }] of cases.entries()) {
      const { code, stdout, stderr } = runs[i]
      const label = `${ep.label} ${kind} ${method}`
      assert.equal(code, 0, `${label}: exit ${code}\n${stderr}`)
      const out = JSON.parse(stdout)
      if (method === 'tools/list') {
        assert.ok(
          (out.tools as { name: string }[]).some((t) => t.name === `${ep.prefix}progress`),
          `${label}: ${stdout}`,
        )
      } else {
        assert.deepEqual(out.content, [{ type: 'text', text: `Echo: inspector ${kind}` }], label)
      }
    }
  })

  it('mcp-remote (http-first on /mcp, sse-only on /sse) lists and calls echo on both endpoints', async () => {
    const cases = ENDPOINTS.flatMap((ep) =>
      [
        ['mcp', []],
        ['sse', ['--transport', 'sse-only']],
      ].map(([kind, extra]) => ({ ep, kind: kind as 'mcp' | 'sse', extra: extra as string[] })),
    )
    await Promise.all(
      cases.map(async ({ ep, kind, extra }) => {
        const label = `mcp-remote ${ep.label} ${kind}`
        const transport = new StdioClientTransport({
          command: process.execPath,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: literal on purpose, mcp-remote expands ${AUTH} from its env
          args: [MCP_REMOTE, urlOf(ep, kind).href, '--header', 'Authorization:${AUTH}', ...extra],
          env: { PATH: process.env.PATH ?? '', HOME: home.path, AUTH: `Bearer ${TEST_KEY}` },
          cwd: root,
          stderr: 'pipe',
        })
        let stderr = ''
        transport.stderr?.on('data', (c: Buffer) => {
          stderr += c
        })
        const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' })
        closers.push(() => client.close())
        try {
          await within(client.connect(transport), 20_000, label)
          const { tools } = await client.listTools()
          assert.ok(
            tools.some((t) => t.name === `${ep.prefix}echo`),
            `${label}: ${tools.map((t) => t.name)}`,
          )
          const out = await client.callTool({ name: `${ep.prefix}echo`, arguments: { message: label } })
          assert.deepEqual(out.content, [{ type: 'text', text: `Echo: ${label}` }])
        } catch (err) {
          throw new Error(`${label}: ${(err as Error).message}\n${stderr.slice(-2000)}`)
        } finally {
          await client.close()
        }
      }),
    )
  })

  const MODES: { label: string; mode: VersionNegotiationMode }[] = [
    { label: 'auto', mode: 'auto' },
    { label: `pinned ${MODERN}`, mode: { pin: MODERN } },
  ]
  for (const { label: modeLabel, mode } of MODES) {
    for (const ep of ENDPOINTS) {
      const label = `SDK v2 (${modeLabel}), ${ep.label}`
      it(`${label}: negotiates ${MODERN}; tools, prompts, resources and progress`, async () => {
        const client = new ClientV2({ name: 'sdk-v2', version: '1.0.0' }, { versionNegotiation: { mode } })
        closers.push(() => client.close())
        await client.connect(new StreamableV2(urlOf(ep, 'mcp'), { requestInit: { headers: gw.auth } }))
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN)
        await checkCatalog(client, ep, label)
        const steps: number[] = []
        const result = await client.callTool(
          { name: `${ep.prefix}progress`, arguments: { steps: 2, ms: 30 } },
          { onprogress: (p) => steps.push(p.progress) },
        )
        assert.equal(textOf(result), 'progress done: 2')
        assert.deepEqual(steps, [1, 2], `${label}: progress`)
      })
    }
  }

  it('after every peer: the upstream only ever saw stateless POSTs in the 2026-07-28 revision', () => {
    assert.ok(modern.requests.length > 50, `${modern.requests.length} requests`)
    for (const r of modern.requests) {
      assert.equal(r.method, 'POST', 'no GET or DELETE upstream')
      assert.equal(r.headers['mcp-session-id'], undefined, 'no session upstream')
    }
    // A 2025-era client's own connection offers the 2025 handshake first; it is refused once and not again.
    const inits = modern.requests.filter((r) => (JSON.parse(r.body) as { method?: string }).method === 'initialize')
    assert.ok(inits.length <= 1, `${inits.length} initialize requests`)
    const modernOnes = modern.requests.filter((r) => !inits.includes(r))
    assert.ok(modernOnes.every((r) => r.headers['mcp-protocol-version'] === MODERN))
  })
})
