// The ledger of upstream process groups: what a gateway that died by kill -9 left is killed by the next start, and
// nothing else is: not the groups of a live gateway sharing the directory, not a stranger that reused a pid.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { pidAlive, waitFor } from '../../test/fixtures/processes.ts'
import { adoptLedger } from './process-group.ts'

const dir = mkdtempSync(join(tmpdir(), 'mcpo-ledger-'))
const children: ChildProcess[] = []
after(() => {
  for (const c of children) {
    try {
      process.kill(-(c.pid ?? 0), 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true })
})

/** A process group of its own that ignores SIGTERM, like a stubborn upstream. */
function stubborn(): ChildProcess {
  const c = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 1; done'], { detached: true, stdio: 'ignore' })
  children.push(c)
  return c
}

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
}

/** A pid that no process has: a short-lived child's, after it exited. */
async function deadPid(): Promise<number> {
  const c = spawn('true')
  await new Promise((r) => c.once('exit', r))
  return c.pid ?? 0
}

describe('upstream group ledger', { skip: process.platform !== 'linux' && 'needs /proc' }, () => {
  it('kills the groups a dead gateway listed, spares a live gateway and a reused pid, and keeps its own ledger', async () => {
    const leftover = stubborn()
    const ofLiveGateway = stubborn()
    const stranger = stubborn()
    const deadGateway = await deadPid()
    const live = spawn('sleep', ['30'], { stdio: 'ignore' })
    children.push(live)
    const pid = (c: ChildProcess) => c.pid ?? 0
    writeFileSync(
      join(dir, `${deadGateway}-12345`),
      // The stranger's line has another start time: its pid was ours once, and was handed out again since.
      `${pid(leftover)} ${startTime(pid(leftover))}\n${pid(stranger)} ${startTime(pid(stranger)) + 1}\n`,
    )
    const liveLedger = `${pid(live)}-${startTime(pid(live))}`
    writeFileSync(join(dir, liveLedger), `${pid(ofLiveGateway)} ${startTime(pid(ofLiveGateway))}\n`)
    writeFileSync(join(dir, 'notes.txt'), 'not a ledger\n')

    assert.equal(adoptLedger(dir), 1)
    assert.ok(await waitFor(() => !pidAlive(pid(leftover)), 2000), 'the leftover group is killed')
    assert.ok(pidAlive(pid(ofLiveGateway)), "a live gateway's upstream is spared")
    assert.ok(pidAlive(pid(stranger)), 'a process that reused a listed pid is spared')
    const files = readdirSync(dir).sort()
    assert.ok(!files.includes(`${deadGateway}-12345`), "the dead gateway's ledger is gone")
    assert.ok(files.includes(liveLedger))
    assert.ok(
      files.includes(`${process.pid}-${startTime(process.pid)}`),
      'this process keeps its own ledger from now on',
    )
  })
})
