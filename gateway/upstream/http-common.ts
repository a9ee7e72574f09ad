// Plumbing shared by the two HTTP upstream transports: the undici agent, outgoing headers, SSE body pumping, messages.
import { Agent, type Dispatcher } from 'undici'
import { GatewayError } from '../errors.ts'
import { guardedConnector } from './network-guard.ts'
import { SseParser, type SseParserOptions } from './sse-parser.ts'
import {
  deliverSafely,
  isResponse,
  parseJsonMessages,
  type TransportLogger,
  truncateForLog,
  type UpstreamBearerSource,
} from './transport.ts'
import { bearerParams } from './www-authenticate.ts'

/**
 * One agent per transport, so `close()` can destroy exactly its sockets. No body timeout: SSE streams stay silent for
 * long stretches (undici's default 300 s cut them, protocol.md §2.5); request timeouts belong to the connection layer.
 */
export function createAgent(connectTimeoutMs: number, blockedNetworks: readonly string[] = []): Agent {
  const connect =
    blockedNetworks.length > 0 ? guardedConnector(connectTimeoutMs, blockedNetworks) : { timeout: connectTimeoutMs }
  return new Agent({ connect, bodyTimeout: 0, headersTimeout: 0 })
}

// Set per request by the transports; a configured value for one of these is dropped, never merged.
const OWNED_HEADERS = new Set([
  'accept',
  'connection',
  'content-length',
  'content-type',
  'host',
  'keep-alive',
  'last-event-id',
  'mcp-protocol-version',
  'mcp-session-id',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * The configured per-server headers (credentials, allow-listed extras), lower-cased, minus the ones mcpo owns. A user
 * and password in the server's URL become `Authorization: Basic` unless one is configured: fetch clients send no
 * userinfo, so without this the upstream would never see the credentials its URL was given with.
 */
export function configuredHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  url?: string,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase()
    if (!OWNED_HEADERS.has(key)) out[key] = value
  }
  const parsed = url === undefined ? undefined : parseHttpUrl(url, true)
  if (parsed && (parsed.username || parsed.password) && out.authorization === undefined) {
    const user = safeDecode(parsed.username)
    const password = safeDecode(parsed.password)
    out.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  }
  return out
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

export function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

export function contentTypeIs(headers: Dispatcher.ResponseData['headers'], type: string): boolean {
  return (headerValue(headers, 'content-type') ?? '').toLowerCase().includes(type)
}

/** A URL fit for logs and errors: no credentials, no query (either may carry a token). */
export function safeUrl(url: URL): string {
  return url.origin + url.pathname
}

/**
 * Parses a URL the transport will connect to; only http(s) is an MCP transport. Userinfo is dropped (it travels as
 * the Authorization header, see configuredHeaders) unless `keepUserinfo`.
 */
export function parseHttpUrl(url: string, keepUserinfo = false): URL | undefined {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined
    if (!keepUserinfo) {
      parsed.username = ''
      parsed.password = ''
    }
    return parsed
  } catch {
    return undefined
  }
}

/** Waits `ms`; resolves false early if `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Feeds a response body into an SSE parser until the body ends (resolves) or fails (rejects). */
export async function pumpSse(body: Dispatcher.ResponseData['body'], options: SseParserOptions): Promise<void> {
  const parser = new SseParser(options)
  for await (const chunk of body) parser.push(chunk as Buffer)
  parser.end()
}

/** The default of `upstreams.maxMessageBytes`: the same bound as a stdio line and an SSE event. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

/** How much of an error body is read at most: enough for a message, never the whole of an endless one. */
const SNIPPET_BYTES = 4096

/** The error of a reply cut at the cap; the waiting request gets it as its JSON-RPC error. */
export function tooLarge(limit: number): GatewayError {
  const size = limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${limit} bytes`
  return new GatewayError(
    'MCPO_ERR_UPSTREAM_UNAVAILABLE',
    `upstream reply is larger than ${size} (upstreams.maxMessageBytes); it was not read`,
    { details: { limitBytes: limit } },
  )
}

/**
 * A whole reply body as text, read with a byte counter: past `limit` the body (and its socket) is destroyed and this
 * rejects with `tooLarge`, so memory stays bounded whatever the upstream sends. A declared length is checked first.
 */
export async function readCapped(res: Dispatcher.ResponseData, limit: number): Promise<string> {
  const declared = Number(headerValue(res.headers, 'content-length'))
  if (declared > limit) {
    res.body.destroy()
    throw tooLarge(limit)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length
    if (size > limit) {
      res.body.destroy()
      throw tooLarge(limit)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** The start of an error body, for logs only: at most a few KB are read, then the body is dropped. */
export async function bodySnippet(body: Dispatcher.ResponseData['body'], max = 512): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer)
      size += (chunk as Buffer).length
      if (size >= SNIPPET_BYTES) break
    }
  } catch {
    return '(unreadable body)'
  } finally {
    body.destroy()
  }
  const text = Buffer.concat(chunks, size).subarray(0, SNIPPET_BYTES).toString('utf8')
  return truncateForLog(text, max)
}

/**
 * Delivers one SSE `message` event or JSON body to `onmessage`; anything that is not JSON-RPC objects is logged and
 * dropped (null). Returns how many responses went by, so a POST stream can tell whether it carried its answer.
 */
export function deliverJson(
  text: string,
  onmessage: ((message: string, parsed?: unknown, origin?: string) => void) | undefined,
  log: TransportLogger,
  where: Record<string, unknown>,
  origin?: string,
): number | null {
  if (text.trim() === '') return 0 // SSE priming events carry an id and empty data
  const messages = parseJsonMessages(text)
  if (!messages) {
    log.warn({ ...where, data: truncateForLog(text) }, 'upstream sent data that is not a JSON-RPC object; dropped')
    return null
  }
  let responses = 0
  for (const message of messages) {
    if (isResponse(message.value)) responses++
    deliverSafely(onmessage, message.text, log, message.value, origin)
  }
  return responses
}

/** An error as one log-friendly line, with its errno-style code when it has one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return code ? `${err.message} (${code})` : err.message
  }
  return String(err)
}

/** A 403 whose Bearer challenge says `insufficient_scope`: the token's owner is asked to consent to more. */
export function stepUp(bearer: UpstreamBearerSource, challenge: string | undefined): void {
  const params = bearerParams(challenge ?? '')
  if (params.error === 'insufficient_scope') bearer.insufficientScope?.(params.scope ?? null)
}
