// The plugin contract: what a plugin may implement and what the host hands it. Nothing here imports the gateway.
import type { Store } from './storage/port.ts'

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
  /** Per-request values plugins share through slots (see `defineSlot`). */
  readonly state: Map<symbol, unknown>
}

/** A typed key into `Exchange.state`. */
export interface Slot<T> {
  get(ex: Exchange): T | undefined
  set(ex: Exchange, value: T): void
}

export interface PluginContext {
  logger: Logger
  /** The options the factory was called with, as given. */
  options: unknown
  storage: Store
  clock: Clock
  defineSlot<T>(name: string): Slot<T>
  /** Records an audit event through every audit hook (security events a plugin sees itself: a key's first use). */
  audit?(event: AuditEvent): void
  /** A 32-byte key for one purpose, derived from the gateway's secret key; the secret itself never reaches plugins. */
  deriveKey(purpose: string): Uint8Array
  /** Gateway nodes alive now (1 without cluster mode): budgets meant for the whole cluster are split by it. */
  liveNodes?(): number
}

/** A JSON-RPC tool call as hooks see it. */
export interface ToolCall {
  projectId: string
  serverName: string
  toolName: string
  principal: Principal | null
}
export type ToolCallHook = (ex: Exchange, call: ToolCall) => void | Promise<void>

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
  /** Options kept for the context; factories pass what they were given. */
  options?: unknown
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

export const HookNames = ['onRequest', 'authenticate', 'authorize', 'onToolCall', 'audit', 'onToolResult'] as const
export type HookName = (typeof HookNames)[number]

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
