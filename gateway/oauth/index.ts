// Builds the authorization server and the resource-server checks from the config and the gateway's parts.
import type { ResolvedConfig } from '../../config/define-config.ts'
import type { Logger } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import { deriveKey, type Keyring } from '../../plugins/secrets/keyring.ts'
import type { Store } from '../../plugins/storage/port.ts'
import { userProjectRole } from '../api/access.ts'
import type { Relay } from '../mcp/relay.ts'
import { ResourceServer } from './resource-server.ts'
import { authModeOf, projectOfResource } from './resources.ts'
import { AuthorizationServer } from './server.ts'

export interface OAuthParts {
  as: AuthorizationServer
  rs: ResourceServer
}

export function createOAuth(
  config: ResolvedConfig,
  parts: { store: Store; keyring: Keyring; logger: Logger; plugins: PluginHost; relay: Relay; issuer(): string },
): OAuthParts | null {
  const o = config.oauth
  if (!o.enabled) return null
  const { store, relay, plugins } = parts
  async function roleOf(userId: string, projectId: string): Promise<string | null> {
    const [project, user] = await Promise.all([store.projects.get(projectId), store.users.get(userId)])
    if (!project || project.archivedAt || !user || user.disabled) return null
    return userProjectRole(store, project, userId)
  }
  const as = new AuthorizationServer({
    store,
    keyring: parts.keyring,
    logger: parts.logger.child({ component: 'oauth' }),
    cookieKey: Buffer.from(deriveKey(parts.keyring, 'oauth cookies')).toString('base64url'),
    issuer: parts.issuer,
    settings: {
      accessTokenTtlS: o.accessTokenTtlSeconds,
      refreshTokenTtlS: o.refreshTokenTtlSeconds,
      rotateKeysAfterS: o.rotateKeysAfterSeconds,
      dynamicRegistration: o.dynamicRegistration,
      clientMetadataDocuments: o.clientMetadataDocuments,
      clientMetadataPrivateHosts: o.clientMetadataPrivateHosts,
      clientMetadataCa: o.clientMetadataCa,
      clients: o.clients,
    },
    async resourceAvailable(projectId, serverName) {
      const project = await store.projects.get(projectId)
      if (!project || project.archivedAt || authModeOf(project.settings) === 'keys') return false
      return serverName === null || relay.runtime(projectId, serverName)?.spec.enabled === true
    },
    roleOf,
    async describeUser(userId) {
      const user = await store.users.get(userId)
      return user ? { email: user.email, name: user.name ?? null } : null
    },
    async projectName(projectId) {
      return (await store.projects.get(projectId))?.name ?? null
    },
    audit(action, detail, actorUserId) {
      const resource = typeof detail.resource === 'string' ? detail.resource : null
      plugins.audit({
        action,
        at: Date.now(),
        projectId: resource ? projectOfResource(resource) : null,
        actor: actorUserId ? { type: 'user', id: actorUserId } : { type: 'system', id: 'oauth' },
        after: detail,
      })
    },
  })
  const rs = new ResourceServer({
    store,
    issuer: parts.issuer,
    keys: () => as.keys(),
    reloadKeys: () => as.reloadKeys(),
    roleOf,
    endpointExists: (projectId, serverName) =>
      relay.hasProject(projectId) &&
      (serverName === null || relay.runtime(projectId, serverName)?.spec.enabled === true),
  })
  return { as, rs }
}
