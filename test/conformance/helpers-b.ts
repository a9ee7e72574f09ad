// Wire-level helpers for conformance items 46–78: raw legacy-SSE and Streamable HTTP clients that keep every event,
// a recording "tap" in front of a stdio upstream, and a scripted stdio upstream for behaviours no SDK server shows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fixtureServer } from '../harness.ts'

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
  id?: string
}

export const CLIENT_INFO = { name: 'mcpo-conformance', version: '0.0.0' }
export const INIT_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO }
const STREAMABLE_ACCEPT = 'application/json, text/event-stream'

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Rejects when `promise` takes longer than `ms` (so a hang fails the test instead of stalling the run). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A temp dir that `cleanup()` removes. */
export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `mcpo-${prefix}-`))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

/** Incremental SSE parsing of a fetch body: events, comments and waiters; the stream ends when the body does. */
export class SseReader {
  readonly events: SseEvent[] = []
  readonly comments: string[] = []
  readonly ended: Promise<void>
  private waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = []
  private done = false

  constructor(
    res: Response,
    private readonly abort?: AbortController,
  ) {
    this.ended = this.pump(res).finally(() => {
      this.done = true
    })
  }

  get closed(): boolean {
    return this.done
  }

  /** Parsed JSON-RPC messages of every `message` event (or event without a name), in order. */
  messages(): RpcMsg[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as RpcMsg)
  }

  /** The first event from index `since` on (already received or future) that matches. */
  waitForEvent(match: (e: SseEvent) => boolean, timeoutMs = 5000, since = 0): Promise<SseEvent> {
    const seen = this.events.slice(since).find(match)
    if (seen) return Promise.resolve(seen)
    return within(new Promise<SseEvent>((resolve) => this.waiters.push({ match, resolve })), timeoutMs, 'SSE event')
  }

  waitFor(match: (m: RpcMsg) => boolean, timeoutMs = 5000, since = 0): Promise<RpcMsg> {
    return this.waitForEvent(
      (e) => e.event === 'message' && match(JSON.parse(e.data) as RpcMsg),
      timeoutMs,
      since,
    ).then((e) => JSON.parse(e.data) as RpcMsg)
  }

  close(): void {
    this.abort?.abort()
  }

  private async pump(res: Response): Promise<void> {
    if (!res.body) return
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        for (;;) {
          const end = buffer.search(/\r?\n\r?\n/)
          if (end === -1) break
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
          this.block(block)
        }
      }
    } catch {
      // Aborted by close(), or the server dropped the connection: both simply end the stream.
    }
  }

  private block(block: string): void {
    let event = 'message'
    const data: string[] = []
    let id: string | undefined
    let fields = 0
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) {
        this.comments.push(line)
        continue
      }
      const colon = line.indexOf(':')
      const name = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      fields++
      if (name === 'event') event = value
      else if (name === 'data') data.push(value)
      else if (name === 'id') id = value
    }
    if (fields === 0 || data.length === 0) return
    const e: SseEvent = { event, data: data.join('\n'), id }
    this.events.push(e)
    for (const w of [...this.waiters]) {
      if (!w.match(e)) continue
      this.waiters.splice(this.waiters.indexOf(w), 1)
      w.resolve(e)
    }
  }
}

/** A legacy HTTP+SSE client that sees the raw stream: GET `…/sse`, then POSTs to the announced endpoint. */
export class RawLegacy {
  private nextId = 1
  private constructor(
    readonly sseUrl: string,
    readonly endpoint: URL,
    readonly stream: SseReader,
    private readonly headers: Record<string, string>,
  ) {}

  static async open(sseUrl: string, headers: Record<string, string>): Promise<RawLegacy> {
    const abort = new AbortController()
    const res = await fetch(sseUrl, { headers: { ...headers, accept: 'text/event-stream' }, signal: abort.signal })
    if (res.status !== 200) {
      abort.abort()
      throw new Error(`GET ${sseUrl} answered ${res.status}`)
    }
    const stream = new SseReader(res, abort)
    const ep = await stream.waitForEvent((e) => e.event === 'endpoint', 2000)
    return new RawLegacy(sseUrl, new URL(ep.data, sseUrl), stream, headers)
  }

  /** `open` + initialize + notifications/initialized. */
  static async connect(sseUrl: string, headers: Record<string, string>, init: Json = INIT_PARAMS): Promise<RawLegacy> {
    const c = await RawLegacy.open(sseUrl, headers)
    const res = await c.request('initialize', init)
    if (res.error) throw new Error(`initialize failed: ${res.error.message}`)
    await c.notify('notifications/initialized')
    return c
  }

  get messages(): RpcMsg[] {
    return this.stream.messages()
  }

  async post(body: unknown): Promise<{ status: number; text: string }> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: res.status, text: await res.text() }
  }

  /** Posts a request (202 expected) and resolves with the response from the stream. */
  async request(method: string, params?: Json, id: string | number = this.nextId++, timeoutMs = 5000): Promise<RpcMsg> {
    // Only what arrives from now on: a client may reuse an id once its earlier request was answered.
    const answer = this.stream.waitFor(
      (m) => m.id === id && m.method === undefined,
      timeoutMs,
      this.stream.events.length,
    )
    const { status, text } = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })
    if (status !== 202) {
      answer.catch(() => {})
      throw new Error(`POST ${method} answered ${status}: ${text}`)
    }
    return answer
  }

  async notify(method: string, params?: Json): Promise<number> {
    return (await this.post({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })).status
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

/** A Streamable HTTP client that sees the raw exchange: statuses, content types and every SSE event. */
export class RawStreamable {
  sessionId: string | undefined
  protocolVersion: string | undefined
  private nextId = 1
  readonly streams: SseReader[] = []

  constructor(
    readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  static async connect(url: string, headers: Record<string, string>, init: Json = INIT_PARAMS): Promise<RawStreamable> {
    const c = new RawStreamable(url, headers)
    const res = await c.post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: init })
    if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${res.text}`)
    c.sessionId = res.headers.get('mcp-session-id') ?? undefined
    c.protocolVersion = (res.messages[0]?.result as { protocolVersion?: string } | undefined)?.protocolVersion
    const ack = await c.post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}`)
    return c
  }

  private requestHeaders(accept: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...this.headers, accept }
    if (this.sessionId) h['mcp-session-id'] = this.sessionId
    if (this.protocolVersion) h['mcp-protocol-version'] = this.protocolVersion
    return { ...h, ...extra }
  }

  /** POSTs and reads the whole answer (an SSE answer must end, or `timeoutMs` fails it). */
  async post(body: unknown, extra?: Record<string, string>, timeoutMs = 10_000): Promise<PostResult> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { ...this.requestHeaders(STREAMABLE_ACCEPT, extra), 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    const type = res.headers.get('content-type') ?? ''
    let messages: RpcMsg[] = []
    if (type.includes('text/event-stream')) {
      messages = parseSseText(text)
        .filter((e) => e.event === 'message')
        .map((e) => JSON.parse(e.data) as RpcMsg)
    } else if (type.includes('application/json') && text.trim() !== '') {
      const v = JSON.parse(text) as RpcMsg | RpcMsg[]
      messages = Array.isArray(v) ? v : [v]
    }
    return { status: res.status, headers: res.headers, messages, text }
  }

  /** POSTs and returns the answer stream as it arrives (for progress and cancellation). */
  async postStream(body: unknown): Promise<{ status: number; headers: Headers; stream: SseReader }> {
    const abort = new AbortController()
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { ...this.requestHeaders(STREAMABLE_ACCEPT), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: abort.signal,
    })
    const stream = new SseReader(res, abort)
    this.streams.push(stream)
    return { status: res.status, headers: res.headers, stream }
  }

  /** A request's response (the last message with its id; progress may precede it). */
  async request(method: string, params?: Json, id: string | number = this.nextId++): Promise<RpcMsg> {
    const res = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })
    if (res.status !== 200) throw new Error(`POST ${method} answered ${res.status}: ${res.text}`)
    const answer = res.messages.find((m) => m.id === id && m.method === undefined)
    if (!answer) throw new Error(`no response to ${method} in ${res.text}`)
    return answer
  }

  /** Opens the session's GET stream. */
  async openGet(): Promise<SseReader> {
    const abort = new AbortController()
    const res = await fetch(this.url, { headers: this.requestHeaders('text/event-stream'), signal: abort.signal })
    if (res.status !== 200) {
      abort.abort()
      throw new Error(`GET answered ${res.status}`)
    }
    const stream = new SseReader(res, abort)
    this.streams.push(stream)
    return stream
  }

  async delete(): Promise<number> {
    const res = await fetch(this.url, { method: 'DELETE', headers: this.requestHeaders(STREAMABLE_ACCEPT) })
    await res.arrayBuffer()
    return res.status
  }

  close(): void {
    for (const s of this.streams) s.close()
  }
}

export function parseSseText(text: string): SseEvent[] {
  const out: SseEvent[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = 'message'
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
    }
    if (data.length > 0) out.push({ event, data: data.join('\n') })
  }
  return out
}

export function textOf(msg: RpcMsg | { content?: unknown }): string | undefined {
  const result = ('jsonrpc' in msg ? (msg as RpcMsg).result : msg) as { content?: { text?: string }[] } | undefined
  return result?.content?.[0]?.text
}

// ---------------------------------------------------------------------------------------------------------------
// Recording stdio upstreams. Both log one JSON line per message to a file: {d: 'in'|'out', t, pid, line}, where
// 'in' is what the upstream received from mcpo and 'out' what it sent. Plain JS run with `node -e`: no tsx start-up.

/**
 * Sits between mcpo and a stdio server, logging both directions; exits with the server (so crashes stay crashes).
 * With a `stderrLine`, writes it to stderr at start and on each tools/call.
 */
const TAP_JS = `
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const [log, stderrLine, cmd, ...args] = process.argv.slice(1)
const rec = (d, line) => fs.appendFileSync(log, JSON.stringify({ d, t: Date.now(), pid: process.pid, line }) + '\\n')
if (stderrLine) process.stderr.write(stderrLine + '\\n')
const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] })
child.stdin.on('error', () => {})
process.stdout.on('error', () => {})
const lines = (stream, fn) => {
  let buf = ''
  stream.setEncoding('utf8')
  stream.on('data', (c) => {
    buf += c
    let i
    while ((i = buf.indexOf('\\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); fn(l) }
  })
}
lines(process.stdin, (l) => {
  rec('in', l)
  // Stderr on every call too, so it happens while client sessions are attached.
  if (stderrLine && l.includes('"tools/call"')) process.stderr.write(stderrLine + '\\n')
  child.stdin.write(l + '\\n')
})
process.stdin.on('end', () => child.stdin.end())
lines(child.stdout, (l) => { rec('out', l); process.stdout.write(l + '\\n') })
child.on('exit', (code) => process.exit(code === null ? 1 : code))
`

/**
 * A scripted MCP server: answers the handshake (after `initDelayMs`) and lists itself; tools `echo`, `late {ms}`
 * (answers after ms even if cancelled), `ping-client` (pings mcpo and reports the answer and its delay), `changed`
 * (sends tools/list_changed), `crash` (exits), plus any extra tool names given (calling one returns "called <name>").
 */
const SCRIPT_JS = `
const fs = require('node:fs')
const [log, extra, initDelay] = process.argv.slice(1)
const extraTools = JSON.parse(extra || '[]')
const initDelayMs = Number(initDelay || 0)
const rec = (d, line) => fs.appendFileSync(log, JSON.stringify({ d, t: Date.now(), pid: process.pid, line }) + '\\n')
const out = (m) => { const s = JSON.stringify(m); rec('out', s); process.stdout.write(s + '\\n') }
const waiting = new Map()
let seq = 0
const ask = (method, params) => new Promise((resolve) => {
  const id = 'srv-' + (++seq)
  waiting.set(id, { resolve, t: Date.now() })
  out({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })
})
const text = (t) => ({ content: [{ type: 'text', text: t }] })
const tools = ['echo', 'late', 'ping-client', 'changed', 'crash', ...extraTools].map((name) => ({ name, inputSchema: { type: 'object' } }))
let buf = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (c) => {
  buf += c
  let i
  while ((i = buf.indexOf('\\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); handle(l) }
})
process.stdin.on('end', () => process.exit(0))
async function handle(line) {
  rec('in', line)
  let m
  try { m = JSON.parse(line) } catch { return }
  if (m.method === undefined && m.id !== undefined) {
    const w = waiting.get(m.id)
    if (w) { waiting.delete(m.id); w.resolve({ msg: m, ms: Date.now() - w.t }) }
    return
  }
  if (m.id === undefined) return
  const reply = (result) => out({ jsonrpc: '2.0', id: m.id, result })
  switch (m.method) {
    case 'initialize':
      if (initDelayMs) await new Promise((r) => setTimeout(r, initDelayMs))
      return reply({ protocolVersion: m.params.protocolVersion, capabilities: { tools: { listChanged: true } }, serverInfo: { name: 'mcpo-script', version: '1.0.0' } })
    case 'ping':
      return reply({})
    case 'tools/list':
      return reply({ tools })
    case 'tools/call': {
      const name = m.params.name
      const a = m.params.arguments || {}
      if (name === 'echo') return reply(text('Echo: ' + a.message))
      if (name === 'late') return setTimeout(() => reply(text('late answer')), a.ms || 300)
      if (name === 'ping-client') { const r = await ask('ping'); return reply(text(JSON.stringify(r))) }
      if (name === 'crash') process.exit(3)
      if (name === 'changed') { out({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }); return reply(text('changed')) }
      if (extraTools.includes(name)) return reply(text('called ' + name))
      return out({ jsonrpc: '2.0', id: m.id, error: { code: -32602, message: 'Unknown tool: ' + name } })
    }
    default:
      return out({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } })
  }
}
`

interface StdioServerConfig {
  name: string
  transport: 'stdio'
  command: string
  args: string[]
  cwd?: string
  timeoutMs?: number
  isolation?: 'shared' | 'per-session'
}

/** The fixture (or any stdio server) behind a tap that logs every line to `log`. */
export function tapped(
  name: string,
  log: string,
  inner: { command: string; args: readonly string[]; cwd?: string } = fixtureServer(name),
  opts: { stderrLine?: string; timeoutMs?: number; isolation?: 'shared' | 'per-session' } = {},
): StdioServerConfig {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: ['-e', TAP_JS, log, opts.stderrLine ?? '', inner.command, ...inner.args],
    ...(inner.cwd ? { cwd: inner.cwd } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.isolation ? { isolation: opts.isolation } : {}),
  }
}

/** The scripted server (see SCRIPT_JS), logging to `log`. */
export function scripted(
  name: string,
  log: string,
  opts: { extraTools?: string[]; initDelayMs?: number; timeoutMs?: number } = {},
): StdioServerConfig {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: ['-e', SCRIPT_JS, log, JSON.stringify(opts.extraTools ?? []), String(opts.initDelayMs ?? 0)],
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  }
}

export interface LogEntry {
  d: 'in' | 'out'
  t: number
  pid: number
  msg: RpcMsg | null
  line: string
}

/** Everything a tapped or scripted upstream received ('in') and sent ('out') so far. */
export function readLog(log: string): LogEntry[] {
  let raw: string
  try {
    raw = readFileSync(log, 'utf8')
  } catch {
    return []
  }
  return raw
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const e = JSON.parse(l) as { d: 'in' | 'out'; t: number; pid: number; line: string }
      let msg: RpcMsg | null = null
      try {
        msg = JSON.parse(e.line) as RpcMsg
      } catch {
        // A non-JSON line (the fixture's garbage tool): kept as text only.
      }
      return { ...e, msg }
    })
}

/** Requests the upstream received for a tool, in order. */
export function toolCalls(log: string, tool: string): LogEntry[] {
  return readLog(log).filter((e) => e.d === 'in' && e.msg?.method === 'tools/call' && e.msg.params?.name === tool)
}
