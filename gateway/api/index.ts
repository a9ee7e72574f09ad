// Every control-plane route, in one list: mounted on the router and documented in /api/openapi.json.
import { type AuthState, authRoutes } from './auth-routes.ts'
import type { RouteDef } from './define.ts'
import { openApiRoute } from './openapi.ts'

export function apiRoutes(auth: AuthState): RouteDef[] {
  const routes: RouteDef[] = [
    ...authRoutes(auth),
    // Resource route modules are added here, one line each.
  ]
  routes.push(openApiRoute(() => routes))
  return routes
}
