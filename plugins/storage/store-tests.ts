// The storage contract suite: every adapter must pass it unchanged. It opens one store per run
// (opening PGlite is slow) and isolates tests by giving every row a fresh random name.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { loadMigrations } from './migrate.ts'
import type { Store } from './port.ts'
import { clusterTests } from './store-tests-cluster.ts'
import { type GetStore, rejectsWith, uid } from './store-tests-helpers.ts'
import { logTests } from './store-tests-logs.ts'
import { oauthTests } from './store-tests-oauth.ts'
import { peopleTests } from './store-tests-people.ts'
import { runtimeTests } from './store-tests-runtime.ts'
import { sessionTests } from './store-tests-sessions.ts'
import { setupTests } from './store-tests-setup.ts'
import { upstreamOAuthTests } from './store-tests-upstream-oauth.ts'

export type MakeStore = () => Promise<{ store: Store; cleanup(): Promise<void> }>
/** Runs the contract against the store that `makeStore` opens on a fresh, unmigrated database. */
export function storeTests(name: string, makeStore: MakeStore): void {
  describe(`storage contract: ${name}`, () => {
    let store: Store | undefined
    let cleanup: (() => Promise<void>) | undefined
    let firstRun: { applied: string[] }[] = []
    let migratedBefore = true
    const get: GetStore = () => {
      assert.ok(store, 'the store did not open')
      return store
    }

    before(async () => {
      const opened = await makeStore()
      store = opened.store
      cleanup = opened.cleanup
      migratedBefore = await store.isMigrated()
      // Two concurrent migrate() calls on a fresh database: the lock must make them apply each file once.
      firstRun = await Promise.all([store.migrate(), store.migrate()])
    })
    after(async () => {
      await cleanup?.()
    })

    describe('migrations', () => {
      it('applies every file exactly once, even when migrate() runs twice at the same time', async () => {
        const files = (await loadMigrations()).map((m) => m.name)
        assert.equal(migratedBefore, false)
        assert.deepEqual(firstRun.flatMap((r) => r.applied).sort(), files)
        assert.equal(await get().isMigrated(), true)
      })
      it('is idempotent: a later migrate() applies nothing', async () => {
        assert.deepEqual(await get().migrate(), { applied: [] })
      })
      it('ping answers', async () => {
        await get().ping()
        assert.ok(get().kind === 'embedded' || get().kind === 'postgres')
      })
    })

    peopleTests(get)
    sessionTests(get)
    runtimeTests(get)
    logTests(get)
    clusterTests(get)
    setupTests(get)
    oauthTests(get)
    upstreamOAuthTests(get)

    describe('cascades', () => {
      it('deleting a project deletes its servers, keys, members, policies, invitations and favorites', async () => {
        const s = get()
        const user = await s.users.create({ email: `c-${uid()}@x.test` })
        const p = await s.projects.create({ id: `casc-${uid()}`, name: 'Cascade' })
        await s.servers.create({ projectId: p.id, name: 'one', transport: 'sse', url: 'http://127.0.0.1:9/sse' })
        const key = await s.apiKeys.create({ projectId: p.id, name: 'k', keyHash: uid(), prefix: 'mcp_proj_x' })
        await s.projectMembers.add({ projectId: p.id, userId: user.id, role: 'owner' })
        const policy = await s.toolPolicies.create({ projectId: p.id, effect: 'deny' })
        const inv = await s.invitations.create({
          kind: 'individual',
          projectId: p.id,
          role: 'reporter',
          email: 'i@x.test',
          expiresAt: new Date(Date.now() + 60_000),
        })
        await s.favorites.add(user.id, p.id)

        assert.equal(await s.projects.delete(p.id), true)
        assert.equal(await s.projects.get(p.id), null)
        assert.deepEqual(await s.servers.list(p.id), [])
        assert.equal(await s.apiKeys.get(key.id), null)
        assert.equal(await s.projectMembers.get(p.id, user.id), null)
        assert.equal(await s.toolPolicies.get(policy.id), null)
        assert.equal(await s.invitations.get(inv.id), null)
        assert.deepEqual(await s.favorites.list(user.id), [])
        assert.equal(await s.projects.delete(p.id), false)
      })

      it('deleting a user deletes their keys and memberships and keeps what they created', async () => {
        const s = get()
        const user = await s.users.create({ email: `d-${uid()}@x.test` })
        const team = await s.teams.create({ slug: `t-${uid()}`, name: 'T' })
        const p = await s.projects.create({ id: `own-${uid()}`, name: 'Owned', createdBy: user.id, teamId: team.id })
        await s.teamMembers.add({ teamId: team.id, userId: user.id, role: 'owner' })
        await s.projectMembers.add({ projectId: p.id, userId: user.id, role: 'owner' })
        const key = await s.apiKeys.create({
          projectId: p.id,
          name: 'mine',
          keyHash: uid(),
          prefix: 'mcp_proj_y',
          createdBy: user.id,
        })

        assert.equal(await s.users.delete(user.id), true)
        assert.equal(await s.apiKeys.get(key.id), null, 'a key dies with its creator')
        assert.deepEqual(await s.teamMembers.list(team.id), [])
        assert.deepEqual(await s.projectMembers.list(p.id), [])
        assert.equal((await s.projects.get(p.id))?.createdBy, null)
      })

      it('deleting a team keeps its projects, unowned', async () => {
        const s = get()
        const team = await s.teams.create({ slug: `t-${uid()}`, name: 'Gone' })
        const p = await s.projects.create({ id: `orph-${uid()}`, name: 'Orphan', teamId: team.id })
        assert.equal(await s.teams.delete(team.id), true)
        assert.equal((await s.projects.get(p.id))?.teamId, null)
      })
    })

    describe('transactions', () => {
      it('commits when the callback resolves and returns its value', async () => {
        const s = get()
        const id = `tx-${uid()}`
        const result = await s.transaction(async (tx) => {
          await tx.projects.create({ id, name: 'In tx' })
          await tx.servers.create({ projectId: id, name: 'a', transport: 'sse', url: 'http://127.0.0.1:9/a' })
          return 42
        })
        assert.equal(result, 42)
        assert.equal((await s.projects.get(id))?.name, 'In tx')
        assert.equal((await s.servers.list(id)).length, 1)
      })

      it('rolls back everything when the callback throws', async () => {
        const s = get()
        const id = `rb-${uid()}`
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.projects.create({ id, name: 'Doomed' })
            await tx.servers.create({ projectId: id, name: 'a', transport: 'sse', url: 'http://127.0.0.1:9/a' })
            assert.ok(await tx.projects.get(id), 'visible inside the transaction')
            throw new Error('boom')
          }),
          /boom/,
        )
        assert.equal(await s.projects.get(id), null)
        assert.deepEqual(await s.servers.list(id), [])
      })

      it('rolls back earlier writes when a later statement violates a constraint', async () => {
        const s = get()
        const id = `rc-${uid()}`
        await rejectsWith(
          s.transaction(async (tx) => {
            await tx.projects.create({ id, name: 'First' })
            await tx.projects.create({ id, name: 'Duplicate' })
          }),
          'MCPO_ERR_CONFLICT',
          'id',
        )
        assert.equal(await s.projects.get(id), null)
      })

      it('a nested transaction is a savepoint: its failure undoes only its own writes', async () => {
        const s = get()
        const id = `sp-${uid()}`
        await s.transaction(async (tx) => {
          await tx.projects.create({ id, name: 'Outer' })
          await assert.rejects(
            tx.transaction(async (inner) => {
              await inner.servers.create({ projectId: id, name: 'inner', transport: 'sse', url: 'http://127.0.0.1:9/' })
              throw new Error('inner fails')
            }),
            /inner fails/,
          )
          await tx.transaction((inner) =>
            inner.servers.create({ projectId: id, name: 'kept', transport: 'sse', url: 'http://127.0.0.1:9/' }),
          )
        })
        assert.deepEqual(
          (await s.servers.list(id)).map((x) => x.name),
          ['kept'],
        )
      })
    })

    describe('concurrency', () => {
      it('20 parallel transactions each add a row and increment a counter under a lock: nothing is lost', async () => {
        const s = get()
        const id = `cc-${uid()}`
        await s.projects.create({ id, name: 'Counter', settings: { counter: 0 } })
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.transaction(async (tx) => {
              assert.equal(await tx.projects.lock(id), true)
              const p = await tx.projects.get(id)
              const counter = Number(p?.settings.counter ?? 0)
              await tx.servers.create({
                projectId: id,
                name: `s${i}`,
                transport: 'sse',
                url: `http://127.0.0.1:9/${i}`,
              })
              await tx.projects.update(id, { settings: { counter: counter + 1 } })
            }),
          ),
        )
        assert.equal((await s.projects.get(id))?.settings.counter, 20)
        assert.equal((await s.servers.list(id)).length, 20)
      })

      it('parallel upserts of the same server leave one row', async () => {
        const s = get()
        const id = `cu-${uid()}`
        await s.projects.create({ id, name: 'Upserts' })
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.servers.upsert({ projectId: id, name: 'same', transport: 'stdio', command: 'node', args: [String(i)] }),
          ),
        )
        const rows = await s.servers.list(id)
        assert.equal(rows.length, 1)
        assert.equal(new Set(results.map((r) => r.id)).size, 1)
      })

      it('plain writes issued while transactions run are neither lost nor rolled back with them', async () => {
        const s = get()
        const id = `cw-${uid()}`
        await s.projects.create({ id, name: 'Mixed' })
        const txs = Array.from({ length: 10 }, (_, i) =>
          s
            .transaction(async (tx) => {
              await tx.toolCalls.append([{ projectId: id, serverName: 'tx', toolName: `t${i}`, status: 'ok' }])
              if (i % 2 === 1) throw new Error('odd rolls back')
            })
            .catch((err: Error) => err.message),
        )
        const plain = Array.from({ length: 10 }, (_, i) =>
          s.toolCalls.append([{ projectId: id, serverName: 'plain', toolName: `p${i}`, status: 'ok' }]),
        )
        await Promise.all([...txs, ...plain])
        const rows = await s.toolCalls.list({ projectId: id, limit: 100 })
        assert.equal(rows.filter((r) => r.serverName === 'plain').length, 10)
        assert.deepEqual(
          rows
            .filter((r) => r.serverName === 'tx')
            .map((r) => r.toolName)
            .sort(),
          ['t0', 't2', 't4', 't6', 't8'],
        )
      })
    })
  })
}
