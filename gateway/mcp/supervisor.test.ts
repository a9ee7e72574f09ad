// The supervisor against real child processes: lazy start, idle stop, restart with backoff, circuit breaker, caps.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { pidAlive, waitFor } from '../../test/fixtures/processes.ts'
import { silentLogger } from '../logger.ts'
import { Session } from './session.ts'
import { ProcessCaps, ServerRuntime, type ServerSpec, type SupervisorLimits } from './supervisor.ts'

const root = join(import.meta.dirname, '../..')
const limits: SupervisorLimits = {
  handshakeTimeoutMs: 15_000,
  idleStopMs: 100,
  restartInitialMs: 50,
  restartMaxMs: 400,
  maxConsecutiveFailures: 3,
  maxProcessesPerProject: 10,
  maxProcessesTotal: 10,
}
const fixture = (name: string): ServerSpec => ({
  projectId: 'p',
  name,
  transport: 'stdio',
  command: process.execPath,
  args: ['--import', import.meta.resolve('tsx'), join(root, 'test/fixtures/fixture-server.ts')],
  cwd: root,
  timeoutMs: 10_000,
  enabled: true,
  autoStart: false,
})
const session = () =>
  new Session({
    id: crypto.randomUUID(),
    projectId: 'p',
    serverName: 's',
    principalId: 'k',
    transport: 'legacy',
    protocolVersion: '2025-11-25',
    now: Date.now(),
  })

const runtimes: ServerRuntime[] = []
after(async () => {
  for (const rt of runtimes) await rt.stop()
})
function runtime(spec: ServerSpec, l = limits, caps = new ProcessCaps(l)): ServerRuntime {
  const rt = new ServerRuntime(spec, l, caps, silentLogger())
  runtimes.push(rt)
  return rt
}

describe('supervisor', () => {
  it('starts lazily on first use, shares one process, and stops it when idle', async () => {
    const rt = runtime(fixture('lazy'))
    assert.equal(rt.status().state, 'stopped')
    assert.equal(rt.status().pid, null)
    const a = session()
    const b = session()
    const [ca, cb] = await Promise.all([rt.acquire(a), rt.acquire(b)])
    assert.equal(ca, cb, 'one upstream per shared server, even when two sessions start it at once')
    const { pid, state, sessions } = rt.status()
    assert.equal(state, 'running')
    assert.equal(sessions, 2)
    assert.ok(pid && pidAlive(pid))
    a.close('done')
    b.close('done')
    await new Promise((r) => setTimeout(r, 150))
    rt.sweepIdle(Date.now())
    assert.equal(rt.status().state, 'stopped')
    assert.ok(await waitFor(() => !pidAlive(pid), 5000), 'idle process is gone')
  })

  it('restarts a crashed upstream with backoff and tells its sessions the lists changed', async () => {
    const rt = runtime(fixture('crashy'))
    const notices: string[] = []
    rt.onlistchanged = (method, sessions) => {
      if ([...sessions].length > 0) notices.push(method)
    }
    const s = session()
    await rt.acquire(s)
    const first = rt.status().pid!
    process.kill(first, 'SIGKILL')
    assert.ok(await waitFor(() => rt.status().state === 'running' && rt.status().pid !== first, 15_000), 'restarted')
    assert.equal(rt.status().restarts, 1)
    assert.ok(notices.includes('notifications/tools/list_changed'))
    assert.ok(!pidAlive(first))
    s.close('done')
  })

  it('opens the circuit after repeated failed starts and refuses fast until it may retry', async () => {
    const rt = runtime({ ...fixture('broken'), args: ['-e', 'process.exit(3)'] })
    for (let i = 0; i < limits.maxConsecutiveFailures; i++) {
      await assert.rejects(rt.acquire(session()), /unavailable|went away|exited/)
      if (i < limits.maxConsecutiveFailures - 1)
        await new Promise((r) => setTimeout(r, (rt.retryAt ?? Date.now()) - Date.now() + 10))
    }
    assert.equal(rt.status().state, 'failed')
    assert.equal(rt.status().consecutiveFailures, limits.maxConsecutiveFailures)
    const started = Date.now()
    await assert.rejects(rt.acquire(session()), (err: Error & { data?: { retryAfterMs?: number } }) => {
      assert.match(err.message, /unavailable/)
      assert.ok((err.data?.retryAfterMs ?? 0) > 0)
      return true
    })
    assert.ok(Date.now() - started < 100, 'an open circuit answers at once')
  })

  it('caps processes per project', async () => {
    const l = { ...limits, maxProcessesPerProject: 1 }
    const caps = new ProcessCaps(l)
    const one = runtime(fixture('one'), l, caps)
    const two = runtime(fixture('two'), l, caps)
    const s = session()
    await one.acquire(s)
    await assert.rejects(two.acquire(s), /limit of 1 server processes/)
    await one.stop()
    await two.acquire(s)
    assert.equal(caps.total, 1)
    s.close('done')
  })

  it('gives each session its own process in per-session mode and kills it when the session ends', async () => {
    const rt = runtime({ ...fixture('isolated'), isolation: 'per-session' })
    const a = session()
    const b = session()
    await rt.acquire(a)
    await rt.acquire(b)
    const pids = rt.status().pids
    assert.equal(pids.length, 2)
    assert.notEqual(pids[0], pids[1])
    a.close('done')
    b.close('done')
    assert.ok(await waitFor(() => pids.every((p) => !pidAlive(p)), 5000))
    assert.equal(rt.status().state, 'stopped')
  })
})
