// The browser's part of connecting an OAuth-protected server (issue 22). "Connect" is a link the signed-in browser
// follows: mcpo starts the flow and sends it to the provider, with a cookie that ties the flow to that browser; the
// provider sends it back to the callback, which completes the flow only in the browser (and, for a member's own
// account, for the user) that started it. Owners connect a server's project credentials; every member connects their
// own account to a per-user server. Disconnecting revokes at the provider and deletes the tokens.
import { z } from 'zod'
import { parseCookies } from '../../plugins/cookies.ts'
import { requireProject } from '../api/access.ts'
import { type ApiServices, reply, route } from '../api/define.ts'
import { callerUserId } from '../api/rules.ts'
import { GatewayError } from '../errors.ts'
import { oauthServer } from './credentials.ts'
import { CALLBACK_PATH, CLIENT_METADATA_PATH, type CredentialOwner, type UpstreamOAuth } from './vault.ts'

const STATE_COOKIE = 'mcpo_upstream_oauth'
const forQuery = z.object({ for: z.enum(['me', 'project']).optional(), returnTo: z.string().max(512).optional() })
const statusSchema = z.object({
  credentials: z.enum(['project', 'user']),
  /** The credential this caller's requests use: the project's, or their own on a per-user server. */
  connected: z.boolean(),
  status: z.enum(['ok', 'needs-reauth']).nullable(),
  issuer: z.string().nullable(),
  scope: z.string().nullable(),
  expiresAt: z.string().nullable(),
  /** Per-user servers: how many members have connected (Owners only; null for others). */
  connectedUsers: z.number().nullable(),
  connectUrl: z.string(),
})

function vaultOf(services: ApiServices): UpstreamOAuth {
  const vault = services.upstreamOAuth
  if (!vault) {
    throw new GatewayError('MCPO_ERR_NOT_FOUND', 'upstream OAuth is off: set listen.publicBaseUrl to turn it on')
  }
  return vault
}

async function serverFor(services: ApiServices, projectId: string, name: string) {
  const spec = services.relay.runtime(projectId, name)?.spec
  const server = spec ? oauthServer(spec) : null
  if (!server) throw new GatewayError('MCPO_ERR_NOT_FOUND', `server "${name}" does not use OAuth`)
  return server
}

/** The OAuth view of a project's server, for the vault's lookups. */
export function oauthServerOf(services: ApiServices) {
  return (projectId: string, name: string) => {
    const spec = services.relay.runtime(projectId, name)?.spec
    return spec ? (oauthServer(spec) ?? undefined) : undefined
  }
}

/**
 * Where the browser goes after the callback: a path of this gateway only, never another site. Browsers drop tabs and
 * line breaks from URLs and read a backslash as a slash, so only plain URL characters pass, and never two slashes first.
 */
export function safeReturn(path: string | undefined): string | null {
  if (!path || !SAFE_PATH.test(path)) return null
  return path
}

const SAFE_PATH = /^\/(?![/])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*$/

export function upstreamOAuthRoutes() {
  return [
    route({
      method: 'GET',
      path: CLIENT_METADATA_PATH,
      tag: 'upstream-oauth',
      summary: "mcpo's OAuth Client ID Metadata Document, read by providers that accept its URL as a client id",
      auth: 'public',
      handler: ({ services }) => reply(200, vaultOf(services).clientMetadata(), { 'cache-control': 'max-age=3600' }),
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/servers/:name/oauth/connect',
      tag: 'upstream-oauth',
      summary: "Start connecting a server: the project's credentials (Owners), or with for=me your own account",
      auth: 'user',
      query: forQuery,
      handler: async ({ params, query, principal, services, audit }) => {
        const vault = vaultOf(services)
        const { project, actor } = await requireProject(services.store, principal, params.id, 'tools.call')
        const server = await serverFor(services, project.id, params.name)
        let owner: CredentialOwner = null
        if (server.auth.credentials === 'user') owner = callerUserId(principal)
        else if (!actor.isAdmin && actor.role !== 'owner') {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', "only the project's Owners connect its credentials")
        }
        const { url, state } = await vault.start(server, owner, safeReturn(query.returnTo))
        audit({
          action: 'server.oauth.connect-started',
          projectId: project.id,
          target: { type: 'server', id: server.name },
          after: { credentials: server.auth.credentials },
        })
        const secure = vault.redirectUri.startsWith('https://') ? '; Secure' : ''
        const cookie = `${STATE_COOKIE}=${state}; Path=${CALLBACK_PATH}; Max-Age=900; HttpOnly; SameSite=Lax${secure}`
        return reply(302, undefined, { location: url, 'set-cookie': cookie, 'cache-control': 'no-store' })
      },
    }),
    route({
      method: 'GET',
      path: CALLBACK_PATH,
      tag: 'upstream-oauth',
      summary: 'Where the provider sends the browser back; completes the connection started in this browser',
      auth: 'user',
      handler: async ({ req, principal, services, audit }) => {
        const vault = vaultOf(services)
        const callback = new URL(`${vault.redirectUri}?${req.query}`)
        const state = callback.searchParams.get('state') ?? ''
        if (!state || parseCookies(req.headers.cookie).get(STATE_COOKIE) !== state) {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', 'this connection was started in another browser; start it again')
        }
        const caller = callerUserId(principal)
        const done = await vault.complete(callback, oauthServerOf(services), (pending) => {
          if (pending.userId !== null && pending.userId !== caller) {
            throw new GatewayError('MCPO_ERR_FORBIDDEN', 'this connection was started by another user')
          }
        })
        audit({
          action: 'server.oauth.connected',
          projectId: done.projectId,
          target: { type: 'server', id: done.serverName },
          after: { credentials: done.userId === null ? 'project' : 'user' },
        })
        const clear = `${STATE_COOKIE}=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax`
        const to = done.returnTo ?? `/projects/${encodeURIComponent(done.projectId)}`
        return reply(302, undefined, { location: to, 'set-cookie': clear, 'cache-control': 'no-store' })
      },
    }),
    route({
      method: 'GET',
      path: '/api/projects/:id/servers/:name/oauth',
      tag: 'upstream-oauth',
      summary: "Whether the server is connected for the caller's requests, and where to connect it",
      auth: 'user',
      response: statusSchema,
      handler: async ({ params, principal, services }) => {
        const vault = vaultOf(services)
        const { project, actor } = await requireProject(services.store, principal, params.id, 'project.view')
        const server = await serverFor(services, project.id, params.name)
        const perUser = server.auth.credentials === 'user'
        const owner = perUser ? callerUserId(principal) : null
        const cred = await services.store.upstreamOAuth.credential(project.id, server.name, owner)
        const everyone = actor.isAdmin || actor.role === 'owner'
        return {
          credentials: server.auth.credentials,
          connected: cred?.status === 'ok',
          status: cred?.status ?? null,
          issuer: cred?.issuer ?? null,
          scope: cred?.scope ?? null,
          expiresAt: cred?.expiresAt?.toISOString() ?? null,
          connectedUsers:
            perUser && everyone
              ? (await services.store.upstreamOAuth.credentialsOf(project.id, server.name)).length
              : null,
          connectUrl: vault.connectUrl(server, owner),
        }
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/projects/:id/servers/:name/oauth',
      tag: 'upstream-oauth',
      summary: "Disconnect: revoke at the provider and delete the tokens (the project's: Owners; for=me: your own)",
      auth: 'user',
      handler: async ({ params, principal, services, audit }) => {
        const vault = vaultOf(services)
        const { project, actor } = await requireProject(services.store, principal, params.id, 'project.view')
        const server = await serverFor(services, project.id, params.name)
        let owner: CredentialOwner = null
        if (server.auth.credentials === 'user') owner = callerUserId(principal)
        else if (!actor.isAdmin && actor.role !== 'owner') {
          throw new GatewayError('MCPO_ERR_FORBIDDEN', "only the project's Owners disconnect its credentials")
        }
        if (!(await vault.disconnect(server, owner))) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'not connected')
        audit({
          action: 'server.oauth.disconnected',
          projectId: project.id,
          target: { type: 'server', id: server.name },
          before: { credentials: server.auth.credentials },
        })
        // Connections holding the old token end; the next request needs a new connection (and a token).
        await services.relay.runtime(project.id, server.name)?.restart()
        return undefined
      },
    }),
  ]
}
