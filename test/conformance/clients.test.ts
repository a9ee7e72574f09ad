// Conformance items 66–73 (protocol.md §9, real clients end to end) and the Cline item: SDK 1.32.2 clients
// on both transports, a Cline-shaped client, the Inspector CLI and mcp-remote as child processes, and SSE keepalives
// against a short undici body timeout.
// Expected failure: 71 only if no v2 client (@modelcontextprotocol/client) is present. Item 72 is in test/api.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import { Agent, fetch as undiciFetch } from 'undici'
import { findProcesses, waitFor } from '../fixtures/processes.ts'
import { everythingServer, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { postMcp, textOf } from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep, within } from '../kit/waiting.ts'

const root = join(import.meta.dirname, '../..')
const INSPECTOR = join(root, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js')
const MCP_REMOTE = join(root, 'node_modules/mcp-remote/dist/proxy.js')

let gw: TestGateway
/** Item 73's control: default (15 s) keepalives, so a 2 s body timeout cuts its streams. */
let silent: TestGateway
const home = tempDir('clients-home')
const url = (server: string, kind: 'sse' | 'mcp') => new URL(`${gw.url}/projects/demo/servers/${server}/${kind}`)

before(async () => {
  const main = startTestGateway({
    // A 1 s keepalive for item 73; harmless for the others.
    limits: { sseKeepaliveMs: 1000 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        apiKeys: [{ name: 'test', key: TEST_KEY }],
        servers: [
          { ...everythingServer('everything'), autoStart: true },
          { ...fixtureServer('fixture'), autoStart: true },
        ],
      },
    ],
  })
  const control = startTestGateway({
    projects: [{ id: 'demo', name: 'Demo', servers: [], apiKeys: [{ name: 'test', key: TEST_KEY }] }],
  })
  ;[gw, silent] = await Promise.all([main, control])
})

after(async () => {
  await Promise.all([gw?.close(), silent?.close()])
  home.cleanup()
})

/** Runs a CLI to completion (or kills it after `timeoutMs`), collecting its output. */
function run(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c
    })
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** An OAuth provider as Cline creates for every remote server: no tokens, dynamic registration, a browser redirect. */
function clineAuthProvider(redirects: URL[]): OAuthClientProvider {
  let info: Awaited<ReturnType<OAuthClientProvider['clientInformation']>>
  return {
    get redirectUrl() {
      return 'http://127.0.0.1:48801/callback'
    },
    get clientMetadata() {
      return {
        client_name: 'Cline',
        redirect_uris: ['http://127.0.0.1:48801/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }
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

/** Cline's transports: static headers from the settings file, an auth provider, and (SSE) a fetch that adds the headers. */
function clineTransport(kind: 'sse' | 'streamableHttp', server: string, key: string, redirects: URL[]) {
  const headers = { Authorization: `Bearer ${key}` }
  if (kind === 'sse') {
    return new SSEClientTransport(url(server, 'sse'), {
      requestInit: { headers },
      authProvider: clineAuthProvider(redirects),
      eventSourceInit: {
        fetch: (input, init) =>
          fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
      },
    })
  }
  return new StreamableHTTPClientTransport(url(server, 'mcp'), {
    requestInit: { headers },
    authProvider: clineAuthProvider(redirects),
  })
}

describe('real clients end to end (protocol.md §9 items 66–73)', () => {
  it('66 C: SDK SSEClientTransport with requestInit.headers: connect, listTools, callTool echo = "Echo: hi"; Authorization on the GET and every POST', async () => {
    const seen: { method: string; auth: string | null }[] = []
    const recording: typeof fetch = (input, init) => {
      seen.push({ method: init?.method ?? 'GET', auth: new Headers(init?.headers).get('authorization') })
      return fetch(input, init)
    }
    const client = new Client({ name: 'sdk-sse', version: '1.0.0' })
    try {
      await client.connect(
        new SSEClientTransport(url('everything', 'sse'), { requestInit: { headers: gw.auth }, fetch: recording }),
      )
      const { tools } = await client.listTools()
      assert.ok(tools.some((t) => t.name === 'echo'))
      const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } })
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: hi' }])
    } finally {
      await client.close()
    }
    const gets = seen.filter((s) => s.method === 'GET')
    const posts = seen.filter((s) => s.method === 'POST')
    assert.equal(gets.length, 1)
    assert.ok(posts.length >= 4, `expected initialize, initialized, tools/list, tools/call; saw ${posts.length} POSTs`)
    for (const s of seen) assert.equal(s.auth, `Bearer ${TEST_KEY}`, `${s.method} without the key`)
  })

  it('67 C: SDK StreamableHTTPClientTransport: callTool with onprogress on slow gets every step; terminateSession() succeeds', async () => {
    const transport = new StreamableHTTPClientTransport(url('fixture', 'mcp'), { requestInit: { headers: gw.auth } })
    const client = new Client({ name: 'sdk-streamable', version: '1.0.0' })
    try {
      await client.connect(transport)
      const steps: number[] = []
      const result = await client.callTool({ name: 'slow', arguments: { steps: 4, ms: 50 } }, undefined, {
        onprogress: (p) => steps.push(p.progress),
      })
      assert.deepEqual(steps, [1, 2, 3, 4])
      assert.equal(textOf(result as { content: unknown }), 'done')
      const sessionId = transport.sessionId
      assert.ok(sessionId)
      await transport.terminateSession()
      assert.equal(transport.sessionId, undefined)
      const after = await postMcp(
        url('fixture', 'mcp'),
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { ...gw.auth, 'mcp-session-id': sessionId },
      )
      await after.arrayBuffer()
      assert.equal(after.status, 404)
    } finally {
      await client.close()
    }
  })

  it('68 C: a Cline-shaped client (authProvider, static header, fetch wrapper) connects on sse and streamableHttp; a wrong key fails fast with InvalidClientMetadataError, no redirect', async () => {
    for (const kind of ['sse', 'streamableHttp'] as const) {
      const redirects: URL[] = []
      const good = new Client({ name: 'Cline', version: '3.40.0' }, { capabilities: {} })
      try {
        await good.connect(clineTransport(kind, 'everything', TEST_KEY, redirects))
        assert.ok(
          (await good.listTools()).tools.some((t) => t.name === 'echo'),
          kind,
        )
      } finally {
        await good.close()
      }
      const bad = new Client({ name: 'Cline', version: '3.40.0' }, { capabilities: {} })
      const t = performance.now()
      const err = await within(
        bad.connect(clineTransport(kind, 'everything', 'mcp_proj_wrongwrongwrongwrongwrong01', redirects)).then(
          () => null,
          (e: unknown) => e,
        ),
        5000,
        `${kind} with a wrong key`,
      )
      await bad.close()
      assert.ok(err instanceof InvalidClientMetadataError, `${kind}: expected InvalidClientMetadataError, got ${err}`)
      assert.match(err.message, /project API keys/)
      assert.ok(performance.now() - t < 3000, `${kind}: took ${performance.now() - t} ms`)
      assert.deepEqual(redirects, [], `${kind}: the client was sent to a browser`)
    }
  })

  it('Cline (issue item 11): initialize, then tools/list, resources/list, resources/templates/list, prompts/list in parallel, then tools/call', async () => {
    for (const kind of ['sse', 'streamableHttp'] as const) {
      const transport =
        kind === 'sse'
          ? new SSEClientTransport(url('everything', 'sse'), { requestInit: { headers: gw.auth } })
          : new StreamableHTTPClientTransport(url('everything', 'mcp'), { requestInit: { headers: gw.auth } })
      const client = new Client({ name: 'Cline', version: 'x' }, { capabilities: {} })
      try {
        await client.connect(transport)
        assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything')
        const [tools, resources, templates, prompts] = await Promise.all([
          client.listTools(),
          client.listResources(),
          client.listResourceTemplates(),
          client.listPrompts(),
        ])
        assert.ok(
          tools.tools.some((t) => t.name === 'echo'),
          `${kind}: tools`,
        )
        assert.ok(resources.resources.length > 0, `${kind}: resources`)
        assert.ok(resources.resources.every((r) => typeof r.uri === 'string'))
        assert.ok(templates.resourceTemplates.length > 0, `${kind}: templates`)
        assert.ok(templates.resourceTemplates.every((r) => typeof r.uriTemplate === 'string'))
        assert.ok(prompts.prompts.length > 0, `${kind}: prompts`)
        for (const page of [tools, resources, templates, prompts]) assert.equal(page.nextCursor, undefined)
        // The same lists one by one: the parallel answers were not mixed up.
        assert.deepEqual((await client.listTools()).tools, tools.tools)
        assert.deepEqual((await client.listResources()).resources, resources.resources)
        assert.deepEqual((await client.listResourceTemplates()).resourceTemplates, templates.resourceTemplates)
        assert.deepEqual((await client.listPrompts()).prompts, prompts.prompts)
        const result = await client.callTool({ name: 'echo', arguments: { message: `cline ${kind}` } })
        assert.deepEqual(result.content, [{ type: 'text', text: `Echo: cline ${kind}` }])
      } finally {
        await client.close()
      }
    }
  })

  it('69 C: Inspector CLI --cli <url> --header "Authorization: Bearer k" --method tools/call --tool-name echo works for /mcp and /sse', async () => {
    const env = { HOME: home.path, MCP_CATALOG_PATH: join(home.path, 'catalog.json') }
    const runs = await Promise.all(
      (['mcp', 'sse'] as const).map((kind) =>
        run(
          [
            INSPECTOR,
            '--cli',
            url('everything', kind).href,
            '--transport',
            kind === 'mcp' ? 'http' : 'sse',
            '--header',
            `Authorization: Bearer ${TEST_KEY}`,
            '--method',
            'tools/call',
            '--tool-name',
            'echo',
            '--tool-arg',
            `message=inspector ${kind}`,
          ],
          env,
        ),
      ),
    )
    for (const [i, kind] of (['mcp', 'sse'] as const).entries()) {
      const { code, stdout, stderr } = runs[i]
      assert.equal(code, 0, `${kind}: exit ${code}\n${stderr}`)
      assert.deepEqual(JSON.parse(stdout).content, [{ type: 'text', text: `Echo: inspector ${kind}` }])
    }
  })

  it('70 C: mcp-remote <…/mcp> (http-first) and <…/sse> --transport sse-only both call echo; /sse in default mode falls back and works', async () => {
    const cases = [
      ['mcp', []],
      ['sse', ['--transport', 'sse-only']],
      ['sse', []],
    ] as const
    // The three bridges run at once: each is its own process with its own session.
    await Promise.all(
      cases.map(async ([kind, extra]) => {
        const transport = new StdioClientTransport({
          command: process.execPath,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: literal on purpose, mcp-remote expands ${AUTH} from its env
          args: [MCP_REMOTE, url('everything', kind).href, '--header', 'Authorization:${AUTH}', ...extra],
          env: { PATH: process.env.PATH ?? '', HOME: home.path, AUTH: `Bearer ${TEST_KEY}` },
          cwd: root,
          stderr: 'pipe',
        })
        let stderr = ''
        transport.stderr?.on('data', (c: Buffer) => {
          stderr += c
        })
        const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' })
        try {
          await within(client.connect(transport), 20_000, `mcp-remote ${kind} ${extra.join(' ')}`)
          const result = await client.callTool({ name: 'echo', arguments: { message: `remote ${kind}` } })
          assert.deepEqual(result.content, [{ type: 'text', text: `Echo: remote ${kind}` }])
          if (kind === 'sse' && extra.length === 0) assert.match(stderr, /falling-back-to-alternate-transport|sse-only/)
        } finally {
          await client.close()
        }
        const pid = transport.pid
        if (pid)
          assert.ok(
            await waitFor(() => !findProcesses(MCP_REMOTE).some((p) => p.pid === pid), 3000),
            'mcp-remote left running',
          )
      }),
    )
  })

  it('71 C: SDK v2 client connects with a 2025-11-25 handshake and calls echo', async (t) => {
    // protocol.md §10 names @modelcontextprotocol/client 2.4.0; it is not a dependency. The Inspector pulls in 2.3.1,
    // which is used when present (as the nearest published v2 client); otherwise this item stays an expected failure.
    let v2: Record<string, unknown>
    try {
      v2 = (await import(['@modelcontextprotocol', 'client'].join('/'))) as Record<string, unknown>
    } catch {
      t.todo('expected failure: @modelcontextprotocol/client not installed')
      return
    }
    type V2Client = {
      connect(t: unknown): Promise<void>
      callTool(p: unknown): Promise<{ content: unknown }>
      getNegotiatedProtocolVersion?(): string | undefined
      close(): Promise<void>
    }
    const ClientV2 = v2.Client as new (info: unknown, opts?: unknown) => V2Client
    const TransportV2 = v2.StreamableHTTPClientTransport as new (u: URL, opts: unknown) => { protocolVersion?: string }
    const seen: string[] = []
    const recording: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string') seen.push(init.body)
      return fetch(input, init)
    }
    const client = new ClientV2({ name: 'sdk-v2', version: '1.0.0' })
    const transport = new TransportV2(url('everything', 'mcp'), { requestInit: { headers: gw.auth }, fetch: recording })
    try {
      await client.connect(transport)
      const result = await client.callTool({ name: 'echo', arguments: { message: 'v2' } })
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: v2' }])
    } finally {
      await client.close()
    }
    const init = seen
      .map((b) => JSON.parse(b) as { method?: string; params?: { protocolVersion?: string } })
      .find((m) => m.method === 'initialize')
    assert.equal(init?.params?.protocolVersion, '2025-11-25')
  })

  // 72 C (generated client configs) is tested where the generator lives: test/api/configs-activity.test.ts.

  it('73 C: an SDK SSE client behind an undici Agent({ bodyTimeout: 2000 }) stays connected with 1 s keepalives and a later call succeeds', async () => {
    const agent = new Agent({ bodyTimeout: 2000 })
    const shortTimeout = ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch
    // Control: without keepalives (15 s default) the same client is cut off by its body timeout.
    const client = new Client({ name: 'idle', version: '1.0.0' })
    const errors: unknown[] = []
    const controlErrors: unknown[] = []
    const control = new SSEClientTransport(new URL(`${silent.url}/projects/demo/sse`), {
      requestInit: { headers: gw.auth },
      eventSourceInit: { fetch: shortTimeout },
    })
    try {
      const transport = new SSEClientTransport(url('everything', 'sse'), {
        requestInit: { headers: gw.auth },
        eventSourceInit: { fetch: shortTimeout },
      })
      await client.connect(transport)
      transport.onerror = (e) => errors.push(e)
      control.onerror = (e) => controlErrors.push(e)
      const idleSince = Date.now()
      await control.start()
      assert.ok(
        await waitFor(() => controlErrors.length > 0, 5000, 50),
        'the control stream was not cut: the body timeout is not in effect',
      )
      // Idle for well over the body timeout.
      await sleep(Math.max(0, idleSince + 3500 - Date.now()))
      assert.deepEqual(errors, [])
      const result = await client.callTool({ name: 'echo', arguments: { message: 'after idle' } })
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: after idle' }])
    } finally {
      await client.close()
      await control.close()
      await agent.close()
    }
  })
})
