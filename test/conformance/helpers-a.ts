// Wire-level helpers for the conformance tests of auth, legacy SSE and Streamable HTTP (protocol.md §9 items 1–45):
// raw fetch requests, an SSE reader that keeps every event and comment with its arrival time, and a gateway whose
// logs are captured (the harness keeps them silent).
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { UserConfig } from '../../config/define-config.ts'
import { resolveConfig } from '../../config/resolve.ts'
import { createGateway } from '../../gateway/gateway.ts'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { everythingServer, TEST_KEY, type TestGateway, templateDataDir } from '../harness.ts'

export const ACCEPT_BOTH = 'application/json, text/event-stream'
/** The 2026-07-28 error codes no 400 of mcpo may carry (protocol.md §1). */
export const MODERN_CODES = [-32020, -32021, -32022]

export interface SseEvent {
  event: string
  data: string
  /** How many `data:` lines the event had (protocol.md §2.3: mcpo writes single-line JSON). */
  dataLines: number
  id?: string
  retry?: number
  at: number
}

/** Reads an SSE body as it arrives: events, comments and the time of every write. */
export class SseReader {
  readonly events: SseEvent[] = []
  readonly comments: { text: string; at: number }[] = []
  /** Arrival time of every chunk (events or comments), to measure silence. */
  readonly chunkTimes: number[] = []
  raw = ''
  /** Set when the body ended cleanly (the server closed the stream). */
  endedAt: number | null = null
  error: unknown = null
  readonly done: Promise<void>
  private buffer = ''
  private current: { event?: string; data: string[]; id?: string; retry?: number } = { data: [] }
  private waiters: (() => void)[] = []

  constructor(
    readonly res: Response,
    private readonly ac?: AbortController,
  ) {
    this.done = this.pump()
  }

  get messages(): SseEvent[] {
    return this.events.filter((e) => e.event === 'message')
  }

  /** JSON-RPC messages of `message` events, parsed. */
  get json(): Record<string, unknown>[] {
    return this.messages.map((e) => JSON.parse(e.data) as Record<string, unknown>)
  }

  /** Resolves with the first event (looking at old ones too) that matches, or rejects after `timeoutMs`. */
  async waitEvent(match: (e: SseEvent) => boolean, timeoutMs = 3000, what = 'an SSE event'): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.find(match)
      if (found) return found
      if (this.endedAt !== null || this.error !== null) throw new Error(`stream ended before ${what} arrived`)
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.raw.slice(0, 500)}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** The JSON-RPC message with this id (a response), waiting for it. */
  async response(id: string | number, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const e = await this.waitEvent(
      (ev) => ev.event === 'message' && isResponseTo(JSON.parse(ev.data), id),
      timeoutMs,
      `the response to id ${JSON.stringify(id)}`,
    )
    return JSON.parse(e.data) as Record<string, unknown>
  }

  /** Waits for the body to end (clean close by the server); rejects after `timeoutMs`. */
  async ended(timeoutMs = 3000): Promise<number> {
    await Promise.race([
      this.done,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end')), timeoutMs).unref()),
    ])
    if (this.endedAt === null) throw new Error(`stream failed instead of ending: ${String(this.error)}`)
    return this.endedAt
  }

  /** The client goes away. */
  close(): void {
    this.ac?.abort()
    this.res.body?.cancel().catch(() => {})
  }

  private async pump(): Promise<void> {
    const body = this.res.body
    if (!body) {
      this.endedAt = Date.now()
      return
    }
    const decoder = new TextDecoder()
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true })
        this.chunkTimes.push(Date.now())
        this.raw += text
        this.feed(text)
        this.wake()
      }
      this.endedAt = Date.now()
    } catch (err) {
      this.error = err
    }
    this.wake()
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private feed(text: string): void {
    this.buffer += text
    const lines = this.buffer.split(/\r\n|\r|\n/)
    this.buffer = lines.pop() ?? ''
    for (const line of lines) {
      if (line === '') {
        const c = this.current
        if (c.data.length > 0) {
          this.events.push({
            event: c.event ?? 'message',
            data: c.data.join('\n'),
            dataLines: c.data.length,
            id: c.id,
            retry: c.retry,
            at: Date.now(),
          })
        } else if (c.id !== undefined || c.retry !== undefined) {
          this.events.push({ event: c.event ?? '', data: '', dataLines: 0, id: c.id, retry: c.retry, at: Date.now() })
        }
        this.current = { data: [] }
        continue
      }
      if (line.startsWith(':')) {
        this.comments.push({ text: line.slice(1).trim(), at: Date.now() })
        continue
      }
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') this.current.event = value
      else if (field === 'data') this.current.data.push(value)
      else if (field === 'id') this.current.id = value
      else if (field === 'retry') this.current.retry = Number(value)
    }
  }
}

export function isResponseTo(msg: unknown, id: string | number): boolean {
  const m = msg as { id?: unknown; method?: unknown }
  return m !== null && typeof m === 'object' && m.method === undefined && m.id === id
}

/** Opens a GET; a 200 `text/event-stream` answer comes back with a reader, anything else with its text. */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ res: Response; reader: SseReader | null; text: string | null }> {
  const ac = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal })
  if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return { res, reader: new SseReader(res, ac), text: null }
  }
  return { res, reader: null, text: await res.text() }
}

/** A legacy stream and the POST endpoint it announced. */
export interface LegacyStream {
  reader: SseReader
  /** The absolute URL of the messages endpoint. */
  endpoint: string
  sessionId: string
  /** POSTs one JSON-RPC message (or anything) to the endpoint. */
  post(body: unknown, headers?: Record<string, string>): Promise<Response>
  close(): void
}

export async function openLegacy(sseUrl: string, headers: Record<string, string>): Promise<LegacyStream> {
  const { res, reader, text } = await openSse(sseUrl, headers)
  if (!reader) throw new Error(`GET ${sseUrl} answered ${res.status}: ${text}`)
  const ev = await reader.waitEvent((e) => e.event === 'endpoint', 2000, 'the endpoint event')
  const endpoint = new URL(ev.data, sseUrl).href
  const sessionId = new URL(endpoint).searchParams.get('sessionId') ?? ''
  return {
    reader,
    endpoint,
    sessionId,
    post: (body, extra = {}) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers, ...extra },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: () => reader.close(),
  }
}

/** A Streamable POST with both Accept types unless `headers` say otherwise. */
export function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { accept: ACCEPT_BOTH, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

export function initializeRequest(id: string | number = 0, protocolVersion = '2025-11-25') {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'conformance', version: '1.0.0' } },
  }
}

/** The one JSON-RPC message of a Streamable answer, JSON or SSE. */
export async function readRpc(res: Response, id?: string | number): Promise<Record<string, unknown>> {
  const type = res.headers.get('content-type') ?? ''
  if (type.includes('text/event-stream')) {
    const reader = new SseReader(res)
    await reader.done
    const all = reader.json
    const found = id === undefined ? all.at(-1) : all.find((m) => isResponseTo(m, id))
    if (!found) throw new Error(`no response in SSE body: ${reader.raw}`)
    return found
  }
  return (await res.json()) as Record<string, unknown>
}

/** Initializes a Streamable session (and sends `notifications/initialized`); returns its id. */
export async function openStreamable(
  url: string,
  headers: Record<string, string>,
  protocolVersion = '2025-11-25',
): Promise<string> {
  const res = await postMcp(url, initializeRequest(0, protocolVersion), headers)
  if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`)
  await res.arrayBuffer()
  const id = res.headers.get('mcp-session-id')
  if (!id) throw new Error('initialize answered without Mcp-Session-Id')
  const note = await postMcp(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': protocolVersion },
  )
  await note.arrayBuffer()
  return id
}

/** DELETEs a Streamable session, ignoring the answer (cleanup). */
export async function deleteSession(url: string, headers: Record<string, string>, id: string): Promise<void> {
  await fetch(url, { method: 'DELETE', headers: { ...headers, 'mcp-session-id': id } })
    .then((r) => r.arrayBuffer())
    .catch(() => {})
}

/** The error of a JSON-RPC error body `{jsonrpc, id, error}`, or null if the body is not one. */
export function rpcError(body: unknown): { code: number; message: string } | null {
  const b = body as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } }
  if (b?.jsonrpc !== '2.0' || !b.error || typeof b.error.code !== 'number') return null
  return { code: b.error.code, message: String(b.error.message) }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every log line the gateway wrote, as raw JSON text. */
export interface CapturingGateway extends TestGateway {
  logs: string[]
}

/**
 * Like the harness's `startTestGateway`, but every log line (at `trace`) is kept in `logs` so a test can prove that no
 * credential was written. The harness itself only offers silent logs or stdout.
 */
export async function startCapturingGateway(user: UserConfig = {}): Promise<CapturingGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcpo-gw-'))
  cpSync(await templateDataDir(), dataDir, { recursive: true })
  const root = join(import.meta.dirname, '../..')
  const config = resolveConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      dataDir,
      logLevel: 'trace',
      plugins: [apiKeys()],
      ...user,
      limits: { shutdownGraceMs: 1000, ...(user.limits ?? {}) },
      projects: user.projects ?? [
        { id: 'demo', name: 'Demo', servers: [everythingServer()], apiKeys: [{ name: 'test', key: TEST_KEY }] },
      ],
    },
    { env: { MCPO_SECRET_KEY: 'a'.repeat(64) }, cwd: root },
  )
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const gateway = await createGateway(config, { logger: createLogger('trace', sink) })
  const { port } = await gateway.listen()
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    logs,
    auth: { Authorization: `Bearer ${TEST_KEY}` },
    async close() {
      await gateway.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
