// What the signed-in user may do, from the same role matrix the gateway enforces (plugins/rbac/matrix.ts is plain
// data, so the bundle shares it rather than copying it). The UI hides what the API would refuse; the API decides.
import { canInProject, canInTeam, type ProjectAction, type TeamAction } from '../plugins/rbac/matrix.ts'
import type { Project, Team, User } from './api-types.ts'

export type { ProjectAction, TeamAction }

export function canProject(user: User | null, project: Project | null, action: ProjectAction): boolean {
  if (!user || !project) return false
  return canInProject({ isAdmin: user.isAdmin, role: project.role }, action)
}

export function canTeam(user: User | null, team: Team | null, action: TeamAction): boolean {
  if (!user || !team) return false
  return canInTeam({ isAdmin: user.isAdmin, role: team.role }, action)
}
