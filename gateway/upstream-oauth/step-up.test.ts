// Step-up (issue 22 point 6): a server's `403 insufficient_scope` marks the credential for re-authorization and the next
// consent asks for what was granted plus the scopes the server named. The provider here publishes metadata and takes
// registrations, which is all a consent's start needs; the transport's reading of the 403 is checked with it.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { parseKeyring } from '../../plugins/secrets/keyring.ts'
import type {
  PendingAuthorization,
  UpstreamCredential,
  UpstreamOAuthClient,
  UpstreamOAuthRepo,
} from '../../plugins/storage/port.ts'
import { silentLogger } from '../logger.ts'
import { stepUp } from '../upstream/http-common.ts'
import { UpstreamOAuth } from './vault.ts'

/** The repository methods a consent's start and a step-up use, in memory. */
class MemoryRepo implements Partial<UpstreamOAuthRepo> {
  cred: UpstreamCredential | null = null
  clients: UpstreamOAuthClient[] = []
  pending: PendingAuthorization[] = []
  async credential() {
    return this.cred
  }
  async markNeedsReauth() {
    if (this.cred) this.cred = { ...this.cred, status: 'needs-reauth' }
  }
  async client(issuer: string) {
    return this.clients.find((c) => c.issuer === issuer) ?? null
  }
  async saveClient(c: UpstreamOAuthClient) {
    this.clients.push(c)
  }
  async savePending(p: PendingAuthorization) {
    this.pending.push(p)
  }
}

let provider: Server
let origin = ''

before(async () => {
  provider = createServer((req, res) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    if (req.url === '/mcp') return json(401, {}, { 'www-authenticate': 'Bearer scope="files:read"' })
    if (req.url === '/.well-known/oauth-protected-resource/mcp') {
      return json(200, { resource: `${origin}/mcp`, authorization_servers: [origin], scopes_supported: ['files:read'] })
    }
    if (req.url === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        registration_endpoint: `${origin}/register`,
        code_challenge_methods_supported: ['S256'],
      })
    }
    if (req.url === '/register') return json(201, { client_id: 'registered-mcpo' })
    json(404, {})
  })
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r))
  origin = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`
})

after(async () => {
  provider.closeAllConnections()
  await new Promise((r) => provider.close(r))
})

describe('step-up', () => {
  it("a 403 insufficient_scope hands the server's scopes to the credential's owner", () => {
    const seen: (string | null)[] = []
    const bearer = {
      header: () => 'Bearer t',
      rejected: () => {},
      insufficientScope: (s: string | null) => seen.push(s),
    }
    stepUp(bearer, 'Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="x"')
    stepUp(bearer, 'Bearer error="invalid_token"')
    stepUp(bearer, undefined)
    assert.deepEqual(seen, ['files:read files:write'])
  })

  it('marks the credential, and the next consent asks for what was granted plus what the server named', async () => {
    const repo = new MemoryRepo()
    const vault = new UpstreamOAuth({
      repo: repo as unknown as UpstreamOAuthRepo,
      keyring: parseKeyring(`k1:${Buffer.alloc(32, 7).toString('base64url')}`),
      logger: silentLogger(),
      publicBase: () => 'http://127.0.0.1:1',
      blockedNetworks: [],
      nodeId: 'n1',
    })
    const server = {
      projectId: 'p',
      name: 'files',
      url: `${origin}/mcp`,
      auth: { type: 'oauth' as const, credentials: 'project' as const, clientId: null, clientSecret: null, scopes: [] },
    }
    try {
      const plain = new URL((await vault.start(server, null, null)).url)
      assert.equal(plain.searchParams.get('scope'), 'files:read', "the server's advertised scope")
      repo.cred = {
        projectId: 'p',
        serverName: 'files',
        userId: null,
        issuer: origin,
        accessToken: 'sealed',
        refreshToken: null,
        expiresAt: null,
        scope: 'files:read',
        status: 'ok',
        updatedAt: new Date(),
      }
      await vault.insufficientScope(server, null, 'files:write')
      assert.equal(repo.cred.status, 'needs-reauth')
      const wider = new URL((await vault.start(server, null, null)).url)
      assert.equal(wider.searchParams.get('scope'), 'files:read files:write')
      assert.equal(wider.searchParams.get('client_id'), 'registered-mcpo')
      assert.equal(wider.searchParams.get('resource'), `${origin}/mcp`)
    } finally {
      await vault.close()
    }
  })
})
