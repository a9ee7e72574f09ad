// All of mcpo's SQL, written once as tagged templates and run by both adapters. The statements
// live in queries-*.ts by concern; this module binds them to one Sql (a pool or a transaction).
import type { Repositories } from './port.ts'
import { leasesRepo, nodesRepo } from './queries-cluster.ts'
import { apiKeysRepo } from './queries-keys.ts'
import { auditRepo, clientSessionsRepo, toolCallsRepo } from './queries-logs.ts'
import { oauthRepo } from './queries-oauth.ts'
import { favoritesRepo, teamMembersRepo, teamsRepo, usersRepo } from './queries-people.ts'
import { projectTemplatesRepo } from './queries-project-templates.ts'
import { invitationsRepo, projectMembersRepo, projectsRepo } from './queries-projects.ts'
import { serversRepo, templatesRepo, toolPoliciesRepo } from './queries-servers.ts'
import { userSessionsRepo } from './queries-sessions.ts'
import { setupRepo } from './queries-setup.ts'
import { upstreamOAuthRepo } from './queries-upstream-oauth.ts'
import type { Sql } from './sql.ts'

export function createRepositories(sql: Sql): Repositories {
  return {
    users: usersRepo(sql),
    userSessions: userSessionsRepo(sql),
    teams: teamsRepo(sql),
    teamMembers: teamMembersRepo(sql),
    projects: projectsRepo(sql),
    projectMembers: projectMembersRepo(sql),
    invitations: invitationsRepo(sql),
    servers: serversRepo(sql),
    apiKeys: apiKeysRepo(sql),
    toolPolicies: toolPoliciesRepo(sql),
    templates: templatesRepo(sql),
    projectTemplates: projectTemplatesRepo(sql),
    audit: auditRepo(sql),
    toolCalls: toolCallsRepo(sql),
    clientSessions: clientSessionsRepo(sql),
    nodes: nodesRepo(sql),
    leases: leasesRepo(sql),
    favorites: favoritesRepo(sql),
    setup: setupRepo(sql),
    oauth: oauthRepo(sql),
    upstreamOAuth: upstreamOAuthRepo(sql),
  }
}

/** Cheap liveness probe shared by both adapters. */
export async function selectOne(sql: Sql): Promise<void> {
  await sql`SELECT 1 AS ok`
}
