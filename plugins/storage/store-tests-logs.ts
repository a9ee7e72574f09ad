// Contract tests for what is recorded in batches: audit events, tool calls, client sessions.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type GetStore, uid } from './store-tests-helpers.ts'

export function logTests(get: GetStore): void {
  describe('audit events', () => {
    it('appends a batch in order, lists newest first with filters and paging, finds the last of a chain', async () => {
      const s = get()
      const pid = `aud-${uid()}`
      const stored = await s.audit.append(
        Array.from({ length: 5 }, (_, i) => ({
          projectId: pid,
          actorType: 'user',
          actorId: 'u1',
          action: i % 2 ? 'server.update' : 'server.create',
          targetType: 'server',
          targetId: `s${i}`,
          after: { i },
          prevHash: i ? `h${i - 1}` : null,
          hash: `h${i}`,
        })),
      )
      assert.deepEqual(
        stored.map((e) => e.targetId),
        ['s0', 's1', 's2', 's3', 's4'],
      )
      assert.ok(
        stored.every((e, i) => i === 0 || e.id > stored[i - 1].id),
        'ids follow the batch order',
      )
      assert.deepEqual(stored[2].after, { i: 2 })
      assert.equal(stored[2].before, null)

      const all = await s.audit.list({ projectId: pid })
      assert.deepEqual(
        all.map((e) => e.targetId),
        ['s4', 's3', 's2', 's1', 's0'],
      )
      const page = await s.audit.list({ projectId: pid, limit: 2, beforeId: all[1].id })
      assert.deepEqual(
        page.map((e) => e.targetId),
        ['s2', 's1'],
      )
      assert.equal((await s.audit.list({ projectId: pid, action: 'server.update' })).length, 2)
      assert.equal((await s.audit.last(pid))?.hash, 'h4')
      assert.equal(await s.audit.last(`none-${uid()}`), null)

      const global = await s.audit.append([{ actorType: 'system', action: 'gateway.start', hash: `g-${uid()}` }])
      assert.equal((await s.audit.last(null))?.id, global[0].id)
      assert.deepEqual(await s.audit.append([]), [])
    })

    it('lists events of no project, by action prefix (a prefix with LIKE wildcards is literal)', async () => {
      const s = get()
      const tag = uid()
      await s.audit.append([
        { actorType: 'system', action: `security.${tag}_a`, hash: `s1-${tag}` },
        { projectId: `p-${tag}`, actorType: 'system', action: `security.${tag}_b`, hash: `s2-${tag}` },
        { actorType: 'system', action: `securityX${tag}_c`, hash: `s3-${tag}` },
      ])
      const global = await s.audit.list({ withoutProject: true, actionPrefix: `security.${tag}` })
      assert.deepEqual(
        global.map((e) => [e.action, e.projectId]),
        [[`security.${tag}_a`, null]],
      )
      assert.equal((await s.audit.list({ actionPrefix: `security.${tag}` })).length, 2)
      assert.equal((await s.audit.list({ actionPrefix: `security_${tag}` })).length, 0)
      assert.equal((await s.audit.list({ actionPrefix: `security%` })).length, 0)
    })

    it('prunes events older than a date', async () => {
      const s = get()
      const pid = `prune-${uid()}`
      await s.audit.append([
        { projectId: pid, actorType: 'user', action: 'old', createdAt: new Date('2001-01-01T00:00:00.000Z') },
        { projectId: pid, actorType: 'user', action: 'new' },
      ])
      assert.ok((await s.audit.prune(new Date('2002-01-01T00:00:00.000Z'))) >= 1)
      assert.deepEqual(
        (await s.audit.list({ projectId: pid })).map((e) => e.action),
        ['new'],
      )
    })
  })

  describe('tool calls', () => {
    it('appends a batch, lists with filters, computes stats, prunes', async () => {
      const s = get()
      const pid = `tc-${uid()}`
      const n = await s.toolCalls.append([
        { projectId: pid, serverName: 'gh', toolName: 'search', status: 'ok', durationMs: 10, clientName: 'Cline' },
        { projectId: pid, serverName: 'gh', toolName: 'search', status: 'ok', durationMs: 20, sessionId: 'sess-1' },
        { projectId: pid, serverName: 'gh', toolName: 'delete', status: 'denied', durationMs: 1 },
        {
          projectId: pid,
          serverName: 'fs',
          toolName: 'read',
          status: 'error',
          durationMs: 300,
          errorCode: 'E',
          errorMessage: 'File Not Found',
        },
      ])
      assert.equal(n, 4)
      const all = await s.toolCalls.list({ projectId: pid })
      assert.deepEqual(
        all.map((c) => c.toolName),
        ['read', 'delete', 'search', 'search'],
      )
      assert.equal((await s.toolCalls.list({ projectId: pid, serverName: 'gh', toolName: 'search' })).length, 2)
      assert.equal((await s.toolCalls.list({ projectId: pid, status: 'error' }))[0].errorMessage, 'File Not Found')
      assert.equal((await s.toolCalls.list({ projectId: pid, text: 'not found' })).length, 1)
      assert.equal((await s.toolCalls.list({ projectId: pid, text: 'cline' })).length, 1)
      assert.equal((await s.toolCalls.list({ projectId: pid, minDurationMs: 20 })).length, 2)
      assert.equal((await s.toolCalls.list({ projectId: pid, sessionId: 'sess-1' })).length, 1)
      assert.equal((await s.toolCalls.list({ projectId: pid, limit: 1, beforeId: all[0].id }))[0].id, all[1].id)

      const stats = await s.toolCalls.stats({ projectId: pid })
      assert.equal(stats.total, 4)
      assert.equal(stats.ok, 2)
      assert.equal(stats.errors, 2)
      assert.equal(stats.avgMs, (10 + 20 + 1 + 300) / 4)
      assert.equal(stats.p50Ms, 15)
      const none = await s.toolCalls.stats({ projectId: `none-${uid()}` })
      assert.deepEqual(none, { total: 0, ok: 0, errors: 0, avgMs: null, p50Ms: null, p95Ms: null })

      await s.toolCalls.append([
        { projectId: pid, serverName: 'x', toolName: 'y', status: 'ok', createdAt: new Date('2001-01-01T00:00:00Z') },
      ])
      assert.ok((await s.toolCalls.prune(new Date('2002-01-01T00:00:00Z'))) >= 1)
      assert.equal((await s.toolCalls.list({ projectId: pid })).length, 4)
    })

    it('keeps every character of what it stores; NUL, which Postgres text cannot hold, becomes U+FFFD', async () => {
      const s = get()
      const pid = `tc-${uid()}`
      const odd = 'tab\there\nnew line\r\\N back\\slash \\. "quoted" ünï 🙂'
      const args = { q: odd, nested: [1, { 'k\tey': null, n: 2.5 }], nul: 'a\u0000b', 'key\u0000': true }
      await s.toolCalls.append([
        {
          projectId: pid,
          serverName: odd,
          toolName: '\\N',
          status: 'error',
          errorMessage: `${odd} and a\u0000NUL`,
          clientName: '',
          requestId: '\\.',
          arguments: args,
          createdAt: new Date('2026-01-02T03:04:05.678Z'),
        },
      ])
      const [row] = await s.toolCalls.list({ projectId: pid })
      assert.equal(row.serverName, odd)
      assert.equal(row.toolName, '\\N')
      assert.equal(row.errorMessage, `${odd} and a\uFFFDNUL`)
      assert.equal(row.clientName, '')
      assert.equal(row.requestId, '\\.')
      assert.equal(row.principalId, null)
      assert.equal(row.durationMs, 0)
      assert.deepEqual(row.arguments, { q: odd, nested: args.nested, nul: 'a\uFFFDb', 'key\uFFFD': true })
      assert.equal(new Date(row.createdAt as unknown as string).toISOString(), '2026-01-02T03:04:05.678Z')
    })

    it('a batch with one row the database refuses fails as a whole and writes nothing', async () => {
      const s = get()
      const pid = `tc-${uid()}`
      await assert.rejects(
        s.toolCalls.append([
          { projectId: pid, serverName: 'a', toolName: 'b', status: 'ok' },
          { projectId: pid, serverName: 'a', toolName: 'b', status: 'bogus' as 'ok' },
        ]),
      )
      assert.equal((await s.toolCalls.list({ projectId: pid })).length, 0)
    })
  })

  describe('client sessions', () => {
    it('client sessions: batched upsert keeps known fields, list by recency, delete', async () => {
      const s = get()
      const pid = `cs-${uid()}`
      const [a, b] = [`a-${uid()}`, `b-${uid()}`]
      const t0 = new Date('2030-01-01T00:00:00.000Z')
      assert.equal(
        await s.clientSessions.upsert([
          { id: a, projectId: pid, clientName: 'Cline', userAgent: 'ua', requestCount: 1, lastSeenAt: t0 },
          { id: b, projectId: pid, clientName: 'Cursor', requestCount: 5, lastSeenAt: new Date(t0.getTime() + 1000) },
        ]),
        2,
      )
      await s.clientSessions.upsert([
        { id: a, projectId: pid, requestCount: 9, failureCount: 1, lastSeenAt: new Date(t0.getTime() + 5000) },
        { id: a, projectId: pid, requestCount: 10, failureCount: 1, lastSeenAt: new Date(t0.getTime() + 6000) },
      ])
      const list = await s.clientSessions.list({ projectId: pid })
      assert.deepEqual(
        list.map((x) => [x.id, x.clientName, x.requestCount]),
        [
          [a, 'Cline', 10],
          [b, 'Cursor', 5],
        ],
      )
      assert.equal(list[0].userAgent, 'ua')
      assert.equal(await s.clientSessions.delete(b), true)
      assert.equal((await s.clientSessions.list({ projectId: pid })).length, 1)
    })
  })
}
