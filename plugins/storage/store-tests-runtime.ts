// Contract tests for what projects run: servers, API keys, tool policies and templates.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { NewApiKey } from './rows.ts'
import { type GetStore, rejectsWith, uid } from './store-tests-helpers.ts'

export function runtimeTests(get: GetStore): void {
  const project = async (prefix: string) => (await get().projects.create({ id: `${prefix}-${uid()}`, name: prefix })).id

  describe('servers', () => {
    it('creates with defaults, reads, lists, updates (including a rename), deletes', async () => {
      const s = get()
      const pid = await project('srv')
      const a = await s.servers.create({
        projectId: pid,
        name: 'github',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@x/github'],
        env: { TOKEN: 'enc:v1:abc' },
      })
      assert.equal(a.timeoutMs, 60_000)
      assert.equal(a.enabled, true)
      assert.equal(a.autoStart, false)
      assert.equal(a.isolation, null)
      assert.deepEqual(a.args, ['-y', '@x/github'])
      assert.deepEqual(a.env, { TOKEN: 'enc:v1:abc' })
      assert.deepEqual(a.headers, {})
      assert.deepEqual(a.toolToggles, {})
      assert.equal(a.source, 'ui')
      const b = await s.servers.create({
        projectId: pid,
        name: 'search',
        transport: 'streamable-http',
        url: 'https://x/mcp',
      })
      assert.deepEqual(await s.servers.get(pid, 'github'), a)
      assert.deepEqual(await s.servers.getById(a.id), a)
      assert.deepEqual(
        (await s.servers.list(pid)).map((x) => x.name),
        ['github', 'search'],
      )
      assert.ok((await s.servers.listAll()).some((x) => x.id === b.id))

      const patched = await s.servers.update(pid, 'github', {
        name: 'gh',
        enabled: false,
        toolToggles: { delete_repo: false },
        isolation: 'per-session',
        timeoutMs: 5000,
      })
      assert.equal(patched?.id, a.id)
      assert.equal(patched?.name, 'gh')
      assert.equal(patched?.enabled, false)
      assert.deepEqual(patched?.toolToggles, { delete_repo: false })
      assert.equal(patched?.isolation, 'per-session')
      assert.equal(patched?.timeoutMs, 5000)
      assert.deepEqual(patched?.args, a.args, 'keys not in the patch are kept')
      assert.equal(await s.servers.get(pid, 'github'), null)
      assert.equal(await s.servers.update(pid, 'github', { enabled: true }), null)

      assert.equal(await s.servers.delete(pid, 'gh'), true)
      assert.equal(await s.servers.delete(pid, 'gh'), false)
      assert.deepEqual(
        (await s.servers.list(pid)).map((x) => x.name),
        ['search'],
      )
    })

    it('rejects a duplicate name in one project but allows it in another', async () => {
      const s = get()
      const [p1, p2] = [await project('dup'), await project('dup')]
      await s.servers.create({ projectId: p1, name: 'same', transport: 'sse', url: 'http://127.0.0.1:9/sse' })
      await rejectsWith(
        s.servers.create({ projectId: p1, name: 'same', transport: 'sse', url: 'http://127.0.0.1:9/sse' }),
        'MCPO_ERR_CONFLICT',
        'name',
      )
      await s.servers.create({ projectId: p2, name: 'same', transport: 'sse', url: 'http://127.0.0.1:9/sse' })
      await s.servers.create({ projectId: p1, name: 'other', transport: 'sse', url: 'http://127.0.0.1:9/sse' })
      await rejectsWith(s.servers.update(p1, 'other', { name: 'same' }), 'MCPO_ERR_CONFLICT', 'name')
    })

    it('validates names, transports and the project', async () => {
      const s = get()
      const pid = await project('val')
      await rejectsWith(
        s.servers.create({ projectId: pid, name: 'Bad_Name', transport: 'sse', url: 'http://x' }),
        'MCPO_ERR_VALIDATION',
        'name',
      )
      await rejectsWith(s.servers.create({ projectId: pid, name: 'nocmd', transport: 'stdio' }), 'MCPO_ERR_VALIDATION')
      await rejectsWith(
        s.servers.create({ projectId: `missing-${uid()}`, name: 'x', transport: 'sse', url: 'http://x' }),
        'MCPO_ERR_NOT_FOUND',
        'projectId',
      )
    })

    it('upsert rewrites the definition but keeps enabled and tool toggles', async () => {
      const s = get()
      const pid = await project('ups')
      const first = await s.servers.upsert({ projectId: pid, name: 'cfg', transport: 'stdio', command: 'a' })
      assert.equal(first.source, 'config')
      await s.servers.update(pid, 'cfg', { enabled: false, toolToggles: { t: false } })
      const second = await s.servers.upsert({
        projectId: pid,
        name: 'cfg',
        transport: 'stdio',
        command: 'b',
        args: ['1'],
      })
      assert.equal(second.id, first.id)
      assert.equal(second.command, 'b')
      assert.deepEqual(second.args, ['1'])
      assert.equal(second.enabled, false)
      assert.deepEqual(second.toolToggles, { t: false })
    })

    it('round-trips the protocol era: null by default, set on create, upsert and update, refused when unknown', async () => {
      const s = get()
      const pid = await project('proto')
      const plain = await s.servers.create({
        projectId: pid,
        name: 'plain',
        transport: 'streamable-http',
        url: 'http://x',
      })
      assert.equal(plain.protocol, null, "null: the gateway's default")
      const modern = await s.servers.create({
        projectId: pid,
        name: 'modern',
        transport: 'streamable-http',
        url: 'http://x',
        protocol: 'modern',
      })
      assert.equal(modern.protocol, 'modern')
      assert.equal((await s.servers.get(pid, 'modern'))?.protocol, 'modern')
      assert.equal((await s.servers.update(pid, 'modern', { protocol: 'auto' }))?.protocol, 'auto')
      assert.equal((await s.servers.update(pid, 'modern', { description: 'd' }))?.protocol, 'auto', 'kept')
      assert.equal((await s.servers.update(pid, 'modern', { protocol: null }))?.protocol, null)

      const cfg = await s.servers.upsert({
        projectId: pid,
        name: 'cfg',
        transport: 'stdio',
        command: 'a',
        protocol: 'legacy',
      })
      assert.equal(cfg.protocol, 'legacy')
      const again = await s.servers.upsert({ projectId: pid, name: 'cfg', transport: 'stdio', command: 'a' })
      assert.equal(again.protocol, null, 'the config file is the whole definition: no protocol means the default')

      await rejectsWith(
        s.servers.update(pid, 'plain', { protocol: 'newest' as never }),
        'MCPO_ERR_VALIDATION',
        'protocol',
      )
    })
  })

  describe('api keys', () => {
    const newKey = (projectId: string, extra: Partial<NewApiKey> = {}) =>
      get().apiKeys.create({
        projectId,
        name: 'k',
        keyHash: uid() + uid(),
        prefix: 'mcp_proj_Ab',
        suffix: 'yz',
        ...extra,
      })

    it('creates, finds by hash, lists, updates, revokes once, deletes', async () => {
      const s = get()
      const pid = await project('key')
      const k = await newKey(pid, { description: 'ci', rateLimit: { requests: 10, perSeconds: 1 } })
      assert.equal(k.revokedAt, null)
      assert.equal(k.lastUsedAt, null)
      assert.deepEqual(k.rateLimit, { requests: 10, perSeconds: 1 })
      assert.deepEqual(await s.apiKeys.getByHash(k.keyHash), k)
      assert.deepEqual(await s.apiKeys.get(k.id), k)
      assert.equal(await s.apiKeys.getByHash('nope'), null)
      await rejectsWith(newKey(pid, { keyHash: k.keyHash }), 'MCPO_ERR_CONFLICT', 'keyHash')

      const expiresAt = new Date('2040-01-01T00:00:00.000Z')
      const u = await s.apiKeys.update(k.id, { name: 'renamed', expiresAt, rateLimit: null })
      assert.equal(u?.name, 'renamed')
      assert.equal(u?.expiresAt?.toISOString(), expiresAt.toISOString())
      assert.equal(u?.rateLimit, null)
      assert.equal(u?.keyHash, k.keyHash)

      const at = new Date('2030-01-01T00:00:00.000Z')
      assert.equal((await s.apiKeys.revoke(k.id, at))?.revokedAt?.toISOString(), at.toISOString())
      const again = await s.apiKeys.revoke(k.id, new Date('2035-01-01T00:00:00.000Z'))
      assert.equal(again?.revokedAt?.toISOString(), at.toISOString(), 'the first revocation time is kept')
      assert.deepEqual(
        (await s.apiKeys.list(pid)).map((x) => x.id),
        [k.id],
      )
      assert.equal(await s.apiKeys.delete(k.id), true)
      assert.equal(await s.apiKeys.get(k.id), null)
    })

    it('listActive leaves out revoked and expired keys', async () => {
      const s = get()
      const pid = await project('act')
      const live = await newKey(pid)
      const future = await newKey(pid, { expiresAt: new Date(Date.now() + 3_600_000) })
      const expired = await newKey(pid, { expiresAt: new Date(Date.now() - 1000) })
      const revoked = await newKey(pid)
      await s.apiKeys.revoke(revoked.id)
      const ids = new Set((await s.apiKeys.listActive()).map((k) => k.id))
      assert.ok(ids.has(live.id) && ids.has(future.id))
      assert.ok(!ids.has(expired.id) && !ids.has(revoked.id))
      const later = new Set((await s.apiKeys.listActive(new Date(Date.now() + 7_200_000))).map((k) => k.id))
      assert.ok(later.has(live.id) && !later.has(future.id))
    })

    it('listActive leaves out keys of archived projects and of creators who lost access', async () => {
      const s = get()
      const team = await s.teams.create({ slug: `kt-${uid()}`, name: 'Key team' })
      const pid = (await s.projects.create({ id: `keys-${uid()}`, name: 'keys', teamId: team.id })).id
      const user = async (extra: { isAdmin?: boolean } = {}) =>
        s.users.create({ email: `${uid()}@example.com`, ...extra })
      const [member, teamMate, admin, leaver, disabled] = [
        await user(),
        await user(),
        await user({ isAdmin: true }),
        await user(),
        await user(),
      ]
      await s.projectMembers.add({ projectId: pid, userId: member.id, role: 'developer' })
      await s.teamMembers.add({ teamId: team.id, userId: teamMate.id, role: 'reporter' })
      await s.projectMembers.add({ projectId: pid, userId: leaver.id, role: 'owner' })
      await s.projectMembers.add({ projectId: pid, userId: disabled.id, role: 'owner' })
      const keys = {
        config: await newKey(pid),
        member: await newKey(pid, { createdBy: member.id }),
        teamMate: await newKey(pid, { createdBy: teamMate.id }),
        admin: await newKey(pid, { createdBy: admin.id }),
        leaver: await newKey(pid, { createdBy: leaver.id }),
        disabled: await newKey(pid, { createdBy: disabled.id }),
      }
      await s.projectMembers.remove(pid, leaver.id)
      await s.users.update(disabled.id, { disabled: true })
      const active = async () => new Set((await s.apiKeys.listActive()).map((k) => k.id))
      const ids = await active()
      for (const k of [keys.config, keys.member, keys.teamMate, keys.admin]) assert.ok(ids.has(k.id))
      assert.ok(!ids.has(keys.leaver.id), 'a key stops working when its creator leaves the project')
      assert.ok(!ids.has(keys.disabled.id), 'a key stops working when its creator is disabled')
      await s.projects.archive(pid)
      const afterArchive = await active()
      assert.ok(
        Object.values(keys).every((k) => !afterArchive.has(k.id)),
        'an archived project serves no key',
      )
    })

    it('touchLastUsed updates many keys in one batch and never moves a time backwards', async () => {
      const s = get()
      const pid = await project('touch')
      const [a, b, c] = [await newKey(pid), await newKey(pid), await newKey(pid)]
      const t1 = new Date('2030-01-01T00:00:00.000Z')
      const t2 = new Date('2030-01-02T00:00:00.000Z')
      const n = await s.apiKeys.touchLastUsed([
        { id: a.id, at: t1 },
        { id: b.id, at: t2 },
        { id: a.id, at: t2 },
        { id: 'not-a-uuid', at: t2 },
        { id: '00000000-0000-4000-8000-000000000000', at: t2 },
      ])
      assert.equal(n, 2)
      assert.equal((await s.apiKeys.get(a.id))?.lastUsedAt?.toISOString(), t2.toISOString())
      assert.equal((await s.apiKeys.get(b.id))?.lastUsedAt?.toISOString(), t2.toISOString())
      assert.equal((await s.apiKeys.get(c.id))?.lastUsedAt, null)
      await s.apiKeys.touchLastUsed([{ id: a.id, at: t1 }])
      assert.equal((await s.apiKeys.get(a.id))?.lastUsedAt?.toISOString(), t2.toISOString())
      assert.equal(await s.apiKeys.touchLastUsed([]), 0)
    })

    it('upsertConfigKey keeps one row per name; a revoked key stays revoked until its value changes', async () => {
      const s = get()
      const pid = await project('cfgkey')
      const a = await s.apiKeys.upsertConfigKey({
        projectId: pid,
        name: 'ci',
        keyHash: `h1-${uid()}`,
        prefix: 'mcp_proj_1',
      })
      assert.equal(a.source, 'config')
      assert.equal(a.createdBy, null)
      await s.apiKeys.revoke(a.id)
      const same = await s.apiKeys.upsertConfigKey({
        projectId: pid,
        name: 'ci',
        keyHash: a.keyHash,
        prefix: 'mcp_proj_1',
      })
      assert.equal(same.id, a.id)
      assert.notEqual(same.revokedAt, null)
      const rotated = await s.apiKeys.upsertConfigKey({
        projectId: pid,
        name: 'ci',
        keyHash: `h2-${uid()}`,
        prefix: 'mcp_proj_2',
      })
      assert.equal(rotated.id, a.id)
      assert.equal(rotated.revokedAt, null)
      assert.equal(rotated.prefix, 'mcp_proj_2')
      // A UI key may share the name of a config key.
      await newKey(pid, { name: 'ci' })
      assert.equal((await s.apiKeys.list(pid)).length, 2)
    })
  })

  describe('tool policies and templates', () => {
    it('tool policies: create, list in priority order, update, delete', async () => {
      const s = get()
      const pid = await project('pol')
      const deny = await s.toolPolicies.create({
        projectId: pid,
        effect: 'deny',
        toolPattern: 'delete_*',
        priority: 10,
      })
      const allow = await s.toolPolicies.create({ projectId: pid, effect: 'allow', roles: ['owner'], priority: 1 })
      assert.equal(deny.serverPattern, '*')
      assert.deepEqual(deny.roles, [])
      assert.deepEqual(allow.roles, ['owner'])
      assert.deepEqual(
        (await s.toolPolicies.list(pid)).map((p) => p.id),
        [allow.id, deny.id],
      )
      const moved = await s.toolPolicies.update(deny.id, { priority: 0, roles: ['reporter', 'developer'] })
      assert.deepEqual(moved?.roles, ['reporter', 'developer'])
      assert.equal(moved?.effect, 'deny')
      assert.deepEqual(
        (await s.toolPolicies.list(pid)).map((p) => p.id),
        [deny.id, allow.id],
      )
      await rejectsWith(s.toolPolicies.update(deny.id, { effect: 'maybe' as 'allow' }), 'MCPO_ERR_VALIDATION', 'effect')
      assert.equal(await s.toolPolicies.delete(allow.id), true)
      assert.equal(await s.toolPolicies.get(allow.id), null)
    })

    it('templates: create, unique name, filter by approval, update, delete', async () => {
      const s = get()
      const name = `tpl-${uid()}`
      const t = await s.templates.create({
        name,
        transport: 'stdio',
        command: 'npx',
        args: ['-y', 'pkg'],
        envTemplate: { GITHUB_TOKEN: 'a personal access token' },
      })
      assert.equal(t.approved, false)
      assert.deepEqual(t.envTemplate, { GITHUB_TOKEN: 'a personal access token' })
      await rejectsWith(s.templates.create({ name, transport: 'sse', url: 'http://x' }), 'MCPO_ERR_CONFLICT', 'name')
      assert.ok(!(await s.templates.list({ approved: true })).some((x) => x.id === t.id))
      const approved = await s.templates.update(t.id, { approved: true, description: 'GitHub' })
      assert.equal(approved?.approved, true)
      assert.deepEqual(approved?.args, ['-y', 'pkg'])
      assert.ok((await s.templates.list({ approved: true })).some((x) => x.id === t.id))
      assert.equal((await s.templates.getByName(name))?.id, t.id)
      assert.equal(await s.templates.delete(t.id), true)
      assert.equal(await s.templates.get(t.id), null)
    })
  })
}
