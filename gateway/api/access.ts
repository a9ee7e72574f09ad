// Who may do what on a project or team through the API: the principal's effective role, checked against the
// role matrix. A project the caller cannot see answers 404, so its existence is not revealed.
import type { Principal } from '../../plugins/contract.ts'
import {
  type Actor,
  canInProject,
  canInTeam,
  type ProjectAction,
  type Role,
  stronger,
  type TeamAction,
  weaker,
} from '../../plugins/rbac/matrix.ts'
import type { Project, Store, Team } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'

/** A key from the config file has no creator; it may call tools and see the project, nothing more. */
const CONFIG_KEY_ROLE: Role = 'reporter'

/** The role a user holds in a project: the direct one or the one inherited from the project's team, whichever is stronger. */
export async function userProjectRole(store: Store, project: Project, userId: string): Promise<Role | null> {
  const direct = (await store.projectMembers.get(project.id, userId))?.role ?? null
  const team = project.teamId ? ((await store.teamMembers.get(project.teamId, userId))?.role ?? null) : null
  return stronger(direct as Role | null, team as Role | null)
}

export async function projectActor(store: Store, principal: Principal, project: Project): Promise<Actor> {
  if (principal.isAdmin) return { isAdmin: true, role: 'owner' }
  if (principal.kind === 'api-key') {
    if (principal.projectId !== project.id) return { isAdmin: false, role: null }
    if (!principal.userId) return { isAdmin: false, role: CONFIG_KEY_ROLE }
    // A key acts with at most its creator's rights, and dies with the creator's access.
    const creator = await store.users.get(principal.userId)
    if (!creator || creator.disabled) return { isAdmin: false, role: null }
    if (creator.isAdmin) return { isAdmin: false, role: 'owner' }
    const role = await userProjectRole(store, project, creator.id)
    return { isAdmin: false, role: role === null ? null : weaker(role, 'owner') }
  }
  if (!principal.userId) return { isAdmin: false, role: null }
  return { isAdmin: false, role: await userProjectRole(store, project, principal.userId) }
}

/**
 * Loads the project and checks `action`. No role at all → 404 (as if the project did not exist); a role without
 * the right → 403 naming the action.
 */
export async function requireProject(
  store: Store,
  principal: Principal | null,
  projectId: string,
  action: ProjectAction,
): Promise<{ project: Project; actor: Actor }> {
  if (!principal) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in first')
  const project = await store.projects.get(projectId)
  if (!project) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project not found')
  const actor = await projectActor(store, principal, project)
  if (!actor.isAdmin && actor.role === null) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'project not found')
  if (!canInProject(actor, action)) {
    throw new GatewayError('MCPO_ERR_FORBIDDEN', `your role (${actor.role}) may not ${action} in this project`)
  }
  return { project, actor }
}

export async function requireTeam(
  store: Store,
  principal: Principal | null,
  teamId: string,
  action: TeamAction,
): Promise<{ team: Team; actor: Actor }> {
  if (!principal) throw new GatewayError('MCPO_ERR_UNAUTHENTICATED', 'sign in first')
  const team = (await store.teams.get(teamId)) ?? (await store.teams.getBySlug(teamId))
  if (!team) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'team not found')
  const role = principal.isAdmin
    ? 'owner'
    : principal.kind === 'user' && principal.userId
      ? (((await store.teamMembers.get(team.id, principal.userId))?.role ?? null) as Role | null)
      : null
  const actor: Actor = { isAdmin: principal.isAdmin === true, role }
  if (!actor.isAdmin && role === null) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'team not found')
  if (!canInTeam(actor, action))
    throw new GatewayError('MCPO_ERR_FORBIDDEN', `your role (${role}) may not ${action} in this team`)
  return { team, actor }
}
