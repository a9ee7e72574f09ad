// A minimal MCP client at the HTTP level (undici), fast enough to generate load: legacy HTTP+SSE and Streamable
// HTTP sessions, each on its own keep-alive connection(s), with the counters the load generator reports.
import { Client } from 'undici'

/** `modern`: MCP 2026-07-28, stateless POSTs with the per-request envelope (no session). */
export type Transport = 'sse' | 'streamable' | 'modern'

export interface Endpoint {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** Legacy SSE stream path (GET). */
  ssePath: string
  /** Streamable HTTP path. */
  mcpPath: string
  /** Auth headers (mcpo: Authorization, mcp-proxy: X-API-Key, baseline: none). */
  headers: Record<string, string>
}

export interface ClientOptions {
  callTimeoutMs?: number
  /** Cap on how long an idle POST connection is kept (undici's keepAliveMaxTimeout). */
  keepAliveMaxTimeoutMs?: number
}

const PROTOCOL_VERSION = '2025-06-18'
type Msg = {
  jsonrpc?: string
  id?: string | number | null
  method?: string
  params?: unknown
  result?: unknown
  error?: { code: number; message: string }
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

/** Incremental text/event-stream parser (`event:`, `data:` lines, comments; CRLF or LF). */
export class SseParser {
  private buf = ''
  private event = ''
  private data: string[] = []

  constructor(
    private readonly onEvent: (event: string, data: string) => void,
    private readonly onComment: (text: string) => void = () => {},
  ) {}

  feed(chunk: string): void {
    this.buf += chunk
    let start = 0
    for (let nl = this.buf.indexOf('\n', start); nl !== -1; nl = this.buf.indexOf('\n', start)) {
      const end = nl > start && this.buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
      this.line(this.buf.slice(start, end))
      start = nl + 1
    }
    this.buf = start === 0 ? this.buf : this.buf.slice(start)
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.onEvent(this.event || 'message', this.data.join('\n'))
      this.event = ''
      this.data = []
      return
    }
    if (line.charCodeAt(0) === 58) {
      this.onComment(line.slice(1).trim())
      return
    }
    const c = line.indexOf(':')
    const field = c === -1 ? line : line.slice(0, c)
    const value = c === -1 ? '' : line.slice(c + (line.charCodeAt(c + 1) === 32 ? 2 : 1))
    if (field === 'event') this.event = value
    else if (field === 'data') this.data.push(value)
  }
}

interface Pending {
  resolve(msg: Msg): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

/** What every session counts; the load generator sums them. */
export interface SessionCounters {
  /** Replies whose id no request of this session is waiting for. */
  stray: number
  /** Replies for a request that had already timed out. */
  late: number
  notifications: number
  serverRequests: number
  keepalives: number
}

export abstract class McpSession {
  readonly counters: SessionCounters = { stray: 0, late: 0, notifications: 0, serverRequests: 0, keepalives: 0 }
  protected readonly pending = new Map<string | number, Pending>()
  protected readonly timedOut = new Set<string | number>()
  protected nextId = 0
  closed = false
  protected readonly timeoutMs: number

  constructor(
    protected readonly endpoint: Endpoint,
    protected readonly options: ClientOptions = {},
  ) {
    this.timeoutMs = options.callTimeoutMs ?? 30_000
  }

  abstract open(): Promise<void>
  abstract request(method: string, params?: unknown): Promise<unknown>
  abstract close(): Promise<void>

  protected newClient(bodyTimeout = 60_000): Client {
    return new Client(this.endpoint.origin, {
      pipelining: 1,
      bodyTimeout,
      headersTimeout: 60_000,
      keepAliveMaxTimeout: this.options.keepAliveMaxTimeoutMs ?? 600_000,
      connect: { timeout: 30_000 },
    })
  }

  protected initializeParams() {
    return { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcpo-bench', version: '1.0.0' } }
  }

  /** A message from the server: a reply (matched by id), a server→client request, or a notification. */
  protected dispatch(msg: Msg): void {
    if (msg.method !== undefined) {
      if (msg.id !== undefined && msg.id !== null) {
        this.counters.serverRequests++
        this.answerServerRequest(msg)
      } else this.counters.notifications++
      return
    }
    const id = msg.id
    const p = id === undefined || id === null ? undefined : this.pending.get(id)
    if (!p) {
      if (id !== undefined && id !== null && this.timedOut.delete(id)) this.counters.late++
      else this.counters.stray++
      return
    }
    this.pending.delete(id!)
    clearTimeout(p.timer)
    p.resolve(msg)
  }

  protected answerServerRequest(_msg: Msg): void {}

  protected track(id: number): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        this.timedOut.add(id)
        reject(new Error(`timed out after ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
    })
  }

  protected fail(id: number, err: Error): void {
    const p = this.pending.get(id)
    if (!p) return
    clearTimeout(p.timer)
    this.pending.delete(id)
    p.reject(err)
  }

  protected failAll(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    this.pending.clear()
  }
}

function unwrap(msg: Msg): unknown {
  if (msg.error) throw new RpcError(msg.error.code, msg.error.message)
  return msg.result
}

/** Legacy HTTP+SSE: one connection holds the GET stream, a second (keep-alive) carries the POSTs. */
export class LegacySession extends McpSession {
  private stream = this.newClient(0)
  private post = this.newClient()
  private postPath = ''

  async open(): Promise<void> {
    const res = await this.stream.request({
      method: 'GET',
      path: this.endpoint.ssePath,
      headers: { accept: 'text/event-stream', ...this.endpoint.headers },
    })
    if (res.statusCode !== 200) {
      const body = await res.body.text()
      throw new Error(`GET ${this.endpoint.ssePath}: HTTP ${res.statusCode} ${body.slice(0, 200)}`)
    }
    let gotEndpoint!: (path: string) => void
    const endpoint = new Promise<string>((resolve) => {
      gotEndpoint = resolve
    })
    const parser = new SseParser(
      (event, data) => {
        if (event === 'endpoint') return gotEndpoint(data)
        let msg: Msg
        try {
          msg = JSON.parse(data)
        } catch {
          this.counters.stray++
          return
        }
        this.dispatch(msg)
      },
      () => this.counters.keepalives++,
    )
    res.body.setEncoding('utf8')
    res.body.on('data', (chunk: string) => parser.feed(chunk))
    const ended = () => {
      this.closed = true
      this.failAll(new Error('SSE stream closed'))
    }
    res.body.on('end', ended)
    res.body.on('error', ended)
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no endpoint event within 30 s')), 30_000).unref(),
    )
    const url = new URL(await Promise.race([endpoint, timeout]), this.endpoint.origin)
    this.postPath = url.pathname + url.search
    await this.request('initialize', this.initializeParams())
    await this.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  }

  private async send(msg: Msg): Promise<void> {
    const res = await this.post.request({
      method: 'POST',
      path: this.postPath,
      headers: {
        'content-type': 'application/json',
        'mcp-protocol-version': PROTOCOL_VERSION,
        ...this.endpoint.headers,
      },
      body: JSON.stringify(msg),
    })
    const text = await res.body.text()
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new Error(`POST messages: HTTP ${res.statusCode} ${text.slice(0, 200)}`)
  }

  async request(method: string, params?: unknown): Promise<unknown> {
    if (this.closed) throw new Error('SSE stream closed')
    const id = ++this.nextId
    const reply = this.track(id)
    this.send({ jsonrpc: '2.0', id, method, params }).catch((err) => this.fail(id, err))
    return unwrap(await reply)
  }

  protected override answerServerRequest(msg: Msg): void {
    const answer =
      msg.method === 'ping'
        ? { jsonrpc: '2.0', id: msg.id, result: {} }
        : { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }
    this.send(answer).catch(() => {})
  }

  async close(): Promise<void> {
    this.closed = true
    this.failAll(new Error('closed'))
    await Promise.all([this.stream.destroy().catch(() => {}), this.post.close().catch(() => {})])
  }
}

/** Streamable HTTP: every message is a POST on one keep-alive connection; replies come as JSON or SSE. */
export class StreamableSession extends McpSession {
  private client = this.newClient()
  sessionId: string | null = null

  private async post(msg: Msg): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.endpoint.headers,
    }
    if (this.sessionId) {
      headers['mcp-session-id'] = this.sessionId
      headers['mcp-protocol-version'] = PROTOCOL_VERSION
    }
    const res = await this.client.request({
      method: 'POST',
      path: this.endpoint.mcpPath,
      headers,
      body: JSON.stringify(msg),
    })
    const sid = res.headers['mcp-session-id']
    if (typeof sid === 'string' && !this.sessionId) this.sessionId = sid
    const type = String(res.headers['content-type'] ?? '')
    if (res.statusCode === 202) return void (await res.body.dump())
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      throw new Error(`POST ${this.endpoint.mcpPath}: HTTP ${res.statusCode} ${text.slice(0, 200)}`)
    }
    if (type.startsWith('text/event-stream')) {
      const parser = new SseParser(
        (_event, data) => this.dispatch(JSON.parse(data)),
        () => this.counters.keepalives++,
      )
      res.body.setEncoding('utf8')
      for await (const chunk of res.body) parser.feed(chunk as string)
      return
    }
    const text = await res.body.text()
    if (!text) return
    const value = JSON.parse(text) as Msg | Msg[]
    for (const m of Array.isArray(value) ? value : [value]) this.dispatch(m)
  }

  async open(): Promise<void> {
    await this.request('initialize', this.initializeParams())
    if (!this.sessionId) throw new Error('initialize answered without an Mcp-Session-Id')
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' })
  }

  async request(method: string, params?: unknown): Promise<unknown> {
    const id = ++this.nextId
    const reply = this.track(id)
    // The reply comes in the POST's own body; when that body ends without it, nothing else will bring it.
    this.post({ jsonrpc: '2.0', id, method, params }).then(
      () => this.fail(id, new Error('the POST response ended without the reply')),
      (err) => this.fail(id, err),
    )
    return unwrap(await reply)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.sessionId) {
      try {
        const res = await this.client.request({
          method: 'DELETE',
          path: this.endpoint.mcpPath,
          headers: { 'mcp-session-id': this.sessionId, ...this.endpoint.headers },
        })
        await res.body.dump()
      } catch {}
    }
    this.failAll(new Error('closed'))
    await this.client.close().catch(() => {})
  }
}

const MODERN_VERSION = '2026-07-28'
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'mcpo-bench', version: '1.0.0' },
}

/**
 * A 2026-07-28 client: no session; each request is one POST with the `_meta` envelope and the standard headers, on
 * this client's own keep-alive connection. `open` is the `server/discover` a client in auto mode starts with.
 */
export class ModernSession extends McpSession {
  private client = this.newClient()

  async open(): Promise<void> {
    await this.request('server/discover', {})
  }

  async request(method: string, params?: Record<string, unknown>): Promise<unknown> {
    const id = ++this.nextId
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
      ...this.endpoint.headers,
    }
    const name = params?.name ?? params?.uri
    if (typeof name === 'string') headers['mcp-name'] = name
    const reply = this.track(id)
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } })
    this.client.request({ method: 'POST', path: this.endpoint.mcpPath, headers, body }).then(
      async (res) => {
        const text = await res.body.text()
        if (res.statusCode !== 200 && !text.startsWith('{')) {
          return this.fail(id, new Error(`POST ${this.endpoint.mcpPath}: HTTP ${res.statusCode} ${text.slice(0, 200)}`))
        }
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          new SseParser((_event, data) => this.dispatch(JSON.parse(data))).feed(text)
        } else this.dispatch(JSON.parse(text) as Msg)
        this.fail(id, new Error('the POST response ended without the reply'))
      },
      (err) => this.fail(id, err),
    )
    return unwrap(await reply)
  }

  async close(): Promise<void> {
    this.closed = true
    this.failAll(new Error('closed'))
    await this.client.close().catch(() => {})
  }
}

export function newSession(transport: Transport, endpoint: Endpoint, options?: ClientOptions): McpSession {
  if (transport === 'modern') return new ModernSession(endpoint, options)
  return transport === 'sse' ? new LegacySession(endpoint, options) : new StreamableSession(endpoint, options)
}

/** The echo call: a unique string out, the same string back. Returns false when the reply is someone else's. */
export async function callEcho(session: McpSession, tool: string, message: string): Promise<boolean> {
  const result = (await session.request('tools/call', { name: tool, arguments: { message } })) as {
    content?: { type: string; text?: string }[]
    isError?: boolean
  }
  if (result?.isError) throw new Error(`tool error: ${result.content?.[0]?.text ?? ''}`)
  return result?.content?.[0]?.text === `Echo: ${message}`
}
