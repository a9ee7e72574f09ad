import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ToolPolicy } from '../contract.ts'
import { compile, decide, joinSubjects, splitSubjects } from './policies.ts'

let seq = 0
function policy(p: Partial<ToolPolicy> & Pick<ToolPolicy, 'effect'>): ToolPolicy {
  const now = new Date()
  return {
    id: `p${++seq}`,
    projectId: 'demo',
    priority: 0,
    serverPattern: '*',
    toolPattern: '*',
    roles: [],
    description: '',
    createdBy: null,
    createdAt: now,
    updatedAt: now,
    ...p,
  }
}

const dev = { role: 'developer' as const, keyId: 'k-dev' }
const owner = { role: 'owner' as const, keyId: 'k-owner' }

describe('tool policies', () => {
  it('keeps key ids beside roles in the roles column', () => {
    const stored = joinSubjects(['owner'], ['abc'])
    assert.deepEqual(stored, ['owner', 'key:abc'])
    assert.deepEqual(splitSubjects(stored), { roles: ['owner'], keyIds: ['abc'] })
  })

  it('allows by default and names no rule', () => {
    const v = decide(compile([], []), 'github', 'create_issue', dev)
    assert.equal(v.allowed, true)
    assert.deepEqual(v.rule, { kind: 'default' })
  })

  it('denies a tool switched off with toggles, before any policy', () => {
    const p = compile(
      [{ name: 'github', toolToggles: { create_issue: false, list: true } }],
      [policy({ effect: 'allow' })],
    )
    const v = decide(p, 'github', 'create_issue', owner)
    assert.equal(v.allowed, false)
    assert.deepEqual(v.rule, { kind: 'toggle', server: 'github', tool: 'create_issue' })
    assert.equal(decide(p, 'github', 'list', owner).allowed, true)
    assert.equal(decide(p, 'other', 'create_issue', owner).allowed, true)
  })

  it('deny wins over allow, whatever the priority', () => {
    const allow = policy({ effect: 'allow', priority: -5, description: 'everyone' })
    const deny = policy({ effect: 'deny', priority: 10, toolPattern: 'delete_*', description: 'no deletes' })
    const p = compile([], [deny, allow])
    const v = decide(p, 'github', 'delete_repo', owner)
    assert.equal(v.allowed, false)
    assert.equal(v.rule.kind === 'policy' && v.rule.policy.id, deny.id)
    assert.match(v.reason, /no deletes/)
    assert.equal(decide(p, 'github', 'create_issue', owner).allowed, true)
  })

  it('scopes a rule to roles or key ids; no subjects means everyone', () => {
    const byRole = policy({ effect: 'deny', serverPattern: 'prod-*', roles: ['developer'] })
    const byKey = policy({ effect: 'deny', toolPattern: 'exec', roles: ['key:k-owner' as never] })
    const p = compile([], [byRole, byKey])
    assert.equal(decide(p, 'prod-db', 'query', dev).allowed, false)
    assert.equal(decide(p, 'prod-db', 'query', owner).allowed, true)
    assert.equal(decide(p, 'dev-db', 'query', dev).allowed, true)
    const v = decide(p, 'shell', 'exec', owner)
    assert.equal(v.allowed, false)
    assert.equal(v.rule.kind === 'policy' && v.rule.policy.id, byKey.id)
    assert.equal(decide(p, 'shell', 'exec', dev).allowed, true)
  })

  it('an allow rule that covers a tool restricts it to its subjects', () => {
    const ownersOnly = policy({ effect: 'allow', serverPattern: 'github', toolPattern: 'merge_*', roles: ['owner'] })
    const p = compile([], [ownersOnly])
    assert.equal(decide(p, 'github', 'merge_pr', owner).allowed, true)
    const v = decide(p, 'github', 'merge_pr', dev)
    assert.equal(v.allowed, false)
    assert.equal(v.rule.kind === 'policy' && v.rule.policy.id, ownersOnly.id)
    assert.equal(decide(p, 'github', 'list_prs', dev).allowed, true, 'tools no rule covers stay allowed')
    assert.equal(decide(p, 'github', 'merge_pr', { role: null, keyId: null }).allowed, false)
  })

  it('names the first deny by priority', () => {
    const late = policy({ effect: 'deny', priority: 5 })
    const early = policy({ effect: 'deny', priority: 1 })
    const v = decide(compile([], [late, early]), 's', 't', dev)
    assert.equal(v.rule.kind === 'policy' && v.rule.policy.id, early.id)
  })
})
