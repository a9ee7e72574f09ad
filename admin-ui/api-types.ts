// The shapes the REST API answers, as the UI reads them (gateway/api/views.ts and the route modules are the source;
// /api/openapi.json documents the same). Only what the UI uses is declared.

export type Role = 'owner' | 'developer' | 'reporter'
export const ROLES: readonly Role[] = ['owner', 'developer', 'reporter']

export interface Page<T> {
  items: T[]
  total: number | null
  limit: number
  offset: number
  nextOffset: number | null
}

export interface User {
  id: string
  email: string
  name: string
  isAdmin: boolean
  disabled: boolean
  /** False for an account made through an invitation link nobody mailed, until its email is proven. */
  emailVerified: boolean
  lastLoginAt: string | null
  createdAt: string
}

export interface SignInAnswer {
  token: string
  expiresAt: string
  user: User
}

export interface Providers {
  password: boolean
  oidc: { label: string; loginUrl: string } | null
}

export interface Team {
  id: string
  slug: string
  name: string
  description: string
  role: Role | null
  createdAt: string
  updatedAt: string
}

export interface TeamMember {
  userId: string
  email: string
  name: string
  role: Role
  createdAt: string
  updatedAt: string
}

export interface Project {
  id: string
  name: string
  description: string
  teamId: string | null
  archived: boolean
  archivedAt: string | null
  settings: Record<string, unknown>
  source: 'ui' | 'config'
  createdBy: string | null
  role: Role | null
  createdAt: string
  updatedAt: string
}

export interface ProjectMember {
  userId: string
  email: string
  name: string
  role: Role | null
  teamRole: Role | null
  effectiveRole: Role
  inviteSource: 'direct' | 'team' | 'invitation' | 'config'
  sourceTeamId: string | null
  addedBy: string | null
  createdAt: string
  updatedAt: string
}

export type InvitationKind = 'team' | 'individual' | 'external'

export interface Invitation {
  id: string
  kind: InvitationKind
  projectId: string | null
  teamId: string | null
  sourceTeamId: string | null
  email: string | null
  role: Role
  status: 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired'
  invitedBy: string | null
  expiresAt: string
  createdAt: string
}

export interface MyInvitation extends Invitation {
  project: { id: string; name: string } | null
  team: { id: string; name: string } | null
  inviter: { name: string; email: string } | null
}

export interface InvitationAnswer {
  invitations: Invitation[]
  skipped: number
  link: string | null
}

/** What adding a member answers: a pending invitation, the same whether or not the email has an account. */
export interface MemberInvited {
  invitation: Invitation
  link: string | null
  delivered: boolean
}

export type Transport = 'stdio' | 'sse' | 'streamable-http'

/** up / down / unknown: what the newest evidence (a connection, a probe, a test at save) says. */
export type Health = 'up' | 'down' | 'unknown'

export interface ServerStatusSummary {
  state: string
  health: Health
  pid: number | null
  restarts: number
  /** The last failure, kept after recovery: `health` says whether it still holds. */
  lastError: string | null
  lastErrorAt: string | null
  lastOkAt: string | null
}

export interface Server {
  id: string
  name: string
  description: string
  transport: Transport
  command: string | null
  args: string[]
  env: Record<string, string>
  cwd: string | null
  url: string | null
  headers: Record<string, string>
  timeoutMs: number
  isolation: 'shared' | 'per-session' | null
  enabled: boolean
  autoStart: boolean
  /** Ms between health probes; 0 off; null: the gateway's default. */
  healthCheckIntervalMs: number | null
  toolToggles: Record<string, boolean>
  source: 'ui' | 'config'
  status: ServerStatusSummary
  createdAt: string
  updatedAt: string
}

export interface ApiKey {
  id: string
  projectId: string
  name: string
  description: string
  preview: string
  status: 'active' | 'expired' | 'revoked'
  createdBy: string | null
  expiresAt: string | null
  revokedAt: string | null
  lastUsedAt: string | null
  source: 'ui' | 'config'
  createdAt: string
}

export interface NewApiKey extends ApiKey {
  /** The full key: in the create answer only. */
  key: string
}

export type ClientName = 'cline' | 'claude-desktop' | 'cursor' | 'vscode' | 'claude-code'

export interface ClientConfig {
  client: ClientName
  transport: 'sse' | 'streamable-http'
  keyVariable: string
  file: string
  config: Record<string, unknown>
  /** Claude Code: the `claude mcp add` command lines. */
  command?: string
  notes: string[]
  /** Enabled servers left out because they are down (absent in answers from before this field). */
  omitted?: { name: string; state: string; lastError: string | null; lastErrorAt: string | null }[]
}

export interface Discovery {
  project: { id: string; name: string }
  unified: { name: string; endpoints: Endpoints }
  servers: { name: string; description: string; upstreamTransport: Transport; endpoints: Endpoints }[]
  /** Enabled servers left out of `servers` because they are down (unless asked with includeFailing). */
  unavailable?: { name: string; state: string; since: string | null }[]
}

export interface Endpoints {
  sse: string
  messages: string
  mcp: string
}

export interface ProjectTools {
  tools: { server: string; name: string; exposedName: string; enabled: boolean }[]
  servers: { name: string; enabled: boolean; toolCount: number; error: string | null }[]
}

export interface ToolCallStats {
  total: number
  ok: number
  errors: number
  successRate: number | null
  p50Ms: number | null
  p95Ms: number | null
  callsPerMinute: number
}

/** A project template (GET /api/project-templates): what a new project starts with. */
export interface ProjectTemplate {
  id: string
  name: string
  description: string
  servers: { name: string; templateId: string; description?: string; enabled: boolean; autoStart: boolean }[]
  policies: { effect: 'allow' | 'deny'; serverPattern: string; toolPattern: string; roles: string[] }[]
  roles: ({ email: string; role: string } | { team: string; role: string })[]
  settings: Record<string, unknown>
  createdAt: string
  updatedAt: string
}
