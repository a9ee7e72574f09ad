// Process groups of stdio upstreams: signalling a whole group, telling when it is empty, and the registry of live
// groups that the gateway's `process.on('exit')` handler kills so no child outlives a crash.
import { readdirSync, readFileSync } from 'node:fs'

// The one module-level mutable registry in mcpo. `process.on('exit')` handlers run synchronously and cannot reach
// transport instances (a crash may come from anywhere), yet they must kill every child group so none outlives us.
const liveGroups = new Set<number>()

/** Called by a transport once its child spawned (the pid is also the group id). */
export function registerGroup(pid: number): void {
  liveGroups.add(pid)
}

/** Called once the group is empty. */
export function forgetGroup(pid: number): void {
  liveGroups.delete(pid)
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
