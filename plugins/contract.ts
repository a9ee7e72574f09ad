// The plugin contract: what a plugin may implement, what the host hands it, the services plugins offer one another,
// and the errors they raise. Outside their own folder, plugins import this module and the pure shared libraries beside
// it (glob.ts, cookies.ts) only; nothing here imports the gateway.
import type { Store, User } from './storage/port.ts'

// The storage port is part of the seam: plugins read and write through `ctx.storage` and see its records from here.
export type {
  ApiKey,
  AuditEvent as StoredAuditEvent,
  NewAuditEvent,
  NewToolCall,
  Project,
  Role,
  Server,
  Store,
  Team,
  TeamMember,
  ToolPolicy,
  User,
  UserSession,
} from './storage/port.ts'

/** A pino-compatible logger subset, so plugins never depend on the logging library. */
export interface Logger {
  trace(obj: unknown, msg?: string): void
  debug(obj: unknown, msg?: string): void
  info(obj: unknown, msg?: string): void
  warn(obj: unknown, msg?: string): void
  error(obj: unknown, msg?: string): void
  fatal(obj: unknown, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

/** Injected so tests can control time. */
export interface Clock {
  now(): number
}

/** Who is making a request, once a plugin's `authenticate` recognised them. */
export interface Principal {
  kind: 'api-key' | 'user' | 'node'
  /** Stable id: the key id, the user id or the node id. */
  id: string
  /** A project API key only works on its own project. */
  projectId?: string
  userId?: string
  isAdmin?: boolean
  /** Name for logs and activity (never a secret). */
  label?: string
  /** A user acting through an app they connected with OAuth: the grant and the app's client id. */
  via?: { grantId: string; clientId: string }
}

/** What is being attempted, as `authorize` sees it. */
export interface McpTarget {
  projectId: string
  /** `null` on the unified endpoint before a tool is resolved. */
  serverName: string | null
  method: string
  toolName?: string
  /** True when the check only filters a list (`tools/list`): nothing is being called, so nothing is consumed. */
  listing?: boolean
}

export type Decision =
  | { allow: true }
  | { allow: false; reason: string; status?: 401 | 403 | 404 | 429; retryAfterMs?: number }

/** One record of the audit trail. */
export interface AuditEvent {
  action: string
  at: number
  projectId?: string | null
  teamId?: string | null
  actor?: { type: Principal['kind'] | 'system'; id: string } | null
  target?: { type: string; id: string } | null
  before?: unknown
  after?: unknown
  ip?: string | null
  userAgent?: string | null
  requestId?: string | null
}

/** The request as plugins see it: plain data, never a socket. Every field is set at construction. */
export interface Exchange {
  readonly requestId: string
  readonly method: string
  readonly path: string
  readonly query: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  readonly ip: string
  readonly params: Readonly<Record<string, string>>
  principal: Principal | null
}

export interface PluginContext {
  logger: Logger
  storage: Store
  clock: Clock
  /** Records an audit event through every audit hook (security events a plugin sees itself: a key's first use). */
  audit?(event: AuditEvent): void
  /** A 32-byte key for one purpose, derived from the gateway's secret key; the secret itself never reaches plugins. */
  deriveKey(purpose: string): Uint8Array
  /** Gateway nodes alive now (1 without cluster mode): budgets meant for the whole cluster are split by it. */
  liveNodes?(): number
  /** A service some plugin offers, or null; list it in `requires` to make boot fail instead of getting null. */
  service<T>(key: ServiceKey<T>): T | null
}

/** A `tools/call` as `onToolCall` hooks see it: after `authorize` allowed it, before it goes to the server. */
export interface ToolCall {
  projectId: string
  serverName: string
  /** The server's own name for the tool (on the unified endpoint, without the `<server>__` prefix). */
  toolName: string
  principal: Principal | null
  /** The parsed arguments as the client sent them; read only, never to be kept unredacted. */
  readonly arguments?: unknown
}

/**
 * What an `onToolCall` hook returns to refuse the call: the client gets a JSON-RPC error (`code`, default -32014
 * forbidden) whose message names the tool and `deny`, the gateway log says which plugin refused, and the tool-call
 * record has status `denied`. Returning nothing lets the call through.
 * @example
 * onToolCall: (ex, call) => (call.toolName === 'delete_repo' ? { deny: 'deleting is off on Fridays' } : undefined)
 */
export interface ToolCallDenial {
  deny: string
  code?: number
  data?: unknown
}
/** Returns nothing to let the call go on, or a denial. */
export type ToolCallHook = (
  ex: Exchange,
  call: ToolCall,
  // biome-ignore lint/suspicious/noConfusingVoidType: an async hook that lets every call through resolves to void.
) => ToolCallDenial | undefined | void | Promise<ToolCallDenial | undefined | void>

/**
 * The outcome of one `tools/call`, reported after the response went to the client (or it was refused, or the client
 * cancelled it). Never carries results. `arguments` is the parsed value, handed over only so that a plugin can keep
 * it for projects that opted in (redacted); everyone else must ignore it. Hooks must not block; buffer and write later.
 * @example
 * { projectId: 'demo', serverName: 'github', toolName: 'search', status: 'ok', durationMs: 42, argsSize: 17, ... }
 */
export interface ToolCallRecord {
  projectId: string
  serverName: string
  toolName: string
  principalKind: Principal['kind'] | null
  principalId: string | null
  /** The API key's id when the caller used one. */
  keyId: string | null
  sessionId: string | null
  clientName: string | null
  status: 'ok' | 'error' | 'denied' | 'timeout' | 'cancelled'
  /** The JSON-RPC error code as text, or null. */
  errorCode: string | null
  errorMessage: string | null
  durationMs: number
  /** Bytes of the JSON arguments. */
  argsSize: number
  at: number
  /** The gateway request id of the HTTP request that carried the call: the same id is in logs and audit entries. */
  requestId?: string | null
  /** See above: only for opted-in capture, never stored or logged as is. */
  arguments?: unknown
}
export type ToolFilter = (call: ToolCall) => boolean

/**
 * A plugin: what a factory such as `rbac(options)` returns. Only `name` is required; a hook nobody
 * implements costs nothing on a request.
 * @example
 * export function requestLog(): McpoPlugin {
 *   let log: Logger
 *   return { name: 'acme:request-log', setup(ctx) { log = ctx.logger }, onRequest(ex) { log.info({ path: ex.path }) } }
 * }
 */
export interface McpoPlugin {
  name: string
  enforce?: 'pre' | 'post'
  dependsOn?: string[]
  /** Services this plugin offers (`offer(KEY, value)`); two plugins offering one service fail boot. */
  provides?: readonly ServiceOffer[]
  /** Services this plugin uses: boot fails, naming the plugin to add, when no configured plugin offers one. */
  requires?: readonly ServiceKey<unknown>[]
  setup?(ctx: PluginContext): void | Promise<void>
  onRequest?(ex: Exchange): void | Promise<void>
  authenticate?(ex: Exchange): Principal | null | Promise<Principal | null>
  authorize?(ex: Exchange, target: McpTarget): Decision | Promise<Decision>
  onToolCall?: ToolCallHook | { filter: ToolFilter; handler: ToolCallHook }
  audit?(event: AuditEvent): void
  /** After every `tools/call`; like `audit`, buffered by the plugin and never blocking a reply. */
  onToolResult?(record: ToolCallRecord): void
  /**
   * Mail delivery of an invitation. Return true once the message is handed to a mail system; the first plugin that
   * does wins. Without one (or when it throws), the inviter is shown the link to pass on.
   */
  deliverInvitation?(message: InvitationMessage): boolean | Promise<boolean>
  /**
   * Mail delivery of an email verification link, with the same rules as `deliverInvitation`. Without a plugin that
   * takes it, accounts are verified only by an administrator: the link is never shown to anyone but the mailbox.
   */
  deliverEmailVerification?(message: EmailVerificationMessage): boolean | Promise<boolean>
  /** For `/readyz`: false when the plugin cannot do its job (its queue is stuck, its backend is down). */
  health?(): PluginHealth | Promise<PluginHealth>
  close?(): Promise<void>
}

export interface PluginHealth {
  ok: boolean
  /** Why not, for the operator (no secrets). */
  reason?: string
}

/** What an invitation mail says. `link` is the one-time sign-up link of an external invitation (a secret: send it only to `email`). */
export interface InvitationMessage {
  invitationId: string
  kind: 'team' | 'individual' | 'external'
  email: string
  role: string
  projectId: string | null
  teamId: string | null
  link: string | null
  expiresAt: string
  /** The inviting user's id, or null. */
  invitedBy: string | null
}

/**
 * What an email verification mail says. `link` proves the address when followed: send it only to `email`.
 * @example
 * { userId: '6f1…', email: 'ada@example.com', link: 'https://mcpo.example.com/admin/verify-email#token=…', expiresAt: '…' }
 */
export interface EmailVerificationMessage {
  userId: string
  email: string
  link: string
  expiresAt: string
}

// ---------------------------------------------------------------------------------------------------------------
// Services: typed APIs one plugin offers and the gateway or other plugins use, so nobody looks a plugin up by name.

/**
 * The typed name of a service. `offeredBy` is what to add to `plugins` to get it, for boot errors.
 * @example export const SESSIONS_SERVICE = defineService<SessionsService>('sessions', 'sessions()')
 */
export interface ServiceKey<T> {
  readonly id: string
  readonly offeredBy: string
  /** Never set: carries `T` so `offer` and `service` are checked against one type. */
  readonly type?: T
}

export function defineService<T>(id: string, offeredBy: string): ServiceKey<T> {
  return Object.freeze({ id, offeredBy })
}

/** One service a plugin offers; build it with `offer` so the value is checked against the key's type. */
export interface ServiceOffer<T = unknown> {
  readonly key: ServiceKey<T>
  readonly value: T
}

/** @example provides: [offer(SESSIONS_SERVICE, service)] */
export function offer<T>(key: ServiceKey<T>, value: T): ServiceOffer<T> {
  return Object.freeze({ key, value })
}

/** Sign-in sessions for people (the admin UI and the management API), offered by `sessions()`. */
export interface SessionsService {
  /** Starts a session for the user and signs its first token. */
  issue(user: Pick<User, 'id' | 'isAdmin'>): Promise<{ token: string; expiresAt: Date; sessionId: string }>
  /** Set-Cookie values for a token (and the CSRF cookie the UI echoes in a header). */
  cookies(token: string, csrf: string, maxAgeS: number): string[]
  readonly ttlSeconds: number
  /** A fresh token when the presented one is past half its life, so active users stay signed in. */
  renewal(ex: Exchange): Promise<string | null>
  /** The id of the session this request's token belongs to, once `authenticate` accepted it. */
  sessionOf(ex: Exchange): string | null
  /** Ends one session: its tokens are refused at once here and on every other node soon after. */
  revoke(sessionId: string): Promise<void>
  /** Ends every session of the user but `exceptId` (the caller's own, after a password change); returns how many. */
  revokeAll(userId: string, exceptId?: string | null): Promise<number>
}

export const SESSIONS_SERVICE = defineService<SessionsService>('sessions', 'sessions()')

/** Project API keys (`Bearer mcp_proj_…`) checked on MCP endpoints, offered by `apiKeys()`. */
export interface ApiKeysService {
  /** Reloads the keys now (after a key is created or revoked). */
  refresh(): Promise<void>
  /** Called after each reload with the ids of the keys that still work, so open sessions of dead keys can close. */
  onRefresh(listener: (activeIds: ReadonlySet<string>) => void): void
}

export const API_KEYS_SERVICE = defineService<ApiKeysService>('api-keys', 'apiKeys()')

// ---------------------------------------------------------------------------------------------------------------
// Errors and timeouts, shared by the gateway and plugins so both fail the same way.

/** Every mcpo error code, with the HTTP status and the JSON-RPC code the edge answers it with. */
export const ErrorCodes = {
  MCPO_ERR_NOT_FOUND: { http: 404, rpc: -32602 },
  MCPO_ERR_CONFLICT: { http: 409, rpc: -32600 },
  MCPO_ERR_VALIDATION: { http: 400, rpc: -32602 },
  MCPO_ERR_BAD_REQUEST: { http: 400, rpc: -32600 },
  MCPO_ERR_PARSE: { http: 400, rpc: -32700 },
  MCPO_ERR_UNAUTHENTICATED: { http: 401, rpc: -32000 },
  MCPO_ERR_FORBIDDEN: { http: 403, rpc: -32000 },
  MCPO_ERR_METHOD_NOT_ALLOWED: { http: 405, rpc: -32000 },
  MCPO_ERR_NOT_ACCEPTABLE: { http: 406, rpc: -32000 },
  MCPO_ERR_PAYLOAD_TOO_LARGE: { http: 413, rpc: -32600 },
  MCPO_ERR_HEADERS_TOO_LARGE: { http: 431, rpc: -32600 },
  MCPO_ERR_UNSUPPORTED_MEDIA_TYPE: { http: 415, rpc: -32000 },
  MCPO_ERR_RATE_LIMITED: { http: 429, rpc: -32000 },
  MCPO_ERR_LIMIT_REACHED: { http: 429, rpc: -32000 },
  MCPO_ERR_STORAGE_UNAVAILABLE: { http: 503, rpc: -32603 },
  MCPO_ERR_STORAGE_TIMEOUT: { http: 503, rpc: -32603 },
  MCPO_ERR_UPSTREAM_UNAVAILABLE: { http: 502, rpc: -32010 },
  MCPO_ERR_UPSTREAM_TIMEOUT: { http: 504, rpc: -32011 },
  MCPO_ERR_UPSTREAM_CLOSED: { http: 502, rpc: -32012 },
  MCPO_ERR_SHUTTING_DOWN: { http: 503, rpc: -32013 },
  MCPO_ERR_CONFIG: { http: 500, rpc: -32603 },
  MCPO_ERR_PLUGIN: { http: 500, rpc: -32603 },
  MCPO_ERR_INTERNAL: { http: 500, rpc: -32603 },
} as const satisfies Record<string, { http: number; rpc: number }>

export type ErrorCode = keyof typeof ErrorCodes

/**
 * An error mcpo raises on purpose. The edge turns it into an HTTP status or a JSON-RPC error.
 * @example throw new GatewayError('MCPO_ERR_CONFLICT', 'a server named "github" already exists')
 */
export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined
  /** Set on refusals worth an audit event of their own; never sent to the client. */
  readonly refusal: { action: string; subject?: string } | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown
      details?: Record<string, unknown>
      refusal?: { action: string; subject?: string }
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GatewayError'
    this.code = code
    this.details = options?.details
    this.refusal = options?.refusal
  }

  get httpStatus(): number {
    return ErrorCodes[this.code].http
  }

  get rpcCode(): number {
    return ErrorCodes[this.code].rpc
  }
}

export function isGatewayError(err: unknown, code?: ErrorCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code)
}

/** Rejects with `onTimeout()` if `promise` has not settled within `ms`; the timer is cleared as soon as it settles. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
