// /api/me/favorites: the signed-in user's favorite projects. Only projects the user can still see are listed, so a
// favorite never reveals a project after access to it is gone.
import { z } from 'zod'
import type { Principal } from '../../plugins/contract.ts'
import { stronger } from '../../plugins/rbac/matrix.ts'
import type { Favorite, Project, Role, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { requireProject } from './access.ts'
import { route } from './define.ts'
import { pageQuery, pageSchema, paginate } from './paging.ts'
import { callerUserId } from './rules.ts'
import { projectSchema, projectView } from './views.ts'

const favoriteSchema = z.object({ projectId: z.string(), createdAt: z.string(), project: projectSchema })

/** The user's favorites joined with the projects they can see (administrators see every project). */
async function visibleFavorites(store: Store, principal: Principal, userId: string) {
  const favorites = await store.favorites.list(userId)
  const mine = new Map<string, { project: Project; role: Role | null }>()
  for (const p of await store.projects.listForUser(userId, { includeArchived: true })) {
    mine.set(p.id, { project: p, role: stronger(p.role, p.teamRole) })
  }
  const out: { favorite: Favorite; project: Project; role: Role | null }[] = []
  for (const f of favorites) {
    const seen = mine.get(f.projectId)
    if (seen) out.push({ favorite: f, ...seen })
    else if (principal.isAdmin) {
      const project = await store.projects.get(f.projectId)
      if (project) out.push({ favorite: f, project, role: null })
    }
  }
  return out
}

function favoriteView(f: { favorite: Favorite; project: Project; role: Role | null }) {
  return {
    projectId: f.favorite.projectId,
    createdAt: f.favorite.createdAt.toISOString(),
    project: projectView(f.project, f.role),
  }
}

export function favoriteRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/me/favorites',
      tag: 'favorites',
      summary: 'My favorite projects, newest first',
      auth: 'user',
      query: pageQuery,
      response: pageSchema(favoriteSchema),
      handler: async ({ query, principal, services }) => {
        const userId = callerUserId(principal)
        return paginate(await visibleFavorites(services.store, principal!, userId), query, favoriteView)
      },
    }),
    route({
      method: 'GET',
      path: '/api/me/favorites/:projectId',
      tag: 'favorites',
      summary: 'Whether a project is one of my favorites (404 when it is not)',
      auth: 'user',
      response: favoriteSchema,
      handler: async ({ params, principal, services }) => {
        const userId = callerUserId(principal)
        const found = (await visibleFavorites(services.store, principal!, userId)).find(
          (f) => f.favorite.projectId === params.projectId,
        )
        if (!found) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'not a favorite')
        return favoriteView(found)
      },
    }),
    route({
      method: 'PUT',
      path: '/api/me/favorites/:projectId',
      tag: 'favorites',
      summary: 'Mark a project I can see as a favorite (idempotent)',
      auth: 'user',
      handler: async ({ params, principal, services }) => {
        const userId = callerUserId(principal)
        const { project } = await requireProject(services.store, principal, params.projectId, 'project.view')
        await services.store.favorites.add(userId, project.id)
        return undefined
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/me/favorites/:projectId',
      tag: 'favorites',
      summary: 'Remove a project from my favorites (idempotent)',
      auth: 'user',
      handler: async ({ params, principal, services }) => {
        await services.store.favorites.remove(callerUserId(principal), params.projectId)
        return undefined
      },
    }),
  ]
}
