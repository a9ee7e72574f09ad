// mcpo as a 2026-07-28 client of its upstreams (protocol.md §11.2, U1–U3): what the era probe's answer means, the
// `_meta` envelope every modern request carries, the headers a modern Streamable HTTP request needs, and the
// InitializeResult the rest of the gateway works with, made from a DiscoverResult. Pure functions.
import {
  type HeaderParam,
  META,
  MODERN_VERSION,
  MODERN_VERSIONS,
  ModernCodes,
  NAME_SOURCE,
  valueAt,
} from './modern-wire.ts'

export type UpstreamEra = 'legacy' | 'modern'
export type ProtocolSetting = 'auto' | 'legacy' | 'modern'
/**
 * How one connection starts: a setting, or `legacy-first` for a 2025-era client's own connection to an `auto` server:
 * `initialize` first, so a server that speaks both eras serves that client in its era (its own session, its own
 * server→client requests), and the 2026-07-28 probe only when the server refuses.
 */
export type ConnectProtocol = ProtocolSetting | 'legacy-first'

/** What a modern upstream is told about the client behind mcpo, on every request. */
export interface UpstreamEnvelope {
  version: string
  capabilities: Record<string, unknown>
  clientInfo: { name: string; version: string }
}

/** The InitializeResult shape the relay, list caches and unified endpoint read. */
export interface ServerIdentityResult {
  protocolVersion: string
  capabilities: Record<string, unknown>
  serverInfo: { name: string; version: string; [k: string]: unknown }
  instructions?: string
  [k: string]: unknown
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A DiscoverResult that offers a revision mcpo speaks; null for anything else (a legacy server's answer). */
export function modernDiscovery(result: unknown): { version: string; result: Record<string, unknown> } | null {
  if (!isObject(result)) return null
  const offered = result.supportedVersions
  if (!Array.isArray(offered)) return null
  const version = MODERN_VERSIONS.find((v) => offered.includes(v))
  return version ? { version, result } : null
}

/**
 * An error answer to the probe that still proves a modern server (protocol.md §11.2): it checked the revision's own
 * headers or versions. mcpo can only use it when a version it speaks is among those the error says are supported.
 */
export function isModernRefusal(code: number): boolean {
  return (
    code === ModernCodes.HEADER_MISMATCH ||
    code === ModernCodes.MISSING_CLIENT_CAPABILITY ||
    code === ModernCodes.UNSUPPORTED_VERSION
  )
}

/** The identity a 2025-era client sees for a modern upstream, from its DiscoverResult. */
export function identityFromDiscovery(result: Record<string, unknown>): ServerIdentityResult {
  const meta = isObject(result._meta) ? result._meta : {}
  const fromMeta = meta[META.serverInfo]
  const info: Record<string, unknown> = isObject(fromMeta)
    ? fromMeta
    : isObject(result.serverInfo)
      ? result.serverInfo
      : {}
  const identity: ServerIdentityResult = {
    // The version 2025-era clients are told; the upstream's own revision is the transport's business.
    protocolVersion: MODERN_VERSION,
    capabilities: isObject(result.capabilities) ? result.capabilities : {},
    serverInfo: {
      ...info,
      name: typeof info.name === 'string' ? info.name : 'unknown',
      version: typeof info.version === 'string' ? info.version : '0',
    },
  }
  if (typeof result.instructions === 'string') identity.instructions = result.instructions
  return identity
}

/** The client capabilities mcpo can serve on the client's behalf: the requests it relays to the client. */
export function forwardableCapabilities(caps: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of ['roots', 'sampling', 'elicitation']) if (caps[key] !== undefined) out[key] = caps[key]
  return out
}

/** `params` with this connection's envelope in `_meta` (the caller's other `_meta` keys, e.g. progress, stay). */
export function withEnvelope(
  params: Record<string, unknown> | undefined,
  env: UpstreamEnvelope,
  logLevel?: string,
): Record<string, unknown> {
  const meta = isObject(params?._meta) ? params._meta : {}
  return {
    ...params,
    _meta: {
      ...meta,
      [META.protocolVersion]: env.version,
      [META.clientCapabilities]: env.capabilities,
      [META.clientInfo]: env.clientInfo,
      ...(logLevel ? { [META.logLevel]: logLevel } : {}),
    },
  }
}

/** Visible ASCII goes as is; anything else (or edge spaces) as `=?base64?…?=` of its UTF-8 (the revision's rule). */
export function encodeHeaderValue(value: string): string {
  let plain = value === value.trim()
  for (let i = 0; plain && i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) plain = false
  }
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`
}

/** The headers a modern request carries: version, method, the name it acts on, and the tool's declared parameters. */
export function modernRequestHeaders(
  version: string,
  method: string,
  params: unknown,
  paramHeaders: readonly HeaderParam[] = [],
): Record<string, string> {
  const headers: Record<string, string> = { 'mcp-protocol-version': version, 'mcp-method': method }
  const field = NAME_SOURCE[method]
  const name = field && isObject(params) ? params[field] : undefined
  if (typeof name === 'string') headers['mcp-name'] = encodeHeaderValue(name)
  const args = isObject(params) ? params.arguments : undefined
  for (const p of paramHeaders) {
    const v = valueAt(args, p.path)
    if (v === undefined || v === null || typeof v === 'object') continue
    headers[`mcp-param-${p.header.toLowerCase()}`] = encodeHeaderValue(String(v))
  }
  return headers
}
