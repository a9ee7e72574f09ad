// Row types of the storage port: what each table holds, as camelCase objects (Date for
// timestamps, parsed JSON for jsonb, number for bigint ids). Inputs are `New*`, partial updates `*Patch`.

export type Role = 'owner' | 'developer' | 'reporter'
export type Source = 'ui' | 'config'
export type Transport = 'stdio' | 'sse' | 'streamable-http'
export type Isolation = 'shared' | 'per-session'
/** MCP protocol era of an upstream: probe, the 2025 era (initialize and sessions), or the stateless 2026-07-28 one. */
export type ServerProtocol = 'auto' | 'legacy' | 'modern'

/**
 * A remote server's OAuth settings: mcpo is the OAuth client of the upstream's authorization server and holds tokens
 * for the project (one consent by an owner) or for each user (each acts as themselves upstream).
 * @example { type: 'oauth', credentials: 'user', clientId: null, clientSecret: null, scopes: ['repo'] }
 */
export interface ServerAuth {
  type: 'oauth'
  credentials: 'project' | 'user'
  /** A pre-registered client; null: mcpo's client metadata document, or dynamic registration. */
  clientId: string | null
  /** Sealed by the caller, like header values. */
  clientSecret: string | null
  scopes: string[]
}

export interface User {
  id: string
  email: string
  name: string
  /** argon2id hash; null for SSO-only users. */
  passwordHash: string | null
  isAdmin: boolean
  disabled: boolean
  oidcIssuer: string | null
  oidcSubject: string | null
  /**
   * When the account was shown to own `email` (an administrator, the operator, a verifying identity provider, or a
   * link sent by a mail plugin); null until then. Nothing addressed to the email reaches an unverified account.
   */
  emailVerifiedAt: Date | null
  lastLoginAt: Date | null
  createdAt: Date
  updatedAt: Date
}
/** `emailVerifiedAt` defaults to null: a path that creates accounts must say why the email is proven. */
export type NewUser = Pick<User, 'email'> &
  Partial<
    Pick<
      User,
      'id' | 'name' | 'passwordHash' | 'isAdmin' | 'disabled' | 'oidcIssuer' | 'oidcSubject' | 'emailVerifiedAt'
    >
  >
export type UserPatch = Partial<Omit<User, 'id' | 'createdAt' | 'updatedAt'>>

/** A pending email verification link (one per user), stored as a SHA-256 hash of its token. */
export interface EmailVerification {
  userId: string
  /** The address the link was sent to: it verifies only while the account still uses it. */
  email: string
  tokenHash: string
  expiresAt: Date
  createdAt: Date
}
export type NewEmailVerification = Pick<EmailVerification, 'userId' | 'email' | 'tokenHash' | 'expiresAt'>

export interface Team {
  id: string
  slug: string
  name: string
  description: string
  /** 'config': declared in mcpo.config.ts (read-only in the API). Absent before migration 005. */
  source?: 'ui' | 'config'
  createdAt: Date
  updatedAt: Date
}
export type NewTeam = Pick<Team, 'slug' | 'name'> & Partial<Pick<Team, 'id' | 'description'>>
export type TeamPatch = Partial<Pick<Team, 'slug' | 'name' | 'description'>>

export interface TeamMember {
  teamId: string
  userId: string
  role: Role
  createdAt: Date
  updatedAt: Date
}
/** A team member with the user's email and name, for member lists. */
export type TeamMemberWithUser = TeamMember & { email: string; name: string }
/** A membership seen from the user's side. */
export type TeamMembership = TeamMember & { teamSlug: string; teamName: string }

export interface Project {
  /** A slug or a UUID ([A-Za-z0-9][A-Za-z0-9_-]*, at most 100); it is the {projectId} of the endpoint URLs. */
  id: string
  name: string
  description: string
  teamId: string | null
  archivedAt: Date | null
  settings: Record<string, unknown>
  source: Source
  createdBy: string | null
  createdAt: Date
  updatedAt: Date
}
export type NewProject = Pick<Project, 'id' | 'name'> &
  Partial<Pick<Project, 'description' | 'teamId' | 'settings' | 'source' | 'createdBy'>>
export type ProjectPatch = Partial<Pick<Project, 'name' | 'description' | 'teamId' | 'settings' | 'archivedAt'>>
/** A project as one user sees it: their direct role and, for team projects, their team role. */
export type ProjectForUser = Project & { role: Role | null; teamRole: Role | null }

export type InviteSource = 'direct' | 'team' | 'invitation' | 'config'
export interface ProjectMember {
  projectId: string
  userId: string
  role: Role
  inviteSource: InviteSource
  sourceTeamId: string | null
  addedBy: string | null
  createdAt: Date
  updatedAt: Date
}
export type NewProjectMember = Pick<ProjectMember, 'projectId' | 'userId' | 'role'> &
  Partial<Pick<ProjectMember, 'inviteSource' | 'sourceTeamId' | 'addedBy'>>
export type ProjectMemberWithUser = ProjectMember & { email: string; name: string }

export type InvitationKind = 'team' | 'individual' | 'external'
export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired'
export interface Invitation {
  id: string
  kind: InvitationKind
  /** Target project; null when the invitation is into a team. */
  projectId: string | null
  /** Target team; null when the invitation is into a project. */
  teamId: string | null
  /** For kind 'team': the team whose members are brought in. */
  sourceTeamId: string | null
  email: string | null
  role: Role
  /** SHA-256 hex of the single-use link token (external invitations). */
  tokenHash: string | null
  invitedBy: string | null
  status: InvitationStatus
  expiresAt: Date
  acceptedAt: Date | null
  acceptedBy: string | null
  /** When a mail plugin took the current link; null when the inviter was shown it. */
  deliveredAt: Date | null
  createdAt: Date
  updatedAt: Date
}
export type NewInvitation = Pick<Invitation, 'kind' | 'role' | 'expiresAt'> &
  Partial<Pick<Invitation, 'id' | 'projectId' | 'teamId' | 'sourceTeamId' | 'email' | 'tokenHash' | 'invitedBy'>>
export type InvitationPatch = Partial<
  Pick<Invitation, 'status' | 'role' | 'tokenHash' | 'expiresAt' | 'acceptedAt' | 'acceptedBy' | 'deliveredAt'>
>

export interface Server {
  id: string
  projectId: string
  name: string
  description: string
  transport: Transport
  command: string | null
  args: string[]
  /** Values are encrypted by the caller; storage keeps them as given. */
  env: Record<string, string>
  cwd: string | null
  url: string | null
  /** Values are encrypted by the caller. */
  headers: Record<string, string>
  timeoutMs: number
  /** null: the transport's default (shared for stdio, per-session for remote). */
  isolation: Isolation | null
  enabled: boolean
  autoStart: boolean
  /** Health probe interval in ms; 0 off; null: the gateway's default (`upstreams.healthCheckIntervalMs`). */
  healthCheckIntervalMs: number | null
  /**
   * The MCP protocol era spoken upstream: 'auto' probes with `server/discover` and falls back to initialize, 'legacy'
   * is the 2025 era, 'modern' the stateless 2026-07-28 revision; null: the gateway's default (`upstreams.protocol`).
   */
  protocol: ServerProtocol | null
  /** OAuth to the upstream; null: none (no auth, or static headers). */
  auth: ServerAuth | null
  /** Tool name → enabled; tools not listed are enabled. */
  toolToggles: Record<string, boolean>
  source: Source
  createdAt: Date
  updatedAt: Date
}
export type NewServer = Pick<Server, 'projectId' | 'name' | 'transport'> &
  Partial<
    Pick<
      Server,
      | 'description'
      | 'command'
      | 'args'
      | 'env'
      | 'cwd'
      | 'url'
      | 'headers'
      | 'timeoutMs'
      | 'isolation'
      | 'enabled'
      | 'autoStart'
      | 'healthCheckIntervalMs'
      | 'protocol'
      | 'auth'
      | 'toolToggles'
      | 'source'
    >
  >
export type ServerPatch = Partial<Omit<Server, 'id' | 'projectId' | 'createdAt' | 'updatedAt'>>

/** Per-key rate limit; enforced by the rate-limit plugin. */
export interface RateLimit {
  requests: number
  perSeconds: number
}
export interface ApiKey {
  id: string
  projectId: string
  name: string
  description: string
  /** SHA-256 hex of the whole key. */
  keyHash: string
  /** Shown in lists, e.g. "mcp_proj_AbC1". */
  prefix: string
  suffix: string
  /** null for keys from the config file. */
  createdBy: string | null
  expiresAt: Date | null
  revokedAt: Date | null
  lastUsedAt: Date | null
  rateLimit: RateLimit | null
  source: Source
  createdAt: Date
  updatedAt: Date
}
export type NewApiKey = Pick<ApiKey, 'projectId' | 'name' | 'keyHash' | 'prefix'> &
  Partial<Pick<ApiKey, 'id' | 'description' | 'suffix' | 'createdBy' | 'expiresAt' | 'rateLimit' | 'source'>>
export type ApiKeyPatch = Partial<Pick<ApiKey, 'name' | 'description' | 'expiresAt' | 'rateLimit'>>
/** A key declared in the config file; identified by (projectId, name). */
export type ConfigApiKey = Pick<ApiKey, 'projectId' | 'name' | 'keyHash' | 'prefix'> &
  Partial<Pick<ApiKey, 'description' | 'suffix' | 'expiresAt' | 'rateLimit'>>

export type PolicyEffect = 'allow' | 'deny'
export interface ToolPolicy {
  id: string
  projectId: string
  /** Lower runs first. */
  priority: number
  effect: PolicyEffect
  /** Glob over server names, e.g. "*" or "github". */
  serverPattern: string
  /** Glob over tool names, e.g. "delete_*". */
  toolPattern: string
  /** Roles the rule applies to; empty means every role. */
  roles: Role[]
  description: string
  createdBy: string | null
  createdAt: Date
  updatedAt: Date
}
export type NewToolPolicy = Pick<ToolPolicy, 'projectId' | 'effect'> &
  Partial<Pick<ToolPolicy, 'priority' | 'serverPattern' | 'toolPattern' | 'roles' | 'description' | 'createdBy'>>
export type ToolPolicyPatch = Partial<
  Pick<ToolPolicy, 'priority' | 'effect' | 'serverPattern' | 'toolPattern' | 'roles' | 'description'>
>

export interface Template {
  id: string
  name: string
  description: string
  transport: Transport
  command: string | null
  args: string[]
  /** Variable name → description or default; the user fills values when adding the server. */
  envTemplate: Record<string, string>
  url: string | null
  headersTemplate: Record<string, string>
  approved: boolean
  createdBy: string | null
  createdAt: Date
  updatedAt: Date
}
export type NewTemplate = Pick<Template, 'name' | 'transport'> &
  Partial<
    Pick<
      Template,
      'description' | 'command' | 'args' | 'envTemplate' | 'url' | 'headersTemplate' | 'approved' | 'createdBy'
    >
  >
export type TemplatePatch = Partial<Omit<Template, 'id' | 'createdAt' | 'updatedAt' | 'createdBy'>>

export interface AuditEvent {
  id: number
  projectId: string | null
  teamId: string | null
  /** 'user', 'api_key', 'system', 'config'. */
  actorType: string
  actorId: string | null
  /** Dotted verb, e.g. 'server.create'. */
  action: string
  targetType: string | null
  targetId: string | null
  before: unknown
  after: unknown
  ip: string | null
  userAgent: string | null
  requestId: string | null
  prevHash: string | null
  hash: string | null
  createdAt: Date
}
export type NewAuditEvent = Pick<AuditEvent, 'actorType' | 'action'> &
  Partial<Omit<AuditEvent, 'id' | 'actorType' | 'action'>>
export interface AuditFilter {
  projectId?: string
  /** Only events that belong to no project (security refusals, users, system). */
  withoutProject?: boolean
  teamId?: string
  actorId?: string
  action?: string
  /** Actions starting with this text, e.g. `security.`. */
  actionPrefix?: string
  targetType?: string
  targetId?: string
  since?: Date
  until?: Date
  /** Keyset paging: only events with a smaller id. */
  beforeId?: number
  /** Default 100, at most 1000. */
  limit?: number
}

export type ToolCallStatus = 'ok' | 'error' | 'denied' | 'timeout' | 'cancelled'
export interface ToolCall {
  id: number
  projectId: string
  serverName: string
  toolName: string
  principalId: string | null
  keyId: string | null
  sessionId: string | null
  clientName: string | null
  status: ToolCallStatus
  errorCode: string | null
  errorMessage: string | null
  durationMs: number
  argsSize: number
  /** The gateway request id of the HTTP request that carried the call (also in logs and audit entries). */
  requestId?: string | null
  /** Redacted arguments, only for projects that capture them. */
  arguments?: unknown
  createdAt: Date
}
export type NewToolCall = Pick<ToolCall, 'projectId' | 'serverName' | 'toolName' | 'status'> &
  Partial<Omit<ToolCall, 'id' | 'projectId' | 'serverName' | 'toolName' | 'status'>>
export interface ToolCallFilter {
  projectId?: string
  serverName?: string
  toolName?: string
  status?: ToolCallStatus
  sessionId?: string
  keyId?: string
  principalId?: string
  since?: Date
  until?: Date
  minDurationMs?: number
  /** Case-insensitive substring of the tool, server, client name or error message. */
  text?: string
  beforeId?: number
  /** Default 100, at most 1000. */
  limit?: number
}
export interface ToolCallStats {
  total: number
  ok: number
  errors: number
  avgMs: number | null
  p50Ms: number | null
  p95Ms: number | null
}

export interface ClientSession {
  id: string
  projectId: string
  serverName: string | null
  nodeId: string | null
  transport: string | null
  clientName: string | null
  clientVersion: string | null
  userAgent: string | null
  ip: string | null
  principalId: string | null
  keyId: string | null
  requestCount: number
  failureCount: number
  createdAt: Date
  lastSeenAt: Date
  closedAt: Date | null
}
export type ClientSessionInput = Pick<ClientSession, 'id' | 'projectId'> &
  Partial<Omit<ClientSession, 'id' | 'projectId'>>

export interface GatewayNode {
  id: string
  address: string
  startedAt: Date
  heartbeatAt: Date
}
export type NodeInput = Pick<GatewayNode, 'id' | 'address'> & Partial<Pick<GatewayNode, 'startedAt' | 'heartbeatAt'>>

/** Names a shared upstream: the one node holding its lease runs it. */
export interface LeaseKey {
  projectId: string
  serverName: string
}
/** Who holds a lease, and where it answers (null: the node left the registry). */
export interface LeaseHolder {
  nodeId: string
  address: string | null
}

export interface Favorite {
  userId: string
  projectId: string
  createdAt: Date
}

/** A project blueprint: catalog servers, tool policies and role assignments applied when a project is made from it. */
export interface ProjectTemplate {
  id: string
  name: string
  description: string
  servers: ProjectTemplateServer[]
  policies: ProjectTemplatePolicy[]
  roles: ProjectTemplateRole[]
  settings: Record<string, unknown>
  createdBy: string | null
  createdAt: Date
  updatedAt: Date
}
export interface ProjectTemplateServer {
  name: string
  /** A server catalog template (the only way a template brings a stdio command). */
  templateId: string
  description?: string
  timeoutMs?: number
  enabled: boolean
  autoStart: boolean
}
export interface ProjectTemplatePolicy {
  effect: 'allow' | 'deny'
  serverPattern: string
  toolPattern: string
  roles: Role[]
  priority: number
  description: string
}
export type ProjectTemplateRole = { email: string; role: Role } | { team: string; role: Role }
export type NewProjectTemplate = Pick<ProjectTemplate, 'name'> &
  Partial<Pick<ProjectTemplate, 'description' | 'servers' | 'policies' | 'roles' | 'settings' | 'createdBy'>>
export type ProjectTemplatePatch = Partial<
  Pick<ProjectTemplate, 'name' | 'description' | 'servers' | 'policies' | 'roles' | 'settings'>
>

/** One sign-in. Its tokens, renewed while used, carry its id; `expiresAt` is the absolute end renewal cannot move. */
export interface UserSession {
  id: string
  userId: string
  createdAt: Date
  expiresAt: Date
  /** Set once, when the session was ended (sign-out, password change, disabled account, "sign out everywhere"). */
  revokedAt: Date | null
}
export type NewUserSession = Pick<UserSession, 'userId' | 'expiresAt'> & Partial<Pick<UserSession, 'id' | 'createdAt'>>
