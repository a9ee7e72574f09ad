// The plugin host: orders plugins, checks the services they offer and need, runs their setup, and builds one array
// per hook at boot.
import {
  type AuditEvent,
  type Clock,
  type Decision,
  type Exchange,
  GatewayError,
  type Logger,
  type McpoPlugin,
  type McpTarget,
  type Principal,
  type ServiceKey,
  type Store,
  type ToolCall,
  type ToolCallHook,
  type ToolCallRecord,
  withTimeout,
} from './contract.ts'

export interface PluginHostOptions {
  plugins: readonly McpoPlugin[]
  logger: Logger
  storage: Store
  clock?: Clock
  setupTimeoutMs?: number
  deriveKey?: (purpose: string) => Uint8Array
  /** Live node count in cluster mode; 1 otherwise. */
  liveNodes?: () => number
}

type AuthenticateFn = NonNullable<McpoPlugin['authenticate']>
type AuthorizeFn = NonNullable<McpoPlugin['authorize']>
type RequestFn = NonNullable<McpoPlugin['onRequest']>
type AuditFn = NonNullable<McpoPlugin['audit']>
type ToolResultFn = NonNullable<McpoPlugin['onToolResult']>
interface BoundToolCallHook {
  plugin: string
  filter: ((call: ToolCall) => boolean) | null
  handler: ToolCallHook
}

/** An `onToolCall` refusal with the plugin that made it (for the gateway's log line). */
export interface ToolCallRefusal {
  plugin: string
  reason: string
  code: number
  data?: unknown
}

/** JSON-RPC code of a refused tool call when the hook names none: mcpo's "forbidden". */
const REFUSED = -32014

/** Hooks as arrays, or `null` when no plugin has the hook so callers skip it with one check. */
export interface HookTable {
  onRequest: RequestFn[] | null
  authenticate: AuthenticateFn[] | null
  authorize: AuthorizeFn[] | null
  onToolCall: BoundToolCallHook[] | null
  audit: AuditFn[] | null
  onToolResult: ToolResultFn[] | null
}

const ALLOW: Decision = Object.freeze({ allow: true })
const tierRank = { pre: 0, normal: 1, post: 2 } as const

/** Sorts by `enforce` tier, then config order; checks names are unique and dependencies present and earlier. */
export function orderPlugins(plugins: readonly McpoPlugin[]): McpoPlugin[] {
  const problems: string[] = []
  const seen = new Set<string>()
  plugins.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || p.name === '') {
      problems.push(`plugins[${i}]: a plugin must be an object with a non-empty name (got ${describe(p)})`)
      return
    }
    if (seen.has(p.name)) problems.push(`plugins[${i}]: plugin "${p.name}" is listed twice`)
    seen.add(p.name)
  })
  if (problems.length) throw new GatewayError('MCPO_ERR_PLUGIN', problems.join('\n'))

  const sorted = plugins
    .map((plugin, index) => ({ plugin, index }))
    .sort(
      (a, b) => tierRank[a.plugin.enforce ?? 'normal'] - tierRank[b.plugin.enforce ?? 'normal'] || a.index - b.index,
    )
    .map((e) => e.plugin)

  const position = new Map(sorted.map((p, i) => [p.name, i]))
  for (const [i, p] of sorted.entries()) {
    for (const dep of p.dependsOn ?? []) {
      const at = position.get(dep)
      if (at === undefined) problems.push(`plugin "${p.name}" depends on "${dep}", which is not configured`)
      else if (at > i)
        problems.push(`plugin "${p.name}" depends on "${dep}", which must run before it (move it earlier)`)
    }
  }
  problems.push(...serviceProblems(sorted))
  if (problems.length) throw new GatewayError('MCPO_ERR_PLUGIN', problems.join('\n'))
  return sorted
}

/** Each service offered once, and every required one offered by some plugin (in any position: services are used after setup). */
function serviceProblems(plugins: readonly McpoPlugin[]): string[] {
  const problems: string[] = []
  const offeredBy = new Map<string, string>()
  for (const p of plugins) {
    for (const { key } of p.provides ?? []) {
      const other = offeredBy.get(key.id)
      if (other) problems.push(`plugins "${other}" and "${p.name}" both offer the ${key.id} service: keep one of them`)
      else offeredBy.set(key.id, p.name)
    }
  }
  for (const p of plugins) {
    for (const key of p.requires ?? []) {
      if (!offeredBy.has(key.id))
        problems.push(
          `plugin "${p.name}" needs the ${key.id} service: add ${key.offeredBy} to plugins in mcpo.config.ts`,
        )
    }
  }
  return problems
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'function') return 'a function; call the factory, e.g. rbac()'
  return typeof value
}

export class PluginHost {
  readonly plugins: readonly McpoPlugin[]
  readonly hooks: HookTable
  /** Audit hooks that threw; each failure is logged too, never swallowed. */
  auditFailures = 0
  private readonly options: PluginHostOptions
  private readonly setUp: McpoPlugin[] = []
  private readonly services = new Map<string, unknown>()

  constructor(options: PluginHostOptions) {
    this.options = options
    this.plugins = Object.freeze(orderPlugins(options.plugins))
    this.hooks = buildHooks(this.plugins)
    for (const p of this.plugins) for (const o of p.provides ?? []) this.services.set(o.key.id, o.value)
  }

  /** The plugin service under `key`, or null when no configured plugin offers it. */
  service<T>(key: ServiceKey<T>): T | null {
    return (this.services.get(key.id) as T | undefined) ?? null
  }

  /** The service the gateway cannot do without for `purpose`; a missing one fails boot naming the plugin to add. */
  requireService<T>(key: ServiceKey<T>, purpose: string): T {
    const found = this.service(key)
    if (found === null) {
      throw new GatewayError(
        'MCPO_ERR_PLUGIN',
        `${purpose} needs ${key.offeredBy}: add it to plugins in mcpo.config.ts`,
      )
    }
    return found
  }

  /** Runs every `setup` in order; the first failure or timeout closes what was set up and fails boot. */
  async setup(): Promise<void> {
    const timeoutMs = this.options.setupTimeoutMs ?? 10_000
    const clock = this.options.clock ?? { now: Date.now }
    for (const plugin of this.plugins) {
      if (plugin.setup) {
        const ctx = {
          logger: this.options.logger.child({ plugin: plugin.name }),
          storage: this.options.storage,
          clock,
          // Late-bound: `audit` may be replaced after setup (tests record events that way).
          audit: (event: AuditEvent) => this.audit(event),
          deriveKey:
            this.options.deriveKey ??
            (() => {
              throw new Error('no secret key is configured for derived keys')
            }),
          liveNodes: this.options.liveNodes ?? (() => 1),
          service: <T>(key: ServiceKey<T>) => this.service(key),
        }
        try {
          await withTimeout(
            Promise.resolve().then(() => plugin.setup?.(ctx)),
            timeoutMs,
            () => new Error(`setup did not finish within ${timeoutMs} ms`),
          )
        } catch (err) {
          await this.close()
          const reason = err instanceof Error ? err.message : String(err)
          throw new GatewayError('MCPO_ERR_PLUGIN', `plugin "${plugin.name}" failed to set up: ${reason}`, {
            cause: err,
          })
        }
      }
      this.setUp.push(plugin)
    }
  }

  /** The first plugin that recognises the request wins. */
  async authenticate(ex: Exchange): Promise<Principal | null> {
    const fns = this.hooks.authenticate
    if (fns === null) return null
    for (const fn of fns) {
      const principal = await fn(ex)
      if (principal) return principal
    }
    return null
  }

  /** Any deny wins; with no authorize hook everything authenticated is allowed. */
  async authorize(ex: Exchange, target: McpTarget): Promise<Decision> {
    const fns = this.hooks.authorize
    if (fns === null) return ALLOW
    for (const fn of fns) {
      const decision = await fn(ex, target)
      if (!decision.allow) return decision
    }
    return ALLOW
  }

  async onRequest(ex: Exchange): Promise<void> {
    const fns = this.hooks.onRequest
    if (fns === null) return
    for (const fn of fns) await fn(ex)
  }

  /** Runs the `onToolCall` hooks whose filter takes the call, in order; the first refusal wins and stops the rest. */
  async onToolCall(ex: Exchange, call: ToolCall): Promise<ToolCallRefusal | null> {
    const hooks = this.hooks.onToolCall
    if (hooks === null) return null
    for (const h of hooks) {
      if (h.filter !== null && !h.filter(call)) continue
      const verdict = await h.handler(ex, call)
      if (verdict != null && typeof verdict.deny === 'string') {
        return { plugin: h.plugin, reason: verdict.deny, code: verdict.code ?? REFUSED, data: verdict.data }
      }
    }
    return null
  }

  /** Audit hooks buffer on their own; a throwing one is counted and logged, and never blocks a reply. */
  audit(event: AuditEvent): void {
    const fns = this.hooks.audit
    if (fns === null) return
    for (const fn of fns) {
      try {
        fn(event)
      } catch (err) {
        this.auditFailures++
        this.options.logger.error({ err, action: event.action }, 'audit hook failed')
      }
    }
  }

  /** Tool-call outcomes; like audit hooks, a throwing one is counted and logged and never blocks a reply. */
  toolResult(record: ToolCallRecord): void {
    const fns = this.hooks.onToolResult
    if (fns === null) return
    for (const fn of fns) {
      try {
        fn(record)
      } catch (err) {
        this.auditFailures++
        this.options.logger.error({ err, tool: record.toolName }, 'tool result hook failed')
      }
    }
  }

  /** Closes in reverse order; one failure does not stop the others. */
  async close(): Promise<void> {
    while (this.setUp.length) {
      const plugin = this.setUp.pop()!
      if (!plugin.close) continue
      try {
        await plugin.close()
      } catch (err) {
        this.options.logger.error({ err, plugin: plugin.name }, 'plugin failed to close')
      }
    }
  }
}

function buildHooks(plugins: readonly McpoPlugin[]): HookTable {
  const collect = <F>(pick: (p: McpoPlugin) => F | undefined): F[] | null => {
    const out: F[] = []
    for (const p of plugins) {
      const fn = pick(p)
      if (fn) out.push(fn)
    }
    return out.length ? out : null
  }
  return {
    onRequest: collect((p) => p.onRequest?.bind(p)),
    authenticate: collect((p) => p.authenticate?.bind(p)),
    authorize: collect((p) => p.authorize?.bind(p)),
    audit: collect((p) => p.audit?.bind(p)),
    onToolResult: collect((p) => p.onToolResult?.bind(p)),
    onToolCall: collect((p): BoundToolCallHook | undefined => {
      const h = p.onToolCall
      if (!h) return undefined
      return typeof h === 'function'
        ? { plugin: p.name, filter: null, handler: h.bind(p) }
        : { plugin: p.name, filter: h.filter, handler: h.handler }
    }),
  }
}
