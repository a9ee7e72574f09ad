// The byte-level contract between the connection layer and an upstream MCP server: whole JSON-RPC messages as strings.
// Ids, handshakes, request tables and timeouts live above this layer; transports only move and frame messages.
import type { HeaderParam } from '../mcp/modern-wire.ts'

/**
 * One upstream connection. Create it, set the callbacks, `start()`, then `send()` messages.
 * @example
 *   const t = new StdioTransport({ command: 'node', args: ['server.js'] })
 *   t.onmessage = (text) => route(text)
 *   t.onclose = (reason) => { if (reason) supervisor.restart() }
 *   await t.start()
 *   t.send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{…}}')
 */
/** The Authorization an HTTP transport sends to an OAuth-protected server, read at each request (it is refreshed). */
export interface UpstreamBearerSource {
  header(): string
  /** The server answered 401 to it. */
  rejected(): void
  /** The server answered 403 `insufficient_scope`: it needs these scopes (space-separated; null when it named none). */
  insufficientScope?(scope: string | null): void
}

export interface UpstreamTransport {
  readonly kind: 'stdio' | 'sse' | 'streamable-http'
  /** Connects/spawns. Rejects with a GatewayError if it cannot start. */
  start(): Promise<void>
  /**
   * Sends one serialized JSON-RPC message (object, never a batch). Never throws for I/O failures: they arrive through
   * `onsendfailure` (this message could not be delivered) or `onerror`/`onclose` (the connection is in trouble).
   */
  send(message: string, options?: SendOptions): void
  /**
   * HTTP transports: the protocol version the handshake agreed on, sent as `MCP-Protocol-Version` on every later
   * request. Called once, after the InitializeResult arrived and before `notifications/initialized` is sent.
   */
  setProtocolVersion?(version: string): void
  /**
   * Speak the 2026-07-28 revision (`version`), or stop (null: the probe found a 2025-era server). HTTP transports then
   * send the revision's headers on every request, open no GET stream and hold no session, and end a request's POST
   * when its `notifications/cancelled` is sent. `paramHeaders` names a tool's `x-mcp-header` arguments.
   */
  setModern?(version: string | null, paramHeaders?: (tool: string) => readonly HeaderParam[]): void
  /**
   * Streamable HTTP: opens the GET stream the server may use for messages that belong to no request. Called once the
   * handshake is done; idempotent. Transports with one stream (stdio, legacy SSE) have nothing to open.
   */
  openEventStream?(): void
  /**
   * One whole JSON-RPC message (a single object's text) from the upstream, with the value the transport already
   * parsed to validate it, so the layer above need not parse it again. `origin` is the message whose HTTP response
   * carried it (Streamable HTTP POST streams), so a server→client request can be tied to the request that caused it.
   */
  onmessage?: (message: string, parsed?: unknown, origin?: string) => void
  /** Something went wrong that does not by itself end the connection. */
  onerror?: (err: Error) => void
  /** This message did not reach the upstream, or its answer never will (a failed POST, a full write queue). */
  onsendfailure?: (message: string, err: Error) => void
  /**
   * The connection is gone; the caller creates a new transport. Fires at most once, and nothing fires after it: the
   * caller fails whatever is still in flight. `reason` is undefined when `close()` caused it, and a GatewayError
   * (usually `MCPO_ERR_UPSTREAM_CLOSED`) otherwise; later `send()`s report that same reason through `onsendfailure`.
   */
  onclose?: (reason?: Error) => void
  /** Graceful stop; resolves once everything (process group, sockets) is gone. Idempotent. */
  close(): Promise<void>
}

/** Per-message extras. HTTP transports send `headers` with this message's POST (W3C `traceparent`); stdio ignores them. */
export interface SendOptions {
  headers?: Readonly<Record<string, string>>
}

/** The pino-compatible subset transports log through (structurally a subset of the plugin contract's `Logger`). */
export interface TransportLogger {
  debug(obj: unknown, msg?: string): void
  info(obj: unknown, msg?: string): void
  warn(obj: unknown, msg?: string): void
  error(obj: unknown, msg?: string): void
}

const noop = (): void => {}
export const silentLogger: TransportLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })

/** Reconnect schedule: attempt n (1-based) waits `min(maxMs, initialMs * factor^(n-1))`. No jitter: no hidden randomness. */
export interface BackoffOptions {
  initialMs?: number
  maxMs?: number
  factor?: number
}

export function backoffDelay(attempt: number, options: Required<BackoffOptions>): number {
  return Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt - 1))
}

/** One JSON-RPC message from an upstream: its text (what gets delivered) and the parsed object (for a cheap look). */
export interface JsonMessage {
  text: string
  value: Record<string, unknown>
}

/**
 * Splits one upstream payload into deliverable messages: an object is passed through as its original text (no
 * re-serialization), each object of an array is re-serialized, anything else yields null so the caller can drop it.
 */
export function parseJsonMessages(text: string): JsonMessage[] | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return jsonLines(text)
  }
  if (isPlainObject(value)) return [{ text, value }]
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    return value.map((v) => ({ text: JSON.stringify(v), value: v }))
  }
  return null
}

/**
 * Some servers write a notification and then the response into one `application/json` body, a line each. Read
 * leniently, that is every message they meant; anything else in the body still makes it unreadable.
 */
function jsonLines(text: string): JsonMessage[] | null {
  if (!text.includes('\n')) return null
  const out: JsonMessage[] = []
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '') continue
    try {
      const value: unknown = JSON.parse(trimmed)
      if (!isPlainObject(value)) return null
      out.push({ text: trimmed, value })
    } catch {
      return null
    }
  }
  return out.length > 0 ? out : null
}

/** A JSON-RPC response (as opposed to a request or notification). */
export function isResponse(value: Record<string, unknown>): boolean {
  return 'id' in value && !('method' in value) && ('result' in value || 'error' in value)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Hands one message to the caller. A throwing handler is the caller's bug: logged, and kept from tearing down the
 * stream it was read from (or, on stdio, from becoming an uncaught exception in a 'data' listener).
 */
export function deliverSafely(
  onmessage: ((message: string, parsed?: unknown, origin?: string) => void) | undefined,
  message: string,
  log: TransportLogger,
  parsed?: unknown,
  origin?: string,
): void {
  try {
    onmessage?.(message, parsed, origin)
  } catch (err) {
    log.error({ err, message: truncateForLog(message) }, 'onmessage handler threw')
  }
}

/** Cuts long upstream text before it goes into a log line. */
export function truncateForLog(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`
}
