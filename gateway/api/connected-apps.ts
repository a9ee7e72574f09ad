// Connected apps: the OAuth grants people gave MCP clients (Claude, VS Code, Cursor…) to act for them on a project's
// endpoints. A user sees and revokes their own (profile); a project's Owners see and revoke everyone's in the project
// (settings), other members their own there. Revoking deletes the grant with its refresh tokens; its access tokens
// are refused on every node within a second (the resource server re-reads a grant at most 500 ms stale).
import { z } from 'zod'
import type { OAuthObject, Store } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { projectOfResource } from '../oauth/resources.ts'
import { requireProject } from './access.ts'
import { type ApiServices, route } from './define.ts'
import { callerUserId } from './rules.ts'

const appSchema = z.object({
  grantId: z.string(),
  clientId: z.string(),
  clientName: z.string().nullable(),
  /** How mcpo knows the client: its https metadata document, Dynamic Client Registration, or the config file. */
  registration: z.enum(['metadata-document', 'dynamic', 'preregistered']),
  userId: z.string(),
  userEmail: z.string().nullable(),
  projectId: z.string(),
  resources: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
})
const listSchema = z.object({ items: z.array(appSchema) })
type AppView = z.infer<typeof appSchema>

async function views(services: ApiServices, grants: OAuthObject[]): Promise<AppView[]> {
  const { store } = services
  const preregistered = new Map(services.config.oauth.clients.map((c) => [c.clientId, c.clientName ?? null]))
  const emails = new Map<string, string | null>()
  const out: AppView[] = []
  for (const g of grants) {
    const clientId = String(g.payload.clientId ?? '')
    const userId = g.accountId ?? ''
    if (!emails.has(userId)) emails.set(userId, (await store.users.get(userId))?.email ?? null)
    const resources = Object.keys((g.payload.resources as Record<string, string> | undefined) ?? {})
    out.push({
      grantId: g.id,
      clientId,
      clientName: await clientName(store, clientId, preregistered),
      registration: preregistered.has(clientId)
        ? 'preregistered'
        : clientId.startsWith('https://')
          ? 'metadata-document'
          : 'dynamic',
      userId,
      userEmail: emails.get(userId) ?? null,
      projectId: g.projectId ?? resources.map(projectOfResource).find(Boolean) ?? '',
      resources,
      createdAt: g.createdAt.toISOString(),
      lastUsedAt: g.lastUsedAt?.toISOString() ?? null,
      expiresAt: g.expiresAt?.toISOString() ?? null,
    })
  }
  return out
}

async function clientName(store: Store, clientId: string, preregistered: Map<string, string | null>) {
  if (preregistered.has(clientId)) return preregistered.get(clientId) ?? null
  const registered = await store.oauth.find('Client', clientId)
  const name = registered?.payload.client_name
  return typeof name === 'string' ? name : null
}

async function revoke(services: ApiServices, grantId: string): Promise<void> {
  await services.store.oauth.revokeGrant(grantId)
}

export function connectedAppRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/me/connected-apps',
      tag: 'oauth',
      summary: 'Apps I connected with OAuth, newest first, with when each was last used',
      auth: 'user',
      response: listSchema,
      handler: async ({ principal, services }) => {
        const userId = callerUserId(principal)
        return { items: await views(services, await services.store.oauth.grants({ accountId: userId })) }
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/me/connected-apps/:grantId',
      tag: 'oauth',
      summary: 'Disconnect one of my apps: its tokens stop working on every node within a second',
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const userId = callerUserId(principal)
        const grant = await services.store.oauth.find('Grant', params.grantId)
        if (!grant || grant.accountId !== userId) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'no such connected app')
        await revoke(services, grant.id)
        audit({
          action: 'oauth.grant.revoked',
          projectId: grant.projectId,
          target: { type: 'oauth-grant', id: grant.id },
          before: { clientId: grant.payload.clientId },
        })
        return undefined
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/connected-apps',
      tag: 'oauth',
      summary: "Apps connected to the project with OAuth: everyone's for Owners, your own for other members",
      auth: 'user',
      response: listSchema,
      handler: async ({ params, principal, services }) => {
        const { project, actor } = await requireProject(services.store, principal, params.id, 'project.view')
        const everyone = actor.isAdmin || actor.role === 'owner'
        const grants = await services.store.oauth.grants({
          projectId: project.id,
          accountId: everyone ? undefined : callerUserId(principal),
        })
        return { items: await views(services, grants) }
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/projects/:id/connected-apps/:grantId',
      tag: 'oauth',
      summary: "Revoke an app's access to the project (Owners: anyone's; members: their own)",
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const { project, actor } = await requireProject(services.store, principal, params.id, 'project.view')
        const grant = await services.store.oauth.find('Grant', params.grantId)
        const everyone = actor.isAdmin || actor.role === 'owner'
        if (!grant || grant.projectId !== project.id)
          throw new GatewayError('MCPO_ERR_NOT_FOUND', 'no such connected app')
        if (!everyone && grant.accountId !== callerUserId(principal)) {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', "only the project's Owners may revoke other members' apps")
        }
        await revoke(services, grant.id)
        audit({
          action: 'oauth.grant.revoked',
          projectId: project.id,
          target: { type: 'oauth-grant', id: grant.id },
          before: { clientId: grant.payload.clientId, userId: grant.accountId },
        })
        return undefined
      },
    }),
  ]
}
