// The role matrix of product.md §2, written once as data. Every REST and MCP route asks `can()`; the README
// prints this table and a test checks every cell.

export const Roles = ['owner', 'developer', 'reporter'] as const
export type Role = (typeof Roles)[number]

/** Project actions, in the order the README lists them. */
export const ProjectActions = {
  'project.view': 'view project, servers (secrets masked), members, tools, activity',
  'tools.call': 'call tools through MCP endpoints (subject to tool policies)',
  'keys.own': 'create, list and revoke own API keys',
  'servers.manage': 'add/edit/delete remote servers; enable, disable, restart; tool toggles',
  'servers.addFromCatalog': 'add stdio servers from the admin-approved catalog',
  'policies.edit': 'edit tool policies',
  'keys.manageAll': "list and revoke anyone's keys in the project",
  'members.manage': 'invite, re-role, remove members',
  'project.settings': 'change settings; archive, restore, delete',
  'servers.defineStdio': 'define arbitrary stdio commands',
} as const
export type ProjectAction = keyof typeof ProjectActions

export const TeamActions = {
  'team.view': 'view team, members, projects',
  'team.createProject': 'create projects in the team',
  'team.manage': 'invite, re-role, remove members; edit or delete the team',
} as const
export type TeamAction = keyof typeof TeamActions

/** Who may do what. `servers.defineStdio` belongs to no role: only global admins (and the config file) have it. */
export const PROJECT_MATRIX: Readonly<Record<Role, readonly ProjectAction[]>> = Object.freeze({
  owner: [
    'project.view',
    'tools.call',
    'keys.own',
    'servers.manage',
    'servers.addFromCatalog',
    'policies.edit',
    'keys.manageAll',
    'members.manage',
    'project.settings',
  ],
  developer: ['project.view', 'tools.call', 'keys.own', 'servers.manage', 'servers.addFromCatalog'],
  reporter: ['project.view', 'tools.call', 'keys.own'],
})

export const TEAM_MATRIX: Readonly<Record<Role, readonly TeamAction[]>> = Object.freeze({
  owner: ['team.view', 'team.createProject', 'team.manage'],
  developer: ['team.view', 'team.createProject'],
  reporter: ['team.view'],
})

const rank: Record<Role, number> = { reporter: 0, developer: 1, owner: 2 }

/** The weaker of two roles: an API key acts with at most its creator's rights. */
export function weaker(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b
}

/** The stronger of two roles: a direct project role and the role inherited from the project's team. */
export function stronger(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b
  if (b === null) return a
  return rank[a] >= rank[b] ? a : b
}

export interface Actor {
  isAdmin: boolean
  /** The actor's effective role in the project or team, or null for none. */
  role: Role | null
}

export function canInProject(actor: Actor, action: ProjectAction): boolean {
  if (actor.isAdmin) return true
  return actor.role !== null && PROJECT_MATRIX[actor.role].includes(action)
}

export function canInTeam(actor: Actor, action: TeamAction): boolean {
  if (actor.isAdmin) return true
  return actor.role !== null && TEAM_MATRIX[actor.role].includes(action)
}

/** The matrix as a markdown table, for the README. */
export function matrixMarkdown(): string {
  const row = (label: string, cells: boolean[]) => `| ${label} | ${cells.map((c) => (c ? '✓' : '–')).join(' | ')} |`
  const lines = ['| action (project) | Owner | Developer | Reporter |', '|---|---|---|---|']
  for (const [action, label] of Object.entries(ProjectActions)) {
    lines.push(
      row(
        `${label} (\`${action}\`)`,
        Roles.map((r) => PROJECT_MATRIX[r].includes(action as ProjectAction)),
      ),
    )
  }
  lines.push('', '| action (team) | Owner | Developer | Reporter |', '|---|---|---|---|')
  for (const [action, label] of Object.entries(TeamActions)) {
    lines.push(
      row(
        `${label} (\`${action}\`)`,
        Roles.map((r) => TEAM_MATRIX[r].includes(action as TeamAction)),
      ),
    )
  }
  return lines.join('\n')
}
