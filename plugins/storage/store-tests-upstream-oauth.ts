// Contract tests for what mcpo stores as the OAuth client of upstream servers: a server's auth settings, the tokens
// held per project or user (one row each, the refresh lock, cleanup with the server, project, member or user), its
// clients at authorization servers and one-use authorization requests.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ServerAuth, UpstreamCredential } from './port.ts'
import { type GetStore, rejectsWith, uid } from './store-tests-helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function upstreamOAuthTests(get: GetStore): void {
  /** A project with one remote server; answers their names. */
  const server = async (name = 'linear') => {
    const s = get()
    const pid = (await s.projects.create({ id: `uo-${uid()}`, name: 'Upstream OAuth' })).id
    await s.servers.create({ projectId: pid, name, transport: 'streamable-http', url: 'https://mcp.example/mcp' })
    return { pid, name }
  }
  const token = (over: Partial<Omit<UpstreamCredential, 'status' | 'updatedAt'>> & { projectId: string }) => ({
    serverName: 'linear',
    userId: null,
    issuer: 'https://auth.example',
    accessToken: `sealed-access-${uid()}`,
    refreshToken: `sealed-refresh-${uid()}`,
    expiresAt: new Date(Date.now() + 3_600_000),
    scope: 'read write',
    ...over,
  })

  describe('upstream oauth', () => {
    it("round-trips a server's auth settings on create, update and upsert; null clears them", async () => {
      const s = get()
      const pid = (await s.projects.create({ id: `ua-${uid()}`, name: 'Auth' })).id
      const plain = await s.servers.create({ projectId: pid, name: 'plain', transport: 'sse', url: 'http://x/sse' })
      assert.equal(plain.auth, null, 'none by default')
      const auth: ServerAuth = {
        type: 'oauth',
        credentials: 'user',
        clientId: 'mcpo-client',
        clientSecret: 'v1:sealed',
        scopes: ['read', 'write'],
      }
      const created = await s.servers.create({
        projectId: pid,
        name: 'oauth',
        transport: 'streamable-http',
        url: 'http://x/mcp',
        auth,
      })
      assert.deepEqual(created.auth, auth)
      assert.deepEqual((await s.servers.get(pid, 'oauth'))?.auth, auth)
      const project = { ...auth, credentials: 'project' as const, clientId: null, clientSecret: null, scopes: [] }
      assert.deepEqual((await s.servers.update(pid, 'oauth', { auth: project }))?.auth, project)
      assert.deepEqual((await s.servers.update(pid, 'oauth', { description: 'd' }))?.auth, project, 'kept')
      assert.equal((await s.servers.update(pid, 'oauth', { auth: null }))?.auth, null)

      assert.deepEqual(
        (await s.servers.upsert({ projectId: pid, name: 'cfg', transport: 'streamable-http', url: 'http://x', auth }))
          .auth,
        auth,
      )
      const again = await s.servers.upsert({
        projectId: pid,
        name: 'cfg',
        transport: 'streamable-http',
        url: 'http://x',
      })
      assert.equal(again.auth, null, 'the config file is the whole definition')
      await rejectsWith(
        s.servers.update(pid, 'plain', { auth: { type: 'basic' } as never }),
        'MCPO_ERR_VALIDATION',
        'auth',
      )
    })

    it('saves, reads, replaces and deletes a credential; the project and each user have a row of their own', async () => {
      const s = get()
      const { pid, name } = await server()
      const [alice, bob] = [uid(), uid()]
      assert.equal(await s.upstreamOAuth.credential(pid, name, null), null)

      const own = token({ projectId: pid })
      await s.upstreamOAuth.saveCredential(own)
      await s.upstreamOAuth.saveCredential(token({ projectId: pid, userId: alice, accessToken: 'sealed-alice' }))
      await s.upstreamOAuth.saveCredential(token({ projectId: pid, userId: bob, accessToken: 'sealed-bob' }))
      const got = await s.upstreamOAuth.credential(pid, name, null)
      assert.ok(got)
      const { updatedAt, status, ...rest } = got
      assert.deepEqual(rest, own, 'every field round-trips, and nothing else (no lock) is answered')
      assert.equal(status, 'ok')
      assert.ok(updatedAt instanceof Date)
      assert.equal((await s.upstreamOAuth.credential(pid, name, alice))?.accessToken, 'sealed-alice')
      assert.equal((await s.upstreamOAuth.credential(pid, name, bob))?.accessToken, 'sealed-bob')
      assert.equal(await s.upstreamOAuth.credential(pid, name, uid()), null)

      // A refresh replaces the row (no duplicate for the NULL user) and clears a needs-reauth mark.
      await s.upstreamOAuth.markNeedsReauth(pid, name, null)
      assert.equal((await s.upstreamOAuth.credential(pid, name, null))?.status, 'needs-reauth')
      assert.equal((await s.upstreamOAuth.credential(pid, name, alice))?.status, 'ok', 'only that row')
      await s.upstreamOAuth.saveCredential({ ...own, accessToken: 'sealed-2', refreshToken: null, expiresAt: null })
      const replaced = await s.upstreamOAuth.credential(pid, name, null)
      assert.equal(replaced?.status, 'ok')
      assert.equal(replaced?.accessToken, 'sealed-2')
      assert.equal(replaced?.refreshToken, null)
      assert.equal(replaced?.expiresAt, null)
      assert.equal((await s.upstreamOAuth.credentialsOf(pid, name)).length, 3)

      assert.equal(await s.upstreamOAuth.deleteCredential(pid, name, null), true)
      assert.equal(await s.upstreamOAuth.deleteCredential(pid, name, null), false)
      assert.equal(await s.upstreamOAuth.credential(pid, name, null), null)
      assert.equal((await s.upstreamOAuth.credential(pid, name, alice))?.accessToken, 'sealed-alice', 'users kept')
    })

    it('lists the credentials of one server, newest first', async () => {
      const s = get()
      const { pid, name } = await server()
      const other = await server('github')
      const users = [uid(), uid(), uid()]
      for (const userId of users) {
        await s.upstreamOAuth.saveCredential(token({ projectId: pid, userId }))
        await sleep(5)
      }
      await s.upstreamOAuth.saveCredential(token({ projectId: other.pid, serverName: 'github', userId: users[0] }))
      assert.deepEqual(
        (await s.upstreamOAuth.credentialsOf(pid, name)).map((c) => c.userId),
        [...users].reverse(),
      )
      assert.deepEqual(await s.upstreamOAuth.credentialsOf(pid, 'github'), [])
    })

    it("deletes a user's credentials in one project or everywhere, and answers them for revocation", async () => {
      const s = get()
      const a = await server()
      const b = await server()
      const [user, other] = [uid(), uid()]
      await s.upstreamOAuth.saveCredential(token({ projectId: a.pid, userId: user, accessToken: 'in-a' }))
      await s.upstreamOAuth.saveCredential(token({ projectId: b.pid, userId: user, accessToken: 'in-b' }))
      await s.upstreamOAuth.saveCredential(token({ projectId: a.pid, userId: other }))
      await s.upstreamOAuth.saveCredential(token({ projectId: a.pid }))

      const inA = await s.upstreamOAuth.deleteCredentialsOfUser(a.pid, user)
      assert.deepEqual(
        inA.map((c) => [c.projectId, c.userId, c.accessToken, c.refreshToken?.startsWith('sealed-refresh')]),
        [[a.pid, user, 'in-a', true]],
      )
      assert.equal(await s.upstreamOAuth.credential(a.pid, 'linear', user), null)
      assert.ok(await s.upstreamOAuth.credential(b.pid, 'linear', user), 'another project is untouched')
      assert.ok(await s.upstreamOAuth.credential(a.pid, 'linear', other), 'another user is untouched')
      assert.ok(await s.upstreamOAuth.credential(a.pid, 'linear', null), "the project's own is untouched")

      await s.upstreamOAuth.saveCredential(token({ projectId: a.pid, userId: user, accessToken: 'in-a-again' }))
      const everywhere = await s.upstreamOAuth.deleteCredentialsOfUser(null, user)
      assert.deepEqual(everywhere.map((c) => c.accessToken).sort(), ['in-a-again', 'in-b'])
      assert.deepEqual(await s.upstreamOAuth.deleteCredentialsOfUser(null, user), [])
      assert.ok(await s.upstreamOAuth.credential(a.pid, 'linear', other))
    })

    it('lets one holder refresh at a time: contention, re-entry, release, and expiry freeing the lock', async () => {
      const s = get()
      const { pid, name } = await server()
      const user = uid()
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, 'node-a', 30), false, 'no credential, no lock')
      await s.upstreamOAuth.saveCredential(token({ projectId: pid }))
      await s.upstreamOAuth.saveCredential(token({ projectId: pid, userId: user }))

      const raced = await Promise.all(
        ['node-a', 'node-b', 'node-c', 'node-d'].map((h) => s.upstreamOAuth.lockRefresh(pid, name, null, h, 30)),
      )
      assert.equal(raced.filter(Boolean).length, 1, `exactly one wins: ${raced}`)
      const winner = ['node-a', 'node-b', 'node-c', 'node-d'][raced.indexOf(true)]
      const loser = winner === 'node-a' ? 'node-b' : 'node-a'
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, loser, 30), false)
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, winner, 30), true, 'the holder may renew')
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, user, loser, 30), true, "a user's row locks apart")

      await s.upstreamOAuth.unlockRefresh(pid, name, null, loser)
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, loser, 30), false, 'only the holder unlocks')
      await s.upstreamOAuth.unlockRefresh(pid, name, null, winner)
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, loser, 0.05), true, 'free after unlock')

      await sleep(120)
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, winner, 30), true, 'an expired lock is free')
      // Saving the refreshed tokens ends the refresh: the lock goes with it.
      await s.upstreamOAuth.saveCredential(token({ projectId: pid }))
      assert.equal(await s.upstreamOAuth.lockRefresh(pid, name, null, loser, 30), true)
    })

    it("goes with its server (deleted, or its project deleted) and follows a rename; a user's deletion takes theirs", async () => {
      const s = get()
      const { pid, name } = await server()
      const user = await s.users.create({ email: `uo-${uid()}@x.test` })
      await s.upstreamOAuth.saveCredential(token({ projectId: pid }))
      await s.upstreamOAuth.saveCredential(token({ projectId: pid, userId: user.id }))
      const userState = `p-${uid()}`
      await s.upstreamOAuth.savePending(pending(pid, name, user.id, userState), 60)

      await s.servers.update(pid, name, { name: 'renamed' })
      assert.equal((await s.upstreamOAuth.credentialsOf(pid, 'renamed')).length, 2)
      assert.deepEqual(await s.upstreamOAuth.credentialsOf(pid, name), [])
      assert.equal(await s.users.delete(user.id), true)
      assert.deepEqual(
        (await s.upstreamOAuth.credentialsOf(pid, 'renamed')).map((c) => c.userId),
        [null],
      )
      assert.equal(await s.upstreamOAuth.takePending(userState), null, "the user's request went too")

      await s.upstreamOAuth.savePending(pending(pid, 'renamed', null, `p-${uid()}`), 60)
      assert.equal(await s.servers.delete(pid, 'renamed'), true)
      assert.deepEqual(await s.upstreamOAuth.credentialsOf(pid, 'renamed'), [])

      const again = await server()
      const state = `p-${uid()}`
      await s.upstreamOAuth.saveCredential(token({ projectId: again.pid, userId: uid() }))
      await s.upstreamOAuth.savePending(pending(again.pid, again.name, null, state), 60)
      assert.equal(await s.projects.delete(again.pid), true)
      assert.deepEqual(await s.upstreamOAuth.credentialsOf(again.pid, again.name), [])
      assert.equal(await s.upstreamOAuth.takePending(state), null)

      await rejectsWith(s.upstreamOAuth.saveCredential(token({ projectId: again.pid })), 'MCPO_ERR_NOT_FOUND', 'server')
    })

    it('keeps one client per issuer and redirect URI, replaced when registered again', async () => {
      const s = get()
      const issuer = `https://as-${uid()}.example`
      const redirectUri = 'https://mcpo.example/oauth/upstream/callback'
      assert.equal(await s.upstreamOAuth.client(issuer, redirectUri), null)
      const dynamic = { issuer, redirectUri, clientId: 'dyn-1', clientSecret: 'v1:sealed', method: 'dynamic' as const }
      await s.upstreamOAuth.saveClient(dynamic)
      assert.deepEqual(await s.upstreamOAuth.client(issuer, redirectUri), dynamic)
      assert.equal(await s.upstreamOAuth.client(issuer, 'https://other.example/cb'), null)
      const cimd = {
        issuer,
        redirectUri,
        clientId: 'https://mcpo.example/oauth/client-metadata.json',
        clientSecret: null,
        method: 'metadata-document' as const,
      }
      await s.upstreamOAuth.saveClient(cimd)
      assert.deepEqual(await s.upstreamOAuth.client(issuer, redirectUri), cimd)
      await rejectsWith(s.upstreamOAuth.saveClient({ ...cimd, method: 'guessed' as never }), 'MCPO_ERR_VALIDATION')
    })

    it('answers a pending authorization once, and never after it expired', async () => {
      const s = get()
      const { pid, name } = await server()
      const state = `st-${uid()}`
      const p = { ...pending(pid, name, 'u1', state), returnTo: '/projects/x', scopes: 'read write' }
      await s.upstreamOAuth.savePending(p, 60)
      const [a, b] = await Promise.all([s.upstreamOAuth.takePending(state), s.upstreamOAuth.takePending(state)])
      assert.deepEqual([a, b].filter(Boolean), [p], 'one of two racing callbacks gets it')
      assert.equal(await s.upstreamOAuth.takePending(state), null)
      assert.equal(await s.upstreamOAuth.takePending(`st-${uid()}`), null)

      const expired = `st-${uid()}`
      await s.upstreamOAuth.savePending(pending(pid, name, null, expired), 0.05)
      await sleep(120)
      assert.equal(await s.upstreamOAuth.takePending(expired), null)
      await rejectsWith(s.upstreamOAuth.savePending(pending(pid, 'nope', null, uid()), 60), 'MCPO_ERR_NOT_FOUND')
    })
  })
}

function pending(projectId: string, serverName: string, userId: string | null, state: string) {
  return {
    state,
    projectId,
    serverName,
    userId,
    issuer: 'https://auth.example',
    codeVerifier: 'v1:sealed-verifier',
    redirectUri: 'https://mcpo.example/oauth/upstream/callback',
    returnTo: null,
    scopes: null,
  }
}
