// What an upstream connection to an OAuth-protected server sends as its Authorization (issue 22): the project's token,
// or for a per-user server the token of the session's user (a project key acts as the user who made it). Without a
// usable token the connection is not made and the caller is told where to connect. While the connection lives, its
// token is kept fresh: the vault refreshes it ahead of expiry, and the connection's next request carries the new one.
import type { ApiKeysRepo } from '../../plugins/storage/port.ts'
import { UpstreamError } from '../mcp/connection.ts'
import { RpcCodes } from '../mcp/json-rpc.ts'
import type { Session } from '../mcp/session.ts'
import type { ServerSpec, UpstreamBearer, UpstreamCredentials } from '../mcp/supervisor.ts'
import type { CredentialOwner, OAuthServer, UpstreamOAuth } from './vault.ts'

/** How often a live connection asks the vault for its token (the vault refreshes only near expiry). */
const RECHECK_MS = 30_000

export class OAuthCredentials implements UpstreamCredentials {
  constructor(
    private readonly vault: UpstreamOAuth,
    private readonly keys: Pick<ApiKeysRepo, 'get'>,
  ) {}

  async bearer(spec: ServerSpec, session: Session | null): Promise<UpstreamBearer> {
    const server = oauthServer(spec)
    if (!server) throw new Error(`server "${spec.name}" does not use OAuth`)
    const owner = server.auth.credentials === 'user' ? await this.userOf(session) : null
    const token = await this.vault.token(server, owner)
    if (token === null) throw this.needsConnect(server, owner)
    let value = `Bearer ${token}`
    const timer = setInterval(() => {
      // A token that is gone (disconnected, the member left) stops being sent: the server's 401 ends the calls.
      this.vault.token(server, owner).then(
        (t) => {
          value = t === null ? '' : `Bearer ${t}`
        },
        () => {},
      )
    }, RECHECK_MS)
    timer.unref()
    return {
      header: () => value,
      rejected: () => {
        void this.vault.rejected(server, owner).catch(() => {})
      },
      insufficientScope: (scope) => {
        void this.vault.insufficientScope(server, owner, scope).catch(() => {})
      },
      stop: () => clearInterval(timer),
    }
  }

  private needsConnect(server: OAuthServer, owner: CredentialOwner): UpstreamError {
    const url = this.vault.connectUrl(server, owner)
    const who = owner === null ? 'a project Owner must connect it' : 'connect your account'
    return new UpstreamError(
      RpcCodes.UPSTREAM_UNAVAILABLE,
      `server "${server.name}" needs authorization: ${who} at ${url}, then try again`,
      { server: server.name, connectUrl: url },
    )
  }

  private async userOf(session: Session | null): Promise<string> {
    const principal = session?.upstream ?? session
    if (principal?.principalKind === 'user') return principal.principalId
    if (principal?.principalKind === 'api-key') {
      const key = await this.keys.get(principal.principalId)
      if (key?.createdBy) return key.createdBy
    }
    throw new UpstreamError(
      RpcCodes.FORBIDDEN,
      'this server acts as each member with their own account; a key made by the config file has no member to act as',
    )
  }
}

/** The vault's view of a server spec, when the server uses OAuth. */
export function oauthServer(spec: ServerSpec): OAuthServer | null {
  const auth = spec.auth
  if (auth?.type !== 'oauth' || !spec.url) return null
  return { projectId: spec.projectId, name: spec.name, url: spec.url, auth }
}
