// Every control-plane route, in one list: mounted on the router and documented in /api/openapi.json.

import { upstreamOAuthRoutes } from '../upstream-oauth/routes.ts'
import { activityRoutes } from './activity.ts'
import { activityExportRoutes } from './activity-export.ts'
import { adminEventRoutes } from './admin-events.ts'
import { apiKeyRoutes } from './api-keys.ts'
import { authRoutes } from './auth-routes.ts'
import { clientConfigRoutes } from './client-config.ts'
import { connectedAppRoutes } from './connected-apps.ts'
import type { RouteDef } from './define.ts'
import { emailVerificationRoutes } from './email-verification.ts'
import { favoriteRoutes } from './favorites.ts'
import { invitationRoutes } from './invitations.ts'
import { memberRoutes } from './members.ts'
import { observabilityRoutes } from './observability.ts'
import { oidcRoutes } from './oidc-routes.ts'
import { openApiRoute } from './openapi.ts'
import { policyRoutes } from './policies.ts'
import { projectTemplateRoutes } from './project-templates.ts'
import { projectRoutes } from './projects.ts'
import { serverImportRoutes } from './server-import.ts'
import { serverRoutes } from './servers.ts'
import { sessionRoutes } from './session-routes.ts'
import { systemStatusRoutes } from './system-status.ts'
import { teamMemberRoutes } from './team-members.ts'
import { teamRoutes } from './teams.ts'
import { templateRoutes } from './templates.ts'
import { toolTestRoutes } from './tool-test.ts'
import { toolRoutes } from './tools.ts'
import { userRoutes } from './users.ts'

export function apiRoutes(): RouteDef[] {
  const routes: RouteDef[] = [
    ...authRoutes(),
    ...emailVerificationRoutes(),
    ...oidcRoutes(),
    ...sessionRoutes(),
    // Resource route modules are added here, one line each.
    ...teamRoutes(),
    ...teamMemberRoutes(),
    ...projectRoutes(),
    ...memberRoutes(),
    ...invitationRoutes(),
    ...userRoutes(),
    ...favoriteRoutes(),
    ...connectedAppRoutes(),
    ...upstreamOAuthRoutes(),
    ...serverImportRoutes(),
    ...serverRoutes(),
    ...toolRoutes(),
    ...policyRoutes(),
    ...apiKeyRoutes(),
    ...activityRoutes(),
    ...activityExportRoutes(),
    ...observabilityRoutes(),
    ...clientConfigRoutes(),
    ...templateRoutes(),
    ...toolTestRoutes(),
    ...systemStatusRoutes(),
    ...adminEventRoutes(),
    ...projectTemplateRoutes(),
  ]
  routes.push(openApiRoute(() => routes))
  return routes
}
