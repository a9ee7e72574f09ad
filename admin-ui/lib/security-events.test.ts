// The security events page without a browser: every filter choice is a query the API accepts, actions read as plain
// words, and a row's count, detail, subject and times come out of odd or missing fields without throwing.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  actionLabel,
  actorText,
  changesText,
  clockTime,
  type EventItem,
  emptyText,
  eventsQuery,
  exactTime,
  FILTERS,
  isRefusal,
  REFUSAL_LABELS,
  refusalFacts,
  repeatedText,
  targetLabel,
} from './security-events.ts'

function event(over: Partial<EventItem> = {}): EventItem {
  return {
    id: 7,
    at: '2026-12-07T05:44:55.000Z',
    actor: { type: null, id: null },
    action: 'security.mcp_key_invalid',
    target: null,
    before: null,
    after: { count: 1, detail: 'POST /projects/demo/mcp' },
    ip: '203.0.113.9',
    userAgent: 'curl/8',
    requestId: 'r1',
    ...over,
  }
}

describe('filters', () => {
  it('offer all, refusals only, every refusal action and families of other events, each a valid API query', () => {
    const values = FILTERS.map((f) => f.value)
    assert.deepEqual(values.slice(0, 2), ['', 'security.'])
    for (const action of Object.keys(REFUSAL_LABELS)) assert.ok(values.includes(action), action)
    assert.equal(new Set(values).size, values.length, 'no choice twice')
    // The API's rule for `action`: lower-case letters, digits, _ and . (at most 200).
    for (const v of values.filter(Boolean)) assert.match(v, /^[a-z0-9_.]{1,200}$/)
  })

  it('turn into the query of GET /api/admin/events', () => {
    assert.deepEqual(eventsQuery('', null, 50), { limit: '50' })
    assert.deepEqual(eventsQuery('security.', null, 50), { limit: '50', action: 'security.' })
    assert.deepEqual(eventsQuery('security.sign_in_failed', '1234', 25), {
      limit: '25',
      action: 'security.sign_in_failed',
      cursor: '1234',
    })
    // Something the list does not offer (a stale or hand-edited value) lists everything rather than a 400.
    assert.deepEqual(eventsQuery('DROP TABLE', null, 50), { limit: '50' })
  })

  it('say what an empty list means', () => {
    assert.equal(emptyText('').title, 'No events yet')
    assert.equal(emptyText('security.').title, 'No refusals')
    assert.deepEqual(emptyText('security.sign_in_failed'), {
      title: 'No refusals',
      next: 'Nothing recorded as “Failed sign-in”.',
    })
    assert.deepEqual(emptyText('user.'), { title: 'No events', next: 'Nothing recorded as “User administration”.' })
  })
})

describe('actions in plain words', () => {
  it('names every refusal and the common global events, and makes words of the rest', () => {
    assert.equal(actionLabel('security.mcp_key_invalid'), 'Invalid MCP key')
    assert.equal(actionLabel('security.sign_in_throttled'), 'Sign-in throttled')
    assert.equal(actionLabel('security.refusals_overflow'), 'Refusals from too many sources (summed)')
    assert.equal(actionLabel('config.applied'), 'Config file applied')
    assert.equal(actionLabel('project-template.create'), 'Project template create')
    assert.equal(actionLabel('security.something_new'), 'Security something new')
    assert.equal(actionLabel(''), '')
    for (const a of Object.keys(REFUSAL_LABELS)) assert.ok(!actionLabel(a).includes('_'), a)
  })

  it('knows refusals by their prefix', () => {
    assert.ok(isRefusal('security.api_forbidden'))
    assert.ok(!isRefusal('user.created'))
    assert.ok(!isRefusal('auth.sign_in_failed'))
  })
})

describe('refusalFacts', () => {
  it('reads the first refusal of a window', () => {
    assert.deepEqual(refusalFacts(event()), {
      count: 1,
      aggregated: false,
      since: null,
      details: ['POST /projects/demo/mcp'],
      note: null,
    })
  })

  it('reads an aggregated window with its details, once each', () => {
    const e = event({
      after: {
        count: 41,
        since: '2026-12-07T05:44:01.000Z',
        details: ['POST /projects/demo/mcp', 'GET /projects/demo/mcp', 'POST /projects/demo/mcp'],
        aggregated: true,
      },
    })
    assert.deepEqual(refusalFacts(e), {
      count: 41,
      aggregated: true,
      since: '2026-12-07T05:44:01.000Z',
      details: ['POST /projects/demo/mcp', 'GET /projects/demo/mcp'],
      note: null,
    })
  })

  it('tolerates missing and odd fields', () => {
    for (const after of [null, 'x', [], { count: 'many', details: 'nope', since: 'yesterday', aggregated: 'yes' }]) {
      assert.deepEqual(refusalFacts(event({ after })), {
        count: null,
        aggregated: false,
        since: null,
        details: [],
        note: null,
      })
    }
    const overflow = refusalFacts(event({ after: { count: 12, windowMs: 60000, note: 'more distinct sources' } }))
    assert.equal(overflow.count, 12)
    assert.equal(overflow.note, 'more distinct sources')
  })
})

describe('subjects, actors, times and changes', () => {
  const names = new Map([['u-1234567890abcdef1234567890', 'ada@example.com']])

  it('label targets: known users by email, refusal subjects as they are, long ids shortened', () => {
    assert.equal(targetLabel(null), null)
    assert.equal(targetLabel({ type: 'subject', id: 'ada@example.com' }), 'ada@example.com')
    assert.equal(targetLabel({ type: 'user', id: 'u-1234567890abcdef1234567890' }, names), 'ada@example.com')
    assert.equal(targetLabel({ type: 'user', id: 'u-1234567890abcdef1234567890' }), 'user u-123456…')
    assert.equal(targetLabel({ type: 'config', id: 'mcpo.config.ts' }), 'config mcpo.config.ts')
    assert.equal(targetLabel({ type: 'refusals', id: 'overflow' }), null)
    assert.equal(targetLabel({ type: 'config', id: null }), 'config')
  })

  it('label actors', () => {
    assert.equal(actorText({ type: null, id: null }), null)
    assert.equal(actorText({ type: 'user', id: 'u-1234567890abcdef1234567890' }, names), 'ada@example.com')
    assert.equal(actorText({ type: 'system', id: 'config-file:boot' }), 'config file (boot)')
    assert.equal(actorText({ type: 'user', id: 'u1' }), 'user u1')
  })

  it('format exact times to the second', () => {
    assert.equal(exactTime('2026-12-07T05:44:55.000Z', 'UTC'), '7 Dec, 05:44:55')
    assert.equal(exactTime('2026-12-07T05:44:55.000Z', 'Asia/Tokyo'), '7 Dec, 14:44:55')
    assert.equal(clockTime('2026-12-07T05:04:05.000Z', 'UTC'), '05:04:05')
    assert.equal(exactTime('garbage'), 'garbage')
    assert.equal(
      repeatedText('2026-12-07T05:44:01.000Z', '2026-12-07T05:44:55.400Z', 'UTC'),
      'repeated 05:44:01–05:44:55',
    )
    assert.equal(repeatedText('2026-12-07T05:44:55.000Z', '2026-12-07T05:44:55.400Z', 'UTC'), 'repeated at 05:44:55')
    assert.equal(repeatedText(null, '2026-12-07T05:44:55.000Z', 'UTC'), 'repeated until 05:44:55')
    assert.equal(clockTime('garbage'), 'garbage')
  })

  it('show before and after of other events, nothing when there is neither', () => {
    assert.equal(changesText(event({ before: null, after: null })), null)
    assert.deepEqual(JSON.parse(changesText(event({ before: { a: 1 }, after: null }))!), { before: { a: 1 } })
    assert.deepEqual(JSON.parse(changesText(event({ after: { b: 2 } }))!), { after: { b: 2 } })
  })
})
