// The MCP client of the tests, at the wire: it sees raw statuses, headers, content types, every SSE event and comment
// with its arrival time, and JSON-RPC errors an SDK client would turn into exceptions. Legacy HTTP+SSE (GET the
// stream, POST to the announced endpoint) and Streamable HTTP (Mcp-Session-Id, JSON or SSE answers, the GET stream).
// Streams are read with the gateway's own SSE parser, the one it reads upstreams with.
import { type SseEvent as ParsedEvent, SseParser } from '../../gateway/upstream/sse-parser.ts'

export type Json = Record<string, unknown>

export interface RpcMsg {
  jsonrpc: '2.0'
  id?: string | number | null
  method?: string
  params?: Json
  result?: Json
  error?: { code: number; message: string; data?: unknown }
}

export interface SseEvent {
  event: string
  data: string
  /** The stream's last event id so far (sticky, as the SSE spec has it). */
  id?: string
  /** How many `data:` lines the event had (mcpo writes single-line JSON). */
  dataLines: number
  at: number
}

export const ACCEPT_BOTH = 'application/json, text/event-stream'
export const CLIENT_INFO = { name: 'mcpo-tests', version: '0.0.0' }
export const INIT_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO }

/** A response (not a request or notification) with this id. */
export function isResponseTo(msg: unknown, id: string | number): boolean {
  const m = msg as { id?: unknown; method?: unknown }
  return m !== null && typeof m === 'object' && m.method === undefined && m.id === id
}

/** The error of a JSON-RPC error body `{jsonrpc, id, error}`, or null if the body is not one. */
export function rpcError(body: unknown): { code: number; message: string } | null {
  const b = body as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } }
  if (b?.jsonrpc !== '2.0' || !b.error || typeof b.error.code !== 'number') return null
  return { code: b.error.code, message: String(b.error.message) }
}

/** The first text content of a tools/call result, or of the response carrying it. */
export function textOf(msg: RpcMsg | { content?: unknown } | undefined): string | undefined {
  if (!msg) return undefined
  const result = ('jsonrpc' in msg ? (msg as RpcMsg).result : msg) as { content?: { text?: string }[] } | undefined
  return result?.content?.[0]?.text
}

function sseParser(onevent: (e: SseEvent) => void, oncomment?: (text: string) => void, onretry?: (ms: number) => void) {
  return new SseParser({
    onevent: (e: ParsedEvent) =>
      onevent({
        event: e.event,
        data: e.data,
        ...(e.id === undefined ? {} : { id: e.id }),
        // Data lines are joined with LF and no line holds one, so this counts them exactly.
        dataLines: e.data.split('\n').length,
        at: Date.now(),
      }),
    oncomment,
    onretry,
  })
}

/** Every event of a complete SSE body. */
export function parseSseText(text: string): SseEvent[] {
  const out: SseEvent[] = []
  const parser = sseParser((e) => out.push(e))
  parser.push(text)
  parser.end()
  return out
}

/** The JSON-RPC messages of a complete answer body: one JSON object, a JSON array, or an SSE stream. */
export function messagesOf(contentType: string, text: string): RpcMsg[] {
  if (contentType.includes('text/event-stream')) {
    return parseSseText(text)
      .filter((e) => e.event === 'message')
      .map((e) => JSON.parse(e.data) as RpcMsg)
  }
  if (text.trim() === '') return []
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return []
  }
  return (Array.isArray(v) ? v : [v]) as RpcMsg[]
}

/** An SSE body read as it arrives: events, comments, retry hints and the time of every chunk, with waiters. */
export class SseStream {
  readonly events: SseEvent[] = []
  readonly comments: { text: string; at: number }[] = []
  /** `retry:` hints, in milliseconds. */
  readonly retries: number[] = []
  /** Arrival time of every chunk (events or comments), to measure silence. */
  readonly chunkTimes: number[] = []
  raw = ''
  /** Set when the body ended cleanly (the server closed the stream). */
  endedAt: number | null = null
  /** Set when reading failed (the client aborted, or the connection broke). */
  error: unknown = null
  /** Resolves when the body ends, cleanly or not. */
  readonly done: Promise<void>
  private waiters: (() => void)[] = []

  constructor(
    readonly res: Response,
    private readonly abort?: AbortController,
  ) {
    this.done = this.pump()
  }

  get closed(): boolean {
    return this.endedAt !== null || this.error !== null
  }

  get messageEvents(): SseEvent[] {
    return this.events.filter((e) => e.event === 'message')
  }

  /** JSON-RPC messages of the `message` events, parsed, in order. */
  get messages(): RpcMsg[] {
    return this.messageEvents.map((e) => JSON.parse(e.data) as RpcMsg)
  }

  /**
   * The first event from index `since` on, received already or later, that matches; rejects when the stream ends
   * first or after `timeoutMs`.
   */
  async waitEvent(
    match: (e: SseEvent) => boolean,
    timeoutMs = 5000,
    what = 'an SSE event',
    since = 0,
  ): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs
    let from = since
    for (;;) {
      const found = this.events.slice(from).find(match)
      if (found) return found
      from = Math.max(from, this.events.length)
      if (this.closed) throw new Error(`stream ended before ${what} arrived`)
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

  /** The first JSON-RPC message from index `since` on that matches, waiting for it. */
  async waitMessage(match: (m: RpcMsg) => boolean, timeoutMs = 5000, since = 0): Promise<RpcMsg> {
    const e = await this.waitEvent(
      (ev) => ev.event === 'message' && match(JSON.parse(ev.data) as RpcMsg),
      timeoutMs,
      'a matching JSON-RPC message',
      since,
    )
    return JSON.parse(e.data) as RpcMsg
  }

  /** The response with this id, waiting for it. */
  async response(id: string | number, timeoutMs = 5000): Promise<RpcMsg> {
    const e = await this.waitEvent(
      (ev) => ev.event === 'message' && isResponseTo(JSON.parse(ev.data), id),
      timeoutMs,
      `the response to id ${JSON.stringify(id)}`,
    )
    return JSON.parse(e.data) as RpcMsg
  }

  /** Waits for the server to end the body cleanly; rejects after `timeoutMs` or when reading failed instead. */
  async ended(timeoutMs = 3000): Promise<number> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.done,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('stream did not end')), timeoutMs)
      }),
    ]).finally(() => clearTimeout(timer))
    if (this.endedAt === null) throw new Error(`stream failed instead of ending: ${String(this.error)}`)
    return this.endedAt
  }

  /** The client goes away. */
  close(): void {
    this.abort?.abort()
    this.res.body?.cancel().catch(() => {})
  }

  private async pump(): Promise<void> {
    const parser = sseParser(
      (e) => this.events.push(e),
      (text) => this.comments.push({ text, at: Date.now() }),
      (ms) => this.retries.push(ms),
    )
    const body = this.res.body
    if (!body) {
      this.endedAt = Date.now()
      return
    }
    const decoder = new TextDecoder()
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.chunkTimes.push(Date.now())
        this.raw += decoder.decode(chunk, { stream: true })
        parser.push(chunk)
        this.wake()
      }
      parser.end()
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
}

/** Opens a GET; a 200 `text/event-stream` answer comes back with a stream, anything else with its text. */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ res: Response; reader: SseStream | null; text: string | null }> {
  const abort = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return { res, reader: new SseStream(res, abort), text: null }
  }
  return { res, reader: null, text: await res.text() }
}

/** A Streamable POST with both Accept types unless `headers` say otherwise. */
export function postMcp(url: string | URL, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { accept: ACCEPT_BOTH, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

export function initializeRequest(id: string | number = 0, protocolVersion = '2025-11-25') {
  return { jsonrpc: '2.0', id, method: 'initialize', params: { ...INIT_PARAMS, protocolVersion } }
}

/** The JSON-RPC response of a Streamable answer, JSON or SSE (with `id`, the one answering it). */
export async function readRpc(res: Response, id?: string | number): Promise<RpcMsg> {
  const all = messagesOf(res.headers.get('content-type') ?? '', await res.text())
  const found = id === undefined ? all.at(-1) : all.find((m) => isResponseTo(m, id))
  if (!found) throw new Error(`no response${id === undefined ? '' : ` to ${JSON.stringify(id)}`} in the answer`)
  return found
}

/** A legacy HTTP+SSE session: GET `…/sse`, then POSTs to the endpoint the stream announced. */
export class LegacyClient {
  /** The session id the endpoint carries. */
  readonly sessionId: string
  private nextId = 1

  private constructor(
    readonly sseUrl: string,
    /** The absolute URL of the messages endpoint. */
    readonly endpoint: string,
    readonly stream: SseStream,
    private readonly headers: Record<string, string>,
  ) {
    this.sessionId = new URL(endpoint).searchParams.get('sessionId') ?? ''
  }

  /** Opens the stream and waits for the `endpoint` event. */
  static async open(sseUrl: string, headers: Record<string, string>): Promise<LegacyClient> {
    const { res, reader, text } = await openSse(sseUrl, headers)
    if (!reader) throw new Error(`GET ${sseUrl} answered ${res.status}: ${text}`)
    const ev = await reader.waitEvent((e) => e.event === 'endpoint', 2000, 'the endpoint event')
    return new LegacyClient(sseUrl, new URL(ev.data, sseUrl).href, reader, headers)
  }

  /** `open`, then initialize and notifications/initialized. */
  static async connect(
    sseUrl: string,
    headers: Record<string, string>,
    init: Json = INIT_PARAMS,
  ): Promise<LegacyClient> {
    const c = await LegacyClient.open(sseUrl, headers)
    const res = await c.request('initialize', init)
    if (res.error) throw new Error(`initialize failed: ${res.error.message}`)
    await c.notify('notifications/initialized')
    return c
  }

  /** Every JSON-RPC message the stream delivered so far. */
  get messages(): RpcMsg[] {
    return this.stream.messages
  }

  /** POSTs one JSON-RPC message (or any text) to the endpoint, with the session's headers and `extra` over them. */
  post(body: unknown, extra: Record<string, string> = {}): Promise<Response> {
    return fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers, ...extra },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  }

  /** Posts a request (202 expected) and resolves with its response from the stream. */
  async request(method: string, params?: Json, id: string | number = this.nextId++, timeoutMs = 5000): Promise<RpcMsg> {
    // Only what arrives from now on: a client may reuse an id once its earlier request was answered.
    const answer = this.stream.waitMessage(
      (m) => m.id === id && m.method === undefined,
      timeoutMs,
      this.stream.events.length,
    )
    const res = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })
    const text = await res.text()
    if (res.status !== 202) {
      answer.catch(() => {})
      throw new Error(`POST ${method} answered ${res.status}: ${text}`)
    }
    return answer
  }

  /** Posts a notification; the status of the POST. */
  async notify(method: string, params?: Json): Promise<number> {
    const res = await this.post({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })
    await res.arrayBuffer()
    return res.status
  }

  close(): void {
    this.stream.close()
  }
}

export interface PostResult {
  status: number
  headers: Headers
  /** JSON-RPC messages of the answer, whether it came as one JSON object, a JSON array or an SSE stream. */
  messages: RpcMsg[]
  text: string
}

/**
 * A Streamable HTTP session. `initialize()` adopts the Mcp-Session-Id and protocol version the server answers with;
 * every later request carries both.
 */
export class StreamableClient {
  sessionId: string | undefined
  protocolVersion: string | undefined
  readonly streams: SseStream[] = []
  private nextId = 1

  constructor(
    readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** `initialize()`, failing unless it opened a session. */
  static async connect(
    url: string,
    headers: Record<string, string>,
    init: Json = INIT_PARAMS,
  ): Promise<StreamableClient> {
    const c = new StreamableClient(url, headers)
    const res = await c.initialize(init)
    if (res.status !== 200 || !c.sessionId) throw new Error(`initialize answered ${res.status}: ${res.text}`)
    return c
  }

  /**
   * initialize, then notifications/initialized when it succeeded. A failed initialize (an error, or no session)
   * leaves the client without a session, as the gateway drops it at once.
   */
  async initialize(init: Json = INIT_PARAMS): Promise<PostResult> {
    const res = await this.post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: init })
    const answer = res.messages[0]
    if (res.status !== 200 || !answer || answer.error) return res
    this.sessionId = res.headers.get('mcp-session-id') ?? undefined
    this.protocolVersion = (answer.result as { protocolVersion?: string } | undefined)?.protocolVersion
    const ack = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}: ${ack.text}`)
    return res
  }

  private requestHeaders(accept: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...this.headers, accept }
    if (this.sessionId) h['mcp-session-id'] = this.sessionId
    if (this.protocolVersion) h['mcp-protocol-version'] = this.protocolVersion
    return { ...h, ...extra }
  }

  /** POSTs and reads the whole answer (an SSE answer must end within `timeoutMs`, a minute unless told). */
  async post(
    body: unknown,
    opts: { headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<PostResult> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000)
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { ...this.requestHeaders(ACCEPT_BOTH, opts.headers), 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    })
    const text = await res.text()
    return {
      status: res.status,
      headers: res.headers,
      messages: messagesOf(res.headers.get('content-type') ?? '', text),
      text,
    }
  }

  /** POSTs and returns the answer stream as it arrives (to watch progress and cancellation). */
  async postStream(body: unknown): Promise<{ status: number; headers: Headers; stream: SseStream }> {
    const abort = new AbortController()
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { ...this.requestHeaders(ACCEPT_BOTH), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: abort.signal,
    })
    const stream = new SseStream(res, abort)
    this.streams.push(stream)
    return { status: res.status, headers: res.headers, stream }
  }

  /** A request's response (the message with its id; progress may precede it); fails unless the POST got a 200. */
  async request(method: string, params?: Json, id: string | number = this.nextId++): Promise<RpcMsg> {
    const res = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })
    if (res.status !== 200) throw new Error(`POST ${method} answered ${res.status}: ${res.text}`)
    const answer = res.messages.find((m) => isResponseTo(m, id))
    if (!answer) throw new Error(`no response to ${method} in ${res.text}`)
    return answer
  }

  /** tools/call with whatever status comes back: the whole answer, and its final message (result or error). */
  async call(
    id: number | string,
    name: string,
    args: Json = {},
    signal?: AbortSignal,
  ): Promise<{ reply: PostResult; final: RpcMsg | undefined }> {
    const reply = await this.post(
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
      { signal, timeoutMs: 60_000 },
    )
    return { reply, final: reply.messages.find((m) => m.id === id) }
  }

  /** Opens the session's GET stream. */
  async openGet(): Promise<SseStream> {
    const abort = new AbortController()
    const res = await fetch(this.url, { headers: this.requestHeaders('text/event-stream'), signal: abort.signal })
    if (res.status !== 200) {
      abort.abort()
      throw new Error(`GET answered ${res.status}`)
    }
    const stream = new SseStream(res, abort)
    this.streams.push(stream)
    return stream
  }

  /** DELETEs the session; the status. */
  async delete(): Promise<number> {
    const res = await fetch(this.url, { method: 'DELETE', headers: this.requestHeaders(ACCEPT_BOTH) })
    await res.arrayBuffer()
    return res.status
  }

  /** Closes the open streams and ends the session (cleanup: a failure is ignored). */
  async close(): Promise<void> {
    for (const s of this.streams) s.close()
    if (!this.sessionId) return
    await this.delete().catch(() => {})
    this.sessionId = undefined
  }
}

/** Initializes a Streamable session (and sends `notifications/initialized`); returns its id. */
export async function openStreamable(
  url: string,
  headers: Record<string, string>,
  protocolVersion = '2025-11-25',
): Promise<string> {
  const c = await StreamableClient.connect(url, headers, { ...INIT_PARAMS, protocolVersion })
  return c.sessionId as string
}

/** DELETEs a Streamable session, ignoring the answer (cleanup). */
export async function deleteSession(url: string, headers: Record<string, string>, id: string): Promise<void> {
  await fetch(url, { method: 'DELETE', headers: { ...headers, 'mcp-session-id': id } })
    .then((r) => r.arrayBuffer())
    .catch(() => {})
}

/** The Authorization header of an API key. */
export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` }
}
