// One request must not stall every tenant (issue 16 point 2): a project owner's policy or redaction glob built to
// backtrack (`*a*a*…*b`), met by a tool name or argument key of 34 `a`s, used to block the event loop for 18-39 s.
// Now the call answers in milliseconds and another client's /healthz is not held up meanwhile.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { audit } from '../../plugins/audit/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type ProjectApi, startProjectApi } from '../api/project-harness.ts'
import { TEST_KEY } from '../harness.ts'

const EVIL = '*a*a*a*a*a*a*a*a*a*a*a*a*b'
const NAME = 'a'.repeat(34)

let api: ProjectApi
let policyId = ''
before(async () => {
  api = await startProjectApi({ plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), audit()] })
})
after(() => api?.close())

/** Runs `attack` while another client polls /healthz; returns how long the attack and the slowest probe took. */
async function underProbe(attack: () => Promise<unknown>): Promise<{ attackMs: number; slowestProbeMs: number }> {
  let slowest = 0
  let done = false
  const probe = (async () => {
    while (!done) {
      const t = performance.now()
      const res = await fetch(`${api.gw.url}/healthz`, { signal: AbortSignal.timeout(60_000) })
      await res.arrayBuffer()
      assert.equal(res.status, 200)
      slowest = Math.max(slowest, performance.now() - t)
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  const started = performance.now()
  try {
    await attack()
  } finally {
    done = true
  }
  const attackMs = performance.now() - started
  await probe
  return { attackMs, slowestProbeMs: slowest }
}

describe('patterns compiled from user input', () => {
  it('a backtracking policy glob meets a matching tool name: answered at once, /healthz not delayed', async () => {
    const made = await api.call(api.owner, 'POST', '/api/projects/demo/policies', { effect: 'deny', toolPattern: EVIL })
    assert.equal(made.status, 201, made.text)
    policyId = made.body.id
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/everything/mcp')
    const unified = await api.mcp(TEST_KEY, '/projects/demo/mcp')
    const { attackMs, slowestProbeMs } = await underProbe(async () => {
      for (let i = 0; i < 5; i++) {
        // Not a tool of the server: the policy is checked first, then the upstream says so (an error either way).
        await client.callTool({ name: NAME, arguments: {} }).catch(() => null)
        await unified.callTool({ name: `everything__${NAME}`, arguments: {} }).catch(() => null)
        await client.listTools()
      }
    })
    assert.ok(attackMs < 5000, `ten calls and five lists took ${attackMs.toFixed(0)} ms`)
    assert.ok(slowestProbeMs < 1000, `a /healthz waited ${slowestProbeMs.toFixed(0)} ms`)
    const explain = await api.call(
      api.owner,
      'GET',
      `/api/projects/demo/policies/explain?server=everything&tool=${NAME}b&role=owner`,
    )
    assert.equal(explain.status, 200, explain.text)
  })

  it('a backtracking redaction key meets a matching argument name: recorded at once, /healthz not delayed', async () => {
    const set = await api.call(api.owner, 'PUT', '/api/projects/demo/settings/observability', {
      captureArguments: true,
      redactKeys: [EVIL],
    })
    assert.equal(set.status, 200, set.text)
    assert.equal((await api.call(api.owner, 'DELETE', `/api/projects/demo/policies/${policyId}`)).status, 204)
    const client = await api.mcp(TEST_KEY, '/projects/demo/servers/everything/mcp')
    const { attackMs, slowestProbeMs } = await underProbe(async () => {
      for (let i = 0; i < 5; i++) {
        await client.callTool({ name: 'echo', arguments: { message: 'hi', [NAME]: 'x', nested: { [NAME]: 'y' } } })
      }
      // The audit plugin writes captured arguments in batches: wait for the batch that redacts them.
      await new Promise((r) => setTimeout(r, 1500))
    })
    assert.ok(attackMs < 6000, `five calls and their records took ${attackMs.toFixed(0)} ms`)
    assert.ok(slowestProbeMs < 1000, `a /healthz waited ${slowestProbeMs.toFixed(0)} ms`)
  })

  it('refuses patterns past the length bound', async () => {
    const long = await api.call(api.owner, 'POST', '/api/projects/demo/policies', {
      effect: 'deny',
      toolPattern: `${'*a'.repeat(150)}`,
    })
    assert.equal(long.status, 400, long.text)
    const key = await api.call(api.owner, 'PUT', '/api/projects/demo/settings/observability', {
      redactKeys: ['a'.repeat(101)],
    })
    assert.equal(key.status, 400, key.text)
  })
})
