// Rules shared by the team, project, member and invitation routes: the caller as a user, lost-update versions,
// archived and config-owned projects, "a team or project always keeps an owner", and keys dying with access.
import type { Principal } from '../../plugins/contract.ts'
import type { Project, Role, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import type { ApiServices } from './define.ts'

/** The signed-in user's id. Personal actions (my teams, creating things, accepting invitations) need a user, not a key. */
export function callerUserId(principal: Principal | null): string {
  if (!principal) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in first')
  if (principal.kind !== 'user' || !principal.userId) {
    throw new GatewayError('MCPO_ERR_FORBIDDEN', 'this needs a signed-in user, not an API key')
  }
  return principal.userId
}

/** Who to record as `addedBy` / `invitedBy`: the user, or the creator of the API key used. */
export function actingUserId(principal: Principal | null): string | null {
  return principal?.userId ?? null
}

/** Lost-update guard: `version` is the `updatedAt` the client last saw; absent means "last write wins". */
export function assertVersion(what: string, updatedAt: Date, version: string | undefined): void {
  if (version === undefined) return
  if (new Date(version).getTime() !== updatedAt.getTime()) {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `the ${what} was changed by someone else since you loaded it; reload it and try again`,
      { details: { field: 'version', current: updatedAt.toISOString() } },
    )
  }
}

/** An archived project is read-only until restored (restore and delete are the only writes it takes). */
export function assertActive(project: Project): void {
  if (project.archivedAt) {
    throw new GatewayError('MCPO_ERR_CONFLICT', 'project is archived: restore it before changing it')
  }
}

/** Projects declared in mcpo.config.ts are rewritten at every boot, so the API may only archive or restore them. */
export function assertUiOwned(project: Project, doing: string): void {
  if (project.source === 'config') {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `project "${project.id}" is managed by mcpo.config.ts: ${doing} it there (the API may only archive or restore it)`,
    )
  }
}

/** The subject of a last-owner message: "you are" or "alice@example.com is". */
export function whoIs(self: boolean, email: string): string {
  return self ? 'you are' : `${email} is`
}

/** A project's owners: direct owners, and for a team project the team's owners (they are owners through the team). */
export async function projectOwners(
  store: Store,
  project: Project,
): Promise<{ direct: Set<string>; team: Set<string> }> {
  const direct = new Set(
    (await store.projectMembers.list(project.id)).filter((m) => m.role === 'owner').map((m) => m.userId),
  )
  const team = new Set(
    project.teamId
      ? (await store.teamMembers.list(project.teamId)).filter((m) => m.role === 'owner').map((m) => m.userId)
      : [],
  )
  return { direct, team }
}

/**
 * Refuses a change that would leave the project without an owner: `userId`'s direct role becomes `next` (null:
 * removed). Only a change to a current owner can trip it, so a project that has no owner (one from the config file)
 * still takes members. Call it inside a transaction that holds the project's lock.
 */
export async function keepProjectOwner(
  store: Store,
  project: Project,
  userId: string,
  next: Role | null,
  label: string,
): Promise<void> {
  const { direct, team } = await projectOwners(store, project)
  if (!direct.has(userId) && !team.has(userId)) return
  const after = new Set([...direct, ...team])
  if (next === 'owner' || team.has(userId)) after.add(userId)
  else after.delete(userId)
  if (after.size === 0) {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `${label} the last owner of this project: make another member owner first, or transfer ownership`,
      { details: { reason: 'last_owner' } },
    )
  }
}

/** The same for a team; call it inside a transaction that holds the team's lock. */
export async function keepTeamOwner(
  store: Store,
  teamId: string,
  current: Role,
  next: Role | null,
  label: string,
): Promise<void> {
  if (current !== 'owner' || next === 'owner') return
  if ((await store.teamMembers.countOwners(teamId)) <= 1) {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `${label} the last owner of this team: make another member owner first`,
      { details: { reason: 'last_owner' } },
    )
  }
}

/**
 * A key dies with its creator's access (product.md §2): revokes the keys `userId` made in a project they can no
 * longer reach at all. Returns how many were revoked; the caller reloads the key cache after commit.
 */
export async function revokeKeysOfLeaver(store: Store, project: Project, userId: string): Promise<number> {
  if (await store.projectMembers.get(project.id, userId)) return 0
  if (project.teamId && (await store.teamMembers.get(project.teamId, userId))) return 0
  let n = 0
  for (const key of await store.apiKeys.list(project.id)) {
    if (key.createdBy === userId && key.revokedAt === null) {
      await store.apiKeys.revoke(key.id)
      n++
    }
  }
  return n
}

/** Archived or deleted: its servers are unloaded and its open MCP sessions end now, not at their next request. */
export async function stopServing(services: ApiServices, projectId: string, reason: string): Promise<void> {
  await services.reloadProject(projectId)
  // The project's keys stop authenticating now, not at the next periodic key reload.
  await services.reloadKeys()
  for (const s of [...services.sessions.all()]) if (s.projectId === projectId) s.close(reason)
}
