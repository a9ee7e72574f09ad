import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SessionRegistry } from './sessions.ts'

const limits = { sessionsPerKey: 6, sessionsPerProject: 100, sessionsTotal: 100, sessionIdleTtlMs: 60_000 }
const init = {
  projectId: 'p',
  serverName: 's',
  principalId: 'k',
  transport: 'streamable' as const,
  protocolVersion: '2025-11-25',
}

describe('session registry', () => {
  it('names the owning node in ids and splits per-key caps between live nodes', () => {
    let nodes = 3
    const reg = new SessionRegistry(limits, { newId: () => `n1.${Math.random()}`, nodes: () => nodes })
    const opened = [reg.open(init), reg.open(init)]
    assert.ok(opened.every((s) => s.id.startsWith('n1.')))
    assert.throws(() => reg.open(init), /this key already has 6 open sessions/, '6 per key over 3 nodes is 2 here')
    nodes = 1
    assert.ok(reg.open(init), 'a node left: this one may hold the whole cap')
    reg.drainAll(-32013, 'test')
  })

  it('keeps bare UUIDs and whole caps on a single node', () => {
    const reg = new SessionRegistry(limits)
    const s = reg.open(init)
    assert.match(s.id, /^[0-9a-f-]{36}$/)
    for (let i = 1; i < 6; i++) reg.open(init)
    assert.throws(() => reg.open(init), /6 open sessions/)
    reg.drainAll(-32013, 'test')
  })
})
