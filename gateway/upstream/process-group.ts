// Process groups of stdio upstreams: signalling a whole group, telling when it is empty, the registry of live
// groups that the gateway's `process.on('exit')` handler kills so no child outlives a crash, and the ledger on disk
// that lets the next start kill what a `kill -9` (which runs no handler) left behind.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// The one module-level mutable registry in mcpo. `process.on('exit')` handlers run synchronously and cannot reach
// transport instances (a crash may come from anywhere), yet they must kill every child group so none outlives us.
const liveGroups = new Set<number>()

/** Called by a transport once its child spawned (the pid is also the group id). */
export function registerGroup(pid: number): void {
  liveGroups.add(pid)
  if (ledgerFile) started.set(pid, startTime(pid) ?? 0)
  writeLedger()
}

/** Called once the group is empty. */
export function forgetGroup(pid: number): void {
  liveGroups.delete(pid)
  started.delete(pid)
  writeLedger()
}

// `<dir>/<gateway pid>-<its start time>`: one line per live group, "<pgid> <start time of its leader>". One file per
// gateway process, so gateways sharing a data directory (cluster nodes on one host) never take each other's children
// for leftovers. Start times are read once per group: a spawn storm must not read /proc for every live group.
let ledgerFile: string | null = null
const started = new Map<number, number>()

function writeLedger(): void {
  if (!ledgerFile) return
  const lines = [...liveGroups].map((pid) => `${pid} ${started.get(pid) ?? 0}\n`).join('')
  try {
    writeFileSync(ledgerFile, lines)
  } catch {
    // A full or read-only disk must not stop upstreams; only the clean-up after a kill -9 is lost.
  }
}

/**
 * Keeps the ledger of this process's upstream groups in `dir`, after SIGKILLing every group that ledgers of dead
 * gateway processes there still list. Returns how many leftover groups were killed.
 */
export function adoptLedger(dir: string): number {
  try {
    mkdirSync(dir, { recursive: true })
  } catch {
    return 0 // A read-only data directory: upstreams run, only this clean-up is lost.
  }
  let killed = 0
  // Telling our leftovers from a stranger that reused a pid needs /proc; elsewhere nothing is killed.
  const names = process.platform === 'linux' ? readdirSync(dir) : []
  for (const name of names) {
    const [owner, ownerStarted] = name.split('-').map(Number)
    if (!(owner > 0) || !Number.isInteger(ownerStarted)) continue
    if (startTime(owner) === ownerStarted) continue // a live gateway's, maybe this one's
    const file = join(dir, name)
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n')) {
      const [pgid, leaderStarted] = line.split(' ').map(Number)
      if (pgid > 0 && isOurLeftover(pgid, leaderStarted)) {
        try {
          if (killProcessGroup(pgid, 'SIGKILL')) killed++
        } catch {
          // EPERM: not ours after all.
        }
      }
    }
    rmSync(file, { force: true })
  }
  ledgerFile = join(dir, `${process.pid}-${startTime(process.pid) ?? 0}`)
  for (const pid of liveGroups) started.set(pid, startTime(pid) ?? 0)
  writeLedger()
  return killed
}

/**
 * A group from a dead gateway's ledger is still ours when its leader is the same process (same start time), or when
 * the leader is gone but the group has members: Linux does not hand out a pid still in use as a group id.
 */
function isOurLeftover(pgid: number, leaderStarted: number): boolean {
  const now = startTime(pgid)
  if (now !== null) return now === leaderStarted
  return groupHasLiveMembers(pgid)
}

/** Field 22 of /proc/<pid>/stat (clock ticks after boot): with the pid, names one process for good. */
function startTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
  } catch {
    return null
  }
}

/** Pids (= process group ids) of stdio children started here whose group is not yet known to be empty. */
export function liveProcessGroups(): ReadonlySet<number> {
  return liveGroups
}

/** Signals a whole process group. Returns false if it no longer exists (ESRCH); other errors (EPERM) throw. */
export function killProcessGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

/**
 * SIGKILLs every registered group. For `process.on('exit', killAllProcessGroupsSync)`: synchronous, never throws.
 * Returns how many groups were signalled.
 */
export function killAllProcessGroupsSync(): number {
  let killed = 0
  for (const pid of liveGroups) {
    try {
      if (killProcessGroup(pid, 'SIGKILL')) killed++
    } catch {
      // EPERM: the pid now belongs to someone else's group, so ours is already gone.
    }
  }
  liveGroups.clear()
  started.clear()
  // Every group is dead now; a kill -9 is the one exit that skips this, and the next start reads the ledger.
  if (ledgerFile) {
    try {
      rmSync(ledgerFile, { force: true })
    } catch {
      // Nothing left to protect.
    }
  }
  return killed
}

/**
 * Whether a process group still has a member that is not a zombie. Zombies are dead (their reaper may be slow: PID 1 in
 * a container often is), so on Linux /proc tells them apart; elsewhere any member counts.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
  if (process.platform !== 'linux') return true
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue // only numeric entries are processes
    let stat: string
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue // exited while we looked
    }
    // "pid (comm) state ppid pgrp …": comm may contain spaces and ')', so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3)
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true
  }
  return false
}
