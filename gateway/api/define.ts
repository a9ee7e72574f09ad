// How a control-plane route is declared: method, path, who may call it, and zod schemas that both validate the
// request and document it in /api/openapi.json (one source).
import type { z } from 'zod'
import type { ResolvedConfig } from '../../config/define-config.ts'
import type { AuditEvent, Exchange, Logger, Principal } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import type { Keyring } from '../../plugins/secrets/keyring.ts'
import type { Store } from '../../plugins/storage/port.ts'
import type { IncomingRequest } from '../http.ts'
import type { Relay } from '../mcp/relay.ts'
import type { SessionTracker } from '../mcp/session-tracker.ts'
import type { SessionRegistry } from '../mcp/sessions.ts'
import type { RefusalAudit } from '../refusals.ts'
import type { UpstreamOAuth } from '../upstream-oauth/vault.ts'
import type { ConnectionTests } from './server-checks.ts'

/** What every route handler may use. Built once at boot. */
export interface ApiServices {
  config: ResolvedConfig
  store: Store
  plugins: PluginHost
  relay: Relay
  sessions: SessionRegistry
  /** Client sessions with their counters; `flush()` before reading client_sessions. */
  tracker: SessionTracker
  keyring: Keyring
  logger: Logger
  /** Connection tests remembered for the save that follows them (server-checks.ts). */
  connectionTests: ConnectionTests
  /** Refused requests (sign-ins, CSRF, 403s) for the audit trail, aggregated per source. */
  refusals?: RefusalAudit
  /** Reloads a project's servers into the relay after a change (sessions get list_changed). */
  reloadProject(projectId: string): Promise<void>
  /** Reloads the API key cache after keys change. */
  reloadKeys(): Promise<void>
  /** After members left these projects: policy role snapshots and keys reload (on every node in a cluster). */
  membersChanged?(projectIds: string[]): Promise<void>
  /** The tokens mcpo holds for OAuth-protected servers, and their flows. */
  upstreamOAuth?: UpstreamOAuth | null
}

export interface ApiContext<B = unknown, Q = unknown> {
  req: IncomingRequest
  ex: Exchange
  params: Record<string, string>
  query: Q
  body: B
  /** Null only on `auth: 'public'` routes. */
  principal: Principal | null
  services: ApiServices
  /** Records an audit event with actor, ip, user agent and request id filled in. */
  audit(event: Omit<AuditEvent, 'at' | 'actor' | 'ip' | 'userAgent' | 'requestId'>): void
}

/** A reply with a status or headers other than 200 JSON. */
export interface ApiReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export interface RouteDef<B = unknown, Q = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  summary: string
  tag: string
  /** `public`: no sign-in; `user`: any signed-in principal; `admin`: global admins. Finer checks are in the handler. */
  auth: 'public' | 'user' | 'admin'
  /**
   * Project API keys are for MCP endpoints and every control-plane route refuses them (401), public ones included.
   * `read` lets them in, for GET only: the discovery documents an MCP client fetches about its own project.
   */
  projectKeys?: 'read'
  body?: z.ZodType<B>
  query?: z.ZodType<Q>
  /** Documented shape of a successful answer. */
  response?: z.ZodType
  /** Success status when the handler returns a plain value. */
  status?: number
  /** Media types of a streamed answer (`streamReply`), documented instead of JSON. */
  produces?: string[]
  handler(ctx: ApiContext<B, Q>): Promise<unknown | ApiReply> | unknown
}

/** Keeps the generic types of each route while collecting them in one array. */
export function route<B = undefined, Q = undefined>(def: RouteDef<B, Q>): RouteDef<unknown, unknown> {
  return def as RouteDef<unknown, unknown>
}

export function reply(status: number, body?: unknown, headers?: Record<string, string>): ApiReply {
  return { status, body, headers, [REPLY]: true } as ApiReply
}

const REPLY = Symbol('mcpo:reply')
export function isReply(value: unknown): value is ApiReply {
  return typeof value === 'object' && value !== null && REPLY in value
}

/**
 * A streamed answer: `produce` writes chunks as it reads them (an export of many rows is never held in memory).
 * `write` resolves false once the client went away, so the producer stops.
 */
export interface StreamReply {
  status: number
  headers: Record<string, string>
  produce(write: (chunk: string) => Promise<boolean>): Promise<void>
}

const STREAM = Symbol('mcpo:stream')
export function streamReply(
  status: number,
  headers: Record<string, string>,
  produce: StreamReply['produce'],
): StreamReply {
  return { status, headers, produce, [STREAM]: true } as StreamReply
}
export function isStreamReply(value: unknown): value is StreamReply {
  return typeof value === 'object' && value !== null && STREAM in value
}
