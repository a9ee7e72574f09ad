// Activity filters become valid API queries (time presets, custom ranges with their errors), and exports are CSV a
// spreadsheet reads safely.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type AuditItem,
  activityQuery,
  actorLabel,
  defaultFilters,
  describeAudit,
  exportName,
  formatDuration,
  formatPercent,
  type ToolCallItem,
  toCsv,
} from './activity.ts'

const NOW = Date.parse('2026-11-25T20:00:00.000Z')

describe('activityQuery', () => {
  it('turns a preset range into since and keeps only the filters a kind takes', () => {
    const f = {
      ...defaultFilters('tools'),
      server: ' everything ',
      tool: 'echo',
      status: 'error',
      text: 'boom',
      range: '1h' as const,
    }
    assert.deepEqual(activityQuery(f, NOW), {
      ok: true,
      query: {
        kind: 'tools',
        server: 'everything',
        tool: 'echo',
        status: 'error',
        text: 'boom',
        since: '2026-11-25T19:00:00.000Z',
      },
    })
    assert.deepEqual(activityQuery({ ...f, kind: 'audit', range: 'all', actor: 'u1' }, NOW), {
      ok: true,
      query: { kind: 'audit', actor: 'u1', server: 'everything' },
    })
  })

  it('checks custom ranges', () => {
    const f = { ...defaultFilters(), range: 'custom' as const }
    assert.deepEqual(activityQuery(f, NOW), { ok: false, errors: { since: 'give a start, an end or both' } })
    assert.deepEqual(activityQuery({ ...f, since: '2026-11-25T10:00', until: '2026-11-25T09:00' }, NOW), {
      ok: false,
      errors: { since: 'must be before the end' },
    })
    assert.deepEqual(activityQuery({ ...f, since: 'garbage' }, NOW), {
      ok: false,
      errors: { since: 'is not a date and time' },
    })
    const ok = activityQuery({ ...f, since: '2026-11-25T09:00', until: '2026-11-25T10:00' }, NOW)
    assert.ok(ok.ok)
    assert.equal(Date.parse(ok.query.until) - Date.parse(ok.query.since), 3_600_000)
  })
})

describe('formatting', () => {
  it('formats durations, rates, audit events and actors', () => {
    assert.deepEqual(
      [
        formatDuration(12.4),
        formatDuration(1400),
        formatDuration(12_000),
        formatDuration(125_000),
        formatDuration(null),
      ],
      ['12 ms', '1.4 s', '12 s', '2 min 5 s', '—'],
    )
    assert.deepEqual([formatPercent(1), formatPercent(0.9512), formatPercent(null)], ['100 %', '95.1 %', '—'])
    const e = { action: 'server.tools_toggled', target: { type: 'server', id: 'everything' } } as AuditItem
    assert.equal(describeAudit(e), 'server tools toggled: server everything')
    assert.equal(describeAudit({ ...e, target: null }), 'server tools toggled')
    const names = new Map([['u1', 'ann@example.com']])
    assert.equal(actorLabel('user', 'u1', names), 'ann@example.com')
    assert.equal(actorLabel('api-key', '0123456789abcdef', names), 'key 01234567…')
    assert.equal(actorLabel(null, null, names), 'system')
  })
})

describe('toCsv', () => {
  it('quotes separators and defuses formulas', () => {
    const call: ToolCallItem = {
      id: 1,
      at: '2026-11-25T19:59:00.000Z',
      server: 'everything',
      tool: 'echo',
      status: 'error',
      errorCode: '-32602',
      errorMessage: 'bad "input", really\nbad',
      durationMs: 3,
      principalId: 'u1',
      keyId: null,
      sessionId: 's1',
      clientName: '=HYPERLINK("x")',
      argsSize: 10,
    }
    const csv = toCsv('tools', [call])
    const [head, row] = csv.split('\r\n')
    assert.equal(
      head,
      'at,server,tool,status,durationMs,errorCode,errorMessage,principalId,keyId,sessionId,clientName,argsSize',
    )
    assert.equal(
      row,
      `2026-11-25T19:59:00.000Z,everything,echo,error,3,"'-32602","bad ""input"", really\nbad",u1,,s1,"'=HYPERLINK(""x"")",10`
        .split('\n')
        .join('\n'),
    )
    const audit = toCsv('audit', [
      { id: 2, at: 'T', action: 'server.create', actor: { type: 'user', id: 'u1' }, target: null } as AuditItem,
    ])
    assert.equal(
      audit,
      'at,action,actorType,actorId,targetType,targetId,ip,userAgent,requestId\r\nT,server.create,user,u1,,,,,\r\n',
    )
  })

  it('names export files by project, kind and time', () => {
    assert.equal(exportName('my proj', 'tools', 'csv', NOW), 'mcpo-my-proj-tools-2026-11-25T20-00.csv')
  })
})
