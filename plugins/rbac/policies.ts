// The `toolPolicies()` plugin: per-project tool toggles and allow/deny policies, decided from an in-memory snapshot
// per project so `tools/call` (and `tools/list`, which the relay filters through the same decision) never waits on storage.
//
// How a call is decided (the explain endpoint reports the rule that decided):
// 1. A tool switched off with the server's tool toggles is denied.
// 2. A matching deny policy (server glob, tool glob, subject) is denied; the first by priority is named. Deny wins.
// 3. Allow policies that cover the tool restrict it: when any exists, only subjects of one of them may call it.
// 4. Anything else is allowed (allow by default).
// A policy's subjects are roles and API key ids; none means everyone. Both live in the `roles` column: key ids as
// `key:<id>` entries, so policies needed no new column.
import {
  type Decision,
  defineService,
  type Exchange,
  type Logger,
  type McpoPlugin,
  type McpTarget,
  offer,
  type Principal,
  type Project,
  type Role,
  type Server,
  type Store,
  type ToolPolicy,
} from '../contract.ts'
import { compileGlob, type Glob } from '../glob.ts'
import { Roles, stronger } from './matrix.ts'

export const TOOL_POLICIES_PLUGIN = 'mcpo:tool-policies'

const KEY_SUBJECT = 'key:'
/** A key from the config file has no creator; it acts as a reporter (gateway/api/access.ts says the same). */
const CONFIG_KEY_ROLE: Role = 'reporter'

/** A policy as the API shows it: subjects split into roles and key ids. */
export interface PolicyRule {
  id: string
  priority: number
  effect: 'allow' | 'deny'
  serverPattern: string
  toolPattern: string
  roles: Role[]
  keyIds: string[]
  description: string
}

/** Who is calling, as policies see it. */
export interface Subject {
  role: Role | null
  keyId: string | null
}

export type RuleRef =
  | { kind: 'toggle'; server: string; tool: string }
  | { kind: 'policy'; policy: PolicyRule }
  | { kind: 'default' }

export interface Verdict {
  allowed: boolean
  rule: RuleRef
  reason: string
}

interface CompiledRule {
  rule: PolicyRule
  server: Glob
  tool: Glob
  roles: ReadonlySet<string>
  keyIds: ReadonlySet<string>
}

/** What the decision needs about one project. */
export interface ProjectPolicies {
  /** Server name → tool toggles (tool → enabled; absent means enabled). */
  toggles: ReadonlyMap<string, Readonly<Record<string, boolean>>>
  rules: readonly CompiledRule[]
}

export function splitSubjects(stored: readonly string[]): { roles: Role[]; keyIds: string[] } {
  const roles: Role[] = []
  const keyIds: string[] = []
  for (const s of stored) {
    if (s.startsWith(KEY_SUBJECT)) keyIds.push(s.slice(KEY_SUBJECT.length))
    else if ((Roles as readonly string[]).includes(s)) roles.push(s as Role)
  }
  return { roles, keyIds }
}

export function joinSubjects(roles: readonly Role[], keyIds: readonly string[]): string[] {
  return [...roles, ...keyIds.map((id) => KEY_SUBJECT + id)]
}

export function toRule(p: ToolPolicy): PolicyRule {
  const { roles, keyIds } = splitSubjects(p.roles as string[])
  return {
    id: p.id,
    priority: p.priority,
    effect: p.effect,
    serverPattern: p.serverPattern,
    toolPattern: p.toolPattern,
    roles,
    keyIds,
    description: p.description,
  }
}

export function compile(servers: readonly Pick<Server, 'name' | 'toolToggles'>[], policies: readonly ToolPolicy[]) {
  const toggles = new Map<string, Readonly<Record<string, boolean>>>()
  for (const s of servers) if (Object.values(s.toolToggles ?? {}).includes(false)) toggles.set(s.name, s.toolToggles)
  const rules = [...policies]
    .sort((a, b) => a.priority - b.priority)
    .map((p): CompiledRule => {
      const rule = toRule(p)
      return {
        rule,
        server: compileGlob(rule.serverPattern),
        tool: compileGlob(rule.toolPattern),
        roles: new Set(rule.roles),
        keyIds: new Set(rule.keyIds),
      }
    })
  return { toggles, rules } satisfies ProjectPolicies
}

function subjectMatches(r: CompiledRule, s: Subject): boolean {
  if (r.roles.size === 0 && r.keyIds.size === 0) return true
  return (s.role !== null && r.roles.has(s.role)) || (s.keyId !== null && r.keyIds.has(s.keyId))
}

function policyName(r: PolicyRule): string {
  return r.description ? `"${r.description}"` : r.id
}

/** The decision, with the rule that made it. Pure: the same input always gives the same verdict. */
export function decide(p: ProjectPolicies, server: string, tool: string, subject: Subject): Verdict {
  if (p.toggles.get(server)?.[tool] === false) {
    return { allowed: false, rule: { kind: 'toggle', server, tool }, reason: 'the tool is disabled in this project' }
  }
  let coveringAllow: CompiledRule | null = null
  let allowedBy: CompiledRule | null = null
  for (const r of p.rules) {
    if (!r.server.test(server) || !r.tool.test(tool)) continue
    if (r.rule.effect === 'deny') {
      if (subjectMatches(r, subject)) {
        return {
          allowed: false,
          rule: { kind: 'policy', policy: r.rule },
          reason: `denied by policy ${policyName(r.rule)}`,
        }
      }
    } else {
      coveringAllow ??= r
      if (allowedBy === null && subjectMatches(r, subject)) allowedBy = r
    }
  }
  if (allowedBy) return { allowed: true, rule: { kind: 'policy', policy: allowedBy.rule }, reason: 'allowed by policy' }
  if (coveringAllow) {
    return {
      allowed: false,
      rule: { kind: 'policy', policy: coveringAllow.rule },
      reason: `only the subjects of policy ${policyName(coveringAllow.rule)} may call it`,
    }
  }
  return { allowed: true, rule: { kind: 'default' }, reason: 'no rule matched; allowed by default' }
}

interface Snapshot extends ProjectPolicies {
  loadedAt: number
  /** Some rule names roles: only then is the caller's role worked out. */
  usesRoles: boolean
  /** Effective project role per user: direct or inherited from the team, whichever is stronger. */
  memberRoles: ReadonlyMap<string, Role>
  /** Users looked up once because they are no member (admins act as owners); carried over to the next snapshot. */
  others: Map<string, { isAdmin: boolean; disabled: boolean }>
}

export interface ToolPoliciesOptions {
  /** A snapshot older than this is reloaded in the background when used (other nodes, membership changes). */
  maxAgeMs?: number
}

/** Tool toggles and policies, for the API that changes them and explains their verdicts. */
export interface ToolPoliciesService {
  /** Reloads a project's snapshot now; the API calls it after toggles or policies change. */
  refresh(projectId: string): Promise<void>
  /** What would happen, from storage as it is now. */
  explain(
    projectId: string,
    server: string,
    tool: string,
    who: { principal?: Principal; role?: Role | null },
  ): Promise<Verdict & { subject: Subject }>
}

export interface ToolPoliciesPlugin extends McpoPlugin, ToolPoliciesService {}

export const TOOL_POLICIES_SERVICE = defineService<ToolPoliciesService>('tool-policies', 'toolPolicies()')

const ALLOW: Decision = Object.freeze({ allow: true })

export function toolPolicies(options: ToolPoliciesOptions = {}): ToolPoliciesPlugin {
  const maxAgeMs = options.maxAgeMs ?? 5000
  const snapshots = new Map<string, Snapshot>()
  const loading = new Map<string, Promise<Snapshot>>()
  let store: Store
  let log: Logger
  let now: () => number = Date.now

  async function load(projectId: string, withRoles = false): Promise<Snapshot> {
    const previous = snapshots.get(projectId)
    const project = await store.projects.get(projectId)
    if (!project) {
      return {
        toggles: new Map(),
        rules: [],
        loadedAt: now(),
        usesRoles: false,
        memberRoles: new Map(),
        others: new Map(),
      }
    }
    const compiled = compile(await store.servers.list(projectId), await store.toolPolicies.list(projectId))
    const usesRoles = withRoles || compiled.rules.some((r) => r.roles.size > 0)
    const others = new Map<string, { isAdmin: boolean; disabled: boolean }>()
    if (usesRoles) {
      for (const id of previous?.others.keys() ?? []) {
        const u = await store.users.get(id)
        if (u) others.set(id, { isAdmin: u.isAdmin, disabled: u.disabled })
      }
    }
    const memberRoles = usesRoles ? await loadRoles(store, project) : new Map<string, Role>()
    return { ...compiled, loadedAt: now(), usesRoles, memberRoles, others }
  }

  function reload(projectId: string): Promise<Snapshot> {
    let p = loading.get(projectId)
    if (!p) {
      p = load(projectId)
        .then((snap) => {
          snapshots.set(projectId, snap)
          return snap
        })
        .finally(() => loading.delete(projectId))
      loading.set(projectId, p)
    }
    return p
  }

  function snapshotOf(projectId: string): Snapshot | Promise<Snapshot> {
    const snap = snapshots.get(projectId)
    if (!snap) return reload(projectId)
    if (now() - snap.loadedAt > maxAgeMs && !loading.has(projectId)) {
      reload(projectId).catch((err) =>
        log.warn({ project: projectId, err: (err as Error).message }, 'policy refresh failed; using the last snapshot'),
      )
    }
    return snap
  }

  /** The caller's role in the project, as gateway/api/access.ts works it out. Storage only for a user seen first. */
  function roleOf(snap: Snapshot, principal: Principal | null): Role | null | Promise<Role | null> {
    if (!principal) return null
    if (principal.kind === 'user' && principal.isAdmin) return 'owner'
    const userId = principal.userId
    if (!userId) return principal.kind === 'api-key' ? CONFIG_KEY_ROLE : null
    const known = snap.others.get(userId)
    if (known) return roleFrom(snap, userId, known)
    return store.users.get(userId).then((u) => {
      const info = { isAdmin: u?.isAdmin ?? false, disabled: u ? u.disabled : true }
      snap.others.set(userId, info)
      return roleFrom(snap, userId, info)
    })
  }

  function roleFrom(snap: Snapshot, userId: string, info: { isAdmin: boolean; disabled: boolean }): Role | null {
    if (info.disabled) return null
    if (info.isAdmin) return 'owner'
    return snap.memberRoles.get(userId) ?? null
  }

  function verdictFor(snap: Snapshot, principal: Principal | null, server: string, tool: string) {
    const keyId = principal?.kind === 'api-key' ? principal.id : null
    if (!snap.usesRoles) return decide(snap, server, tool, { role: null, keyId })
    const role = roleOf(snap, principal)
    if (role instanceof Promise) return role.then((r) => decide(snap, server, tool, { role: r, keyId }))
    return decide(snap, server, tool, { role, keyId })
  }

  const GUARDED = new Set(['tools/call', 'prompts/get', 'resources/read'])
  const NO_TOGGLES: Snapshot['toggles'] = new Map()

  function toDecision(v: Verdict): Decision {
    return v.allowed ? ALLOW : { allow: false, reason: v.reason, status: 403 }
  }

  function decideOn(
    full: Snapshot,
    toolsOnly: boolean,
    ex: Exchange,
    server: string,
    tool: string,
  ): Decision | Promise<Decision> {
    const s = toolsOnly || full.toggles.size === 0 ? full : { ...full, toggles: NO_TOGGLES }
    if (s.rules.length === 0 && !s.toggles.has(server)) return ALLOW
    const v = verdictFor(s, ex.principal, server, tool)
    return v instanceof Promise ? v.then(toDecision) : toDecision(v)
  }

  const plugin: ToolPoliciesPlugin = {
    name: TOOL_POLICIES_PLUGIN,
    setup(ctx) {
      store = ctx.storage
      log = ctx.logger
      now = () => ctx.clock.now()
      // Warm every live project in the background; a call that comes first loads its project itself.
      void (async () => {
        for (const p of await store.projects.list({ includeArchived: false })) {
          if (!snapshots.has(p.id)) await reload(p.id)
        }
      })().catch((err) => log.warn({ err: (err as Error).message }, 'could not warm the policy snapshots'))
    },
    authorize(ex: Exchange, t: McpTarget): Decision | Promise<Decision> {
      if (!GUARDED.has(t.method) || t.serverName === null || t.toolName === undefined) return ALLOW
      const server = t.serverName
      const tool = t.toolName
      // Policies match prompt names and resource URIs with the same patterns; toggles are for tools only.
      const toolsOnly = t.method === 'tools/call'
      const snap = snapshotOf(t.projectId)
      // No closure on the common path (snapshot cached): this runs for every tool call.
      if (snap instanceof Promise) return snap.then((full) => decideOn(full, toolsOnly, ex, server, tool))
      return decideOn(snap, toolsOnly, ex, server, tool)
    },
    async refresh(projectId) {
      await reload(projectId)
    },
    async explain(projectId, server, tool, who) {
      const snap = await load(projectId, true)
      const keyId = who.principal?.kind === 'api-key' ? who.principal.id : null
      const role = who.principal ? await roleOf(snap, who.principal) : (who.role ?? null)
      const subject = { role, keyId }
      return { ...decide(snap, server, tool, subject), subject }
    },
  }
  plugin.provides = [offer(TOOL_POLICIES_SERVICE, plugin)]
  return plugin
}

async function loadRoles(store: Store, project: Project): Promise<Map<string, Role>> {
  const roles = new Map<string, Role>()
  for (const m of await store.projectMembers.list(project.id)) roles.set(m.userId, m.role)
  if (project.teamId) {
    for (const m of await store.teamMembers.list(project.teamId)) {
      roles.set(m.userId, stronger(roles.get(m.userId) ?? null, m.role) as Role)
    }
  }
  return roles
}
