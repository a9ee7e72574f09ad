// The storage port: the only way the rest of mcpo reads and writes its data. Both adapters
// (PGlite, PostgreSQL) implement it with the same SQL; the contract suite is store-tests.ts.
import type {
  ApiKey,
  ApiKeyPatch,
  AuditEvent,
  AuditFilter,
  ClientSession,
  ClientSessionInput,
  ConfigApiKey,
  EmailVerification,
  Favorite,
  GatewayNode,
  Invitation,
  InvitationPatch,
  LeaseHolder,
  LeaseKey,
  NewApiKey,
  NewAuditEvent,
  NewEmailVerification,
  NewInvitation,
  NewProject,
  NewProjectMember,
  NewProjectTemplate,
  NewServer,
  NewTeam,
  NewTemplate,
  NewToolCall,
  NewToolPolicy,
  NewUser,
  NewUserSession,
  NodeInput,
  Project,
  ProjectForUser,
  ProjectMember,
  ProjectMemberWithUser,
  ProjectPatch,
  ProjectTemplate,
  ProjectTemplatePatch,
  Role,
  Server,
  ServerPatch,
  Team,
  TeamMember,
  TeamMembership,
  TeamMemberWithUser,
  TeamPatch,
  Template,
  TemplatePatch,
  ToolCall,
  ToolCallFilter,
  ToolCallStats,
  ToolPolicy,
  ToolPolicyPatch,
  User,
  UserPatch,
  UserSession,
} from './rows.ts'

export type * from './rows.ts'

// Conventions for every repository: get* → row | null; update/setRole/revoke → the new row, or
// null when it does not exist; delete/remove → whether a row went. Unique violations throw
// MCPO_ERR_CONFLICT, a missing parent MCPO_ERR_NOT_FOUND, a bad value MCPO_ERR_VALIDATION, an
// unreachable database MCPO_ERR_STORAGE_UNAVAILABLE. Patches change only the keys present;
// a key set to null clears the column.

/** Accounts: password users and SSO users. Emails compare case-insensitively. */
export interface UsersRepo {
  create(user: NewUser): Promise<User>
  get(id: string): Promise<User | null>
  getByEmail(email: string): Promise<User | null>
  getByOidc(issuer: string, subject: string): Promise<User | null>
  /** Ordered by email. `search` matches email or name, case-insensitively. */
  list(filter?: { search?: string; limit?: number; offset?: number }): Promise<User[]>
  count(filter?: { isAdmin?: boolean }): Promise<number>
  update(id: string, patch: UserPatch): Promise<User | null>
  delete(id: string): Promise<boolean>
  /** Stores the user's one pending verification link, replacing an earlier one. */
  saveEmailVerification(v: NewEmailVerification): Promise<EmailVerification>
  getEmailVerification(userId: string): Promise<EmailVerification | null>
  /**
   * Uses a verification link once: deletes it and, when it has not expired at `now` (default: the database clock)
   * and the account still uses the email it was sent to, marks that email verified. Returns the user, or null.
   */
  consumeEmailVerification(tokenHash: string, now?: Date): Promise<User | null>
}

/**
 * Sign-in sessions. A session token names one, so revoking it ends every token of that sign-in; readers compare
 * `revokedAt` and `expiresAt` with their own clock.
 */
export interface UserSessionsRepo {
  create(session: NewUserSession): Promise<UserSession>
  get(id: string): Promise<UserSession | null>
  /** Sets revokedAt once; revoking again keeps the first time. */
  revoke(id: string, at?: Date): Promise<UserSession | null>
  /** Ends every live session of the user, but `exceptId`, at `at` (default: the database clock); returns how many. */
  revokeAll(userId: string, options?: { exceptId?: string; at?: Date }): Promise<number>
  /** Deletes sessions whose absolute end is before `before` (their tokens are refused anyway); returns how many. */
  prune(before: Date): Promise<number>
}

/** Teams (organizations). */
export interface TeamsRepo {
  create(team: NewTeam): Promise<Team>
  get(id: string): Promise<Team | null>
  getBySlug(slug: string): Promise<Team | null>
  /** Ordered by name. */
  list(): Promise<Team[]>
  update(id: string, patch: TeamPatch): Promise<Team | null>
  delete(id: string): Promise<boolean>
  /** Config apply at boot: creates the team or updates its name and description, and marks it config-owned. */
  upsertBySlug(team: NewTeam): Promise<Team>
  /** Takes a row lock until the transaction ends (serialises last-owner checks). */
  lock(id: string): Promise<boolean>
}

/** Team membership with a role. */
export interface TeamMembersRepo {
  add(member: { teamId: string; userId: string; role: Role }): Promise<TeamMember>
  get(teamId: string, userId: string): Promise<TeamMember | null>
  /** Ordered by email. */
  list(teamId: string): Promise<TeamMemberWithUser[]>
  listForUser(userId: string): Promise<TeamMembership[]>
  setRole(teamId: string, userId: string, role: Role): Promise<TeamMember | null>
  remove(teamId: string, userId: string): Promise<boolean>
  countOwners(teamId: string): Promise<number>
}

/** Projects: the unit of isolation. */
export interface ProjectsRepo {
  create(project: NewProject): Promise<Project>
  get(id: string): Promise<Project | null>
  /** Ordered by name; archived projects only with includeArchived. */
  list(filter?: { teamId?: string; includeArchived?: boolean }): Promise<Project[]>
  /** Projects the user is a member of, directly or through the owning team. */
  listForUser(userId: string, filter?: { includeArchived?: boolean }): Promise<ProjectForUser[]>
  update(id: string, patch: ProjectPatch): Promise<Project | null>
  archive(id: string, at?: Date): Promise<Project | null>
  restore(id: string): Promise<Project | null>
  /** Cascades to members, servers (and their upstream credentials), keys, policies, invitations and favorites. */
  delete(id: string): Promise<boolean>
  /** Config apply at boot: creates the project or updates name, description and team (settings are kept). */
  upsert(project: NewProject): Promise<Project>
  /** Takes a row lock until the transaction ends (serialises last-owner checks, settings read-modify-write). */
  lock(id: string): Promise<boolean>
}

/** Project membership with role and how the member came in. */
export interface ProjectMembersRepo {
  add(member: NewProjectMember): Promise<ProjectMember>
  /** Adds every member of a team (skipping existing members); returns how many were added. */
  addTeam(input: { projectId: string; teamId: string; role: Role; addedBy?: string | null }): Promise<number>
  get(projectId: string, userId: string): Promise<ProjectMember | null>
  /** Ordered by email. */
  list(projectId: string): Promise<ProjectMemberWithUser[]>
  setRole(projectId: string, userId: string, role: Role): Promise<ProjectMember | null>
  remove(projectId: string, userId: string): Promise<boolean>
  countOwners(projectId: string): Promise<number>
}

/** Pending and past invitations into teams and projects. */
export interface InvitationsRepo {
  create(invitation: NewInvitation): Promise<Invitation>
  get(id: string): Promise<Invitation | null>
  getByTokenHash(tokenHash: string): Promise<Invitation | null>
  /** Status 'pending' and not expired at `now` (default: the database clock); newest first. */
  listPending(filter?: { projectId?: string; teamId?: string; email?: string; now?: Date }): Promise<Invitation[]>
  update(id: string, patch: InvitationPatch): Promise<Invitation | null>
  /** Marks pending invitations past their expiry as 'expired'; returns how many. */
  expireDue(now: Date): Promise<number>
  delete(id: string): Promise<boolean>
}

/** MCP server definitions, unique by (projectId, name). */
export interface ServersRepo {
  create(server: NewServer): Promise<Server>
  get(projectId: string, name: string): Promise<Server | null>
  getById(id: string): Promise<Server | null>
  /** Ordered by name. */
  list(projectId: string): Promise<Server[]>
  /** Every server of every project, for warming the data-plane cache. */
  listAll(): Promise<Server[]>
  /** A patch may rename the server. */
  update(projectId: string, name: string, patch: ServerPatch): Promise<Server | null>
  delete(projectId: string, name: string): Promise<boolean>
  /**
   * Config apply at boot: creates the server or rewrites its definition. `enabled` and
   * `toolToggles` of an existing server are kept: they are run-time state owned by the UI.
   */
  upsert(server: NewServer): Promise<Server>
}

/** Project API keys, stored as SHA-256 hashes. */
export interface ApiKeysRepo {
  create(key: NewApiKey): Promise<ApiKey>
  get(id: string): Promise<ApiKey | null>
  getByHash(keyHash: string): Promise<ApiKey | null>
  /** Newest first, revoked and expired included. */
  list(projectId: string): Promise<ApiKey[]>
  /**
   * Keys that work now, for the auth cache: not revoked, not expired at `now` (default: the database clock), in a
   * project that is not archived, and made by the config file or by a user who is enabled and still has access.
   */
  listActive(now?: Date): Promise<ApiKey[]>
  update(id: string, patch: ApiKeyPatch): Promise<ApiKey | null>
  /** Sets revokedAt once; revoking again keeps the first time. */
  revoke(id: string, at?: Date): Promise<ApiKey | null>
  /** One batched UPDATE; a time never moves lastUsedAt backwards. Returns rows updated. */
  touchLastUsed(entries: { id: string; at: Date }[]): Promise<number>
  delete(id: string): Promise<boolean>
  /** Config apply at boot: the key named `name` in the project gets this hash and is un-revoked. */
  upsertConfigKey(key: ConfigApiKey): Promise<ApiKey>
}

/** Allow/deny rules per project, evaluated in priority order. */
export interface ToolPoliciesRepo {
  create(policy: NewToolPolicy): Promise<ToolPolicy>
  get(id: string): Promise<ToolPolicy | null>
  /** Ordered by priority, then creation. */
  list(projectId: string): Promise<ToolPolicy[]>
  update(id: string, patch: ToolPolicyPatch): Promise<ToolPolicy | null>
  delete(id: string): Promise<boolean>
}

/** The admin-approved server catalog. */
export interface TemplatesRepo {
  create(template: NewTemplate): Promise<Template>
  get(id: string): Promise<Template | null>
  getByName(name: string): Promise<Template | null>
  /** Ordered by name. */
  list(filter?: { approved?: boolean }): Promise<Template[]>
  update(id: string, patch: TemplatePatch): Promise<Template | null>
  delete(id: string): Promise<boolean>
}

/** Project blueprints (servers from the catalog, policies, roles). */
export interface ProjectTemplatesRepo {
  create(template: NewProjectTemplate): Promise<ProjectTemplate>
  get(id: string): Promise<ProjectTemplate | null>
  getByName(name: string): Promise<ProjectTemplate | null>
  /** Ordered by name. */
  list(): Promise<ProjectTemplate[]>
  update(id: string, patch: ProjectTemplatePatch): Promise<ProjectTemplate | null>
  delete(id: string): Promise<boolean>
}

/** The append-only audit trail (hash-chained by the audit plugin). */
export interface AuditRepo {
  /** One batched INSERT; ids follow the array order. Returns the stored events. */
  append(events: NewAuditEvent[]): Promise<AuditEvent[]>
  /** Newest first. */
  list(filter?: AuditFilter): Promise<AuditEvent[]>
  /** The newest event of a project's chain (null: the global chain of events without a project). */
  last(projectId: string | null): Promise<AuditEvent | null>
  /**
   * Retention: deletes events created before `before`; returns how many. `projectId` limits it to one project;
   * `exceptProjects` keeps the named projects (they have a retention of their own).
   */
  prune(before: Date, scope?: PruneScope): Promise<number>
}

export interface PruneScope {
  projectId?: string
  exceptProjects?: string[]
}

/** The tool-call log. */
export interface ToolCallsRepo {
  /** One batched INSERT; returns how many rows were stored. */
  append(rows: NewToolCall[]): Promise<number>
  /** Newest first. */
  list(filter?: ToolCallFilter): Promise<ToolCall[]>
  /** Success rate and latency percentiles over the same filter (limit and beforeId ignored). */
  stats(filter?: ToolCallFilter): Promise<ToolCallStats>
  prune(before: Date, scope?: PruneScope): Promise<number>
}

/** Client sessions seen by the data plane, flushed in batches. */
export interface ClientSessionsRepo {
  /** One batched upsert by id; counters and timestamps are replaced by the given values. */
  upsert(sessions: ClientSessionInput[]): Promise<number>
  /** Most recently seen first. */
  list(filter: { projectId: string; serverName?: string; activeSince?: Date; limit?: number }): Promise<ClientSession[]>
  delete(id: string): Promise<boolean>
  prune(before: Date): Promise<number>
}

/**
 * Making the first admin, once, whichever node does it: the set-up tokens nodes print while no admin exists (only
 * hashes are stored; any node accepts any of them) and a lock that makes nodes decide one at a time.
 * @example
 * await store.transaction(async (tx) => {
 *   await tx.setup.lock()
 *   if (!(await tx.setup.consumeToken(hash))) throw new Error('invalid or used')
 *   await tx.users.create({ email, isAdmin: true })
 * })
 */
export interface SetupRepo {
  /** Holds the first-admin lock (database-wide) until the transaction ends; outside one it is released at once. */
  lock(): Promise<void>
  /** Stores a set-up token's hash; storing it again changes nothing. */
  addToken(tokenHash: string): Promise<void>
  /** True while any set-up token is stored. */
  hasToken(): Promise<boolean>
  /** Uses a token: when `tokenHash` is stored, deletes every token and answers true; otherwise changes nothing. */
  consumeToken(tokenHash: string): Promise<boolean>
  /** Deletes every token (an admin exists); answers how many there were. */
  clearTokens(): Promise<number>
}

/** Gateway nodes sharing one database (the cluster registry). Times left out are the database clock's now. */
export interface NodesRepo {
  /** Registers the node, or registers it again after a restart (its start and heartbeat times are reset). */
  upsert(node: NodeInput): Promise<GatewayNode>
  /** Records a heartbeat now and the node's current address; false when the node has no row. */
  heartbeat(id: string, address: string): Promise<boolean>
  /** Ordered by id; only nodes whose heartbeat is at or after `aliveSince` when given. */
  list(filter?: { aliveSince?: Date }): Promise<GatewayNode[]>
  /** Every node, ordered by id, with whether its last heartbeat is less than `withinMs` old. */
  liveness(withinMs: number): Promise<(GatewayNode & { alive: boolean })[]>
  /** Deletes nodes whose last heartbeat is more than `silentMs` old; returns how many. */
  prune(silentMs: number): Promise<number>
  delete(id: string): Promise<boolean>
}

/**
 * Leases of shared upstreams: one node at a time runs a given (project, server), and renews its leases with its
 * heartbeats. A lease whose expiry passed (its node stopped renewing) may be taken by any node.
 */
export interface LeasesRepo {
  /**
   * Takes the lease for `nodeId` when nobody holds it, it expired, or `nodeId` holds it already (then it is renewed
   * for `ttlMs`). Answers the holder afterwards, or null when it was released while this ran (try again later).
   */
  acquire(lease: LeaseKey & { nodeId: string; ttlMs: number }): Promise<LeaseHolder | null>
  /** Extends every lease `nodeId` holds to `ttlMs` from now; answers them (leases taken over are missing). */
  renew(nodeId: string, ttlMs: number): Promise<LeaseKey[]>
  /** Gives up one lease if `nodeId` holds it. */
  release(lease: LeaseKey & { nodeId: string }): Promise<boolean>
  /** Gives up every lease of `nodeId`; returns how many. */
  releaseAll(nodeId: string): Promise<number>
}

/** Stops a `listen()`; idempotent. */
export type Unlisten = () => Promise<void>

/** A user's favorite projects. */
export interface FavoritesRepo {
  /** Idempotent. */
  add(userId: string, projectId: string): Promise<void>
  /** Newest first. */
  list(userId: string): Promise<Favorite[]>
  remove(userId: string, projectId: string): Promise<boolean>
}

/** A stored OAuth artefact (oidc-provider's adapter contract): a grant, code, refresh token, interaction, client… */
export interface OAuthObject {
  model: string
  id: string
  payload: Record<string, unknown>
  grantId: string | null
  accountId: string | null
  projectId: string | null
  expiresAt: Date | null
  consumedAt: Date | null
  lastUsedAt: Date | null
  createdAt: Date
}

export interface OAuthObjectInput {
  model: string
  id: string
  payload: Record<string, unknown>
  /** Seconds from now; absent: kept until destroyed. */
  expiresInS?: number
  grantId?: string | null
  uid?: string | null
  userCode?: string | null
  accountId?: string | null
  projectId?: string | null
}

export interface OAuthSigningKey {
  kid: string
  /** The private JWK, sealed with the keyring. */
  sealedJwk: string
  createdAt: Date
  retiredAt: Date | null
}

/**
 * What mcpo's authorization server stores. Expired objects are never answered: `find*` treats them as absent.
 * @example
 * await store.oauth.upsert({ model: 'Grant', id, payload, expiresInS: 86400, accountId: user.id, projectId: 'p1' })
 * const grant = await store.oauth.find('Grant', id)
 */
export interface OAuthRepo {
  upsert(o: OAuthObjectInput): Promise<void>
  find(model: string, id: string): Promise<OAuthObject | null>
  findByUid(model: string, uid: string): Promise<OAuthObject | null>
  findByUserCode(model: string, userCode: string): Promise<OAuthObject | null>
  /** Marks the object used; answers false when it was already used or is gone (one use wins a race). */
  consume(model: string, id: string): Promise<boolean>
  destroy(model: string, id: string): Promise<void>
  /** Deletes the grant and everything issued under it; answers how many objects went. */
  revokeGrant(grantId: string): Promise<number>
  /** Unexpired grants, newest first, of one user, one project, or one user in one project. */
  grants(f: { accountId?: string; projectId?: string }): Promise<OAuthObject[]>
  /** Records that a token of the grant was used (kept to the minute by the caller). */
  touchGrant(grantId: string): Promise<void>
  /** Deletes the grants of a user in a project (membership removed); answers the ids. */
  revokeGrantsOf(accountId: string, projectId: string | null): Promise<string[]>
  /** Deletes expired objects; answers how many. */
  prune(): Promise<number>
  signingKeys(): Promise<OAuthSigningKey[]>
  addSigningKey(kid: string, sealedJwk: string): Promise<void>
  retireSigningKey(kid: string): Promise<void>
  /** Deletes keys retired before `olderThanS` seconds ago. */
  dropRetiredKeys(olderThanS: number): Promise<number>
}

/** Tokens mcpo holds for an upstream: a project's own (`userId` null) or one user's. Secrets sealed by the caller. */
export interface UpstreamCredential {
  projectId: string
  serverName: string
  userId: string | null
  /** The authorization server that issued the tokens (RFC 8414 `issuer`). */
  issuer: string
  /** Sealed. */
  accessToken: string
  /** Sealed. */
  refreshToken: string | null
  expiresAt: Date | null
  scope: string | null
  /** 'needs-reauth': the refresh failed for good (invalid_grant, revoked); the user or an owner must consent again. */
  status: 'ok' | 'needs-reauth'
  updatedAt: Date
}

/** A client mcpo has at an authorization server, for one redirect URI. */
export interface UpstreamOAuthClient {
  issuer: string
  redirectUri: string
  clientId: string
  /** Sealed. */
  clientSecret: string | null
  method: 'metadata-document' | 'dynamic' | 'pre-registered'
}

/** An authorization request in flight, found again by its `state` when the browser comes back. */
export interface PendingAuthorization {
  state: string
  projectId: string
  serverName: string
  userId: string | null
  issuer: string
  /** The PKCE verifier, sealed. */
  codeVerifier: string
  redirectUri: string
  returnTo: string | null
  scopes: string | null
}

/**
 * What mcpo stores as the OAuth client of upstream servers (issue 22). A credential is keyed by (project, server,
 * user or null for the project's own); deleting the server or its project, or renaming the server, carries its
 * credentials and pending requests along. Times are the database clock's.
 * @example
 * if (await store.upstreamOAuth.lockRefresh(pid, 'github', userId, nodeId, 30)) {
 *   try { await store.upstreamOAuth.saveCredential({ ...fresh }) }
 *   finally { await store.upstreamOAuth.unlockRefresh(pid, 'github', userId, nodeId) }
 * }
 */
export interface UpstreamOAuthRepo {
  credential(projectId: string, serverName: string, userId: string | null): Promise<UpstreamCredential | null>
  /** Upsert; sets status 'ok' and clears the refresh lock. */
  saveCredential(c: Omit<UpstreamCredential, 'status' | 'updatedAt'>): Promise<void>
  markNeedsReauth(projectId: string, serverName: string, userId: string | null): Promise<void>
  deleteCredential(projectId: string, serverName: string, userId: string | null): Promise<boolean>
  /** Every credential of a user in a project (membership removed) or everywhere (projectId null); answers them (for revocation) and deletes them. */
  deleteCredentialsOfUser(projectId: string | null, userId: string): Promise<UpstreamCredential[]>
  /** Credentials of one server (for the UI: who is connected), newest first. */
  credentialsOf(projectId: string, serverName: string): Promise<UpstreamCredential[]>
  /** Single-flight refresh across nodes: takes the credential's lock for ttlS seconds when it is free, expired, or already held by `holder`; true when taken. Uses the database clock. */
  lockRefresh(
    projectId: string,
    serverName: string,
    userId: string | null,
    holder: string,
    ttlS: number,
  ): Promise<boolean>
  unlockRefresh(projectId: string, serverName: string, userId: string | null, holder: string): Promise<void>
  client(issuer: string, redirectUri: string): Promise<UpstreamOAuthClient | null>
  saveClient(c: UpstreamOAuthClient): Promise<void>
  savePending(p: PendingAuthorization, expiresInS: number): Promise<void>
  /** One use: deletes and answers it when it exists and has not expired. */
  takePending(state: string): Promise<PendingAuthorization | null>
}

export interface Repositories {
  readonly users: UsersRepo
  readonly userSessions: UserSessionsRepo
  readonly teams: TeamsRepo
  readonly teamMembers: TeamMembersRepo
  readonly projects: ProjectsRepo
  readonly projectMembers: ProjectMembersRepo
  readonly invitations: InvitationsRepo
  readonly servers: ServersRepo
  readonly apiKeys: ApiKeysRepo
  readonly toolPolicies: ToolPoliciesRepo
  readonly templates: TemplatesRepo
  readonly projectTemplates: ProjectTemplatesRepo
  readonly audit: AuditRepo
  readonly toolCalls: ToolCallsRepo
  readonly clientSessions: ClientSessionsRepo
  readonly nodes: NodesRepo
  readonly leases: LeasesRepo
  readonly favorites: FavoritesRepo
  readonly setup: SetupRepo
  readonly oauth: OAuthRepo
  readonly upstreamOAuth: UpstreamOAuthRepo
}

/**
 * The storage port. Open one with `embeddedStorage()` or `postgresStorage()` (index.ts).
 * @example
 * const store = await openEmbeddedStore({ dir: './data' })
 * await store.migrate()
 * await store.transaction(async (tx) => {
 *   const p = await tx.projects.create({ id: 'demo', name: 'Demo' })
 *   await tx.projectMembers.add({ projectId: p.id, userId, role: 'owner' })
 * })
 */
export interface Store extends Repositories {
  readonly kind: 'embedded' | 'postgres'
  /** Throws MCPO_ERR_STORAGE_UNAVAILABLE when the database cannot answer. */
  ping(): Promise<void>
  /** Applies pending sql/NNN_*.sql files once, even with several nodes starting together. */
  migrate(): Promise<{ applied: string[] }>
  /** True when every migration file is applied. */
  isMigrated(): Promise<boolean>
  /** Waits for running work, then releases the database (embedded: a clean shutdown to disk). Idempotent. */
  close(): Promise<void>
  /**
   * Runs fn in a transaction: it commits when fn resolves and rolls back when fn throws. Inside fn
   * use only `tx` (the embedded database has one connection: the outer store would wait for the
   * transaction forever; with MCPO_DEBUG_STORE=1, as under `npm test`, it throws MCPO_ERR_INTERNAL instead). Calling `tx.transaction` nests
   * with a savepoint; run nested transactions one after another, not in parallel.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>
  /**
   * Calls `onMessage` with the payload of every notification on `channel`, from any node of the database (this one
   * included), until the returned function is called. PostgreSQL listens on a connection of its own and listens
   * again after losing it, then calls `onReconnect`: notifications sent meanwhile are lost, so reload what they
   * would have said. A channel is a lower-case SQL identifier. Not inside a transaction.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<Unlisten>
  /** Sends a notification; inside a transaction it is sent when the transaction commits (and not if it rolls back). */
  notify(channel: string, payload: string): Promise<void>
}

/** A minimal structural logger; a pino logger fits. */
export interface StorageLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}
