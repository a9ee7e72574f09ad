// The main thread's side of the embedded database: a Driver whose statements run in pglite-worker.mjs. Requests are
// numbered; the worker answers each once. The worker keeps the process alive only while a request is in flight, so
// an idle store never holds a CLI or a test open.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { GatewayError } from '../contract.ts'
import type { WireError, WorkerNotification, WorkerReply, WorkerRequest } from './pglite-protocol.ts'
import { copyStatement, type Driver, type Row } from './sql.ts'

type Pending = { resolve(reply: WorkerReply): void; reject(err: unknown): void }
// Distributive, so each request keeps its own fields once `id` is taken off.
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never

/** Rebuilds a worker-side database error with the fields sql.ts maps to GatewayErrors. */
function revive(e: WireError): Error {
  const err = new Error(e.message) as Error & Omit<WireError, 'message'>
  if (e.name) err.name = e.name
  for (const key of ['code', 'constraint', 'table', 'column', 'detail'] as const) if (e[key]) err[key] = e[key]
  return err
}

// Compiling PGlite's 9 MB of WebAssembly takes about a second; every store of the process shares one compiled module
// (a WebAssembly.Module crosses to a worker without being recompiled).
let compiled: Promise<WebAssembly.Module> | null = null
function pgliteModule(): Promise<WebAssembly.Module> {
  compiled ??= readFile(new URL('pglite.wasm', import.meta.resolve('@electric-sql/pglite'))).then((bytes) =>
    WebAssembly.compile(bytes),
  )
  return compiled
}

/** Creates the database in `dir` in a child process (pglite-initdb.mjs says why), resolving when it is on disk. */
function initdb(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own flags only: the gateway's (--import tsx, --inspect, --cpu-prof) are not for this plain script.
    const child = spawn(process.execPath, [fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url)), dir], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000)
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`creating the database failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`))
    })
  })
}

export class PgliteThread {
  /** Settles when the database is open (initdb done on first start), or fails with its error. */
  readonly ready: Promise<void>
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private dead: Error | null = null
  private readonly listeners = new Map<number, (payload: string) => void>()
  private nextListener = 1

  /** Starts the thread; `open` resolves once it runs (the compiled module is ready). */
  static async start(dir: string): Promise<PgliteThread> {
    // The module compiles on V8's background threads while the child creates the database.
    const wasm = pgliteModule()
    wasm.catch(() => {
      // Awaited below; a failure there is the one reported.
    })
    if (!existsSync(join(dir, 'PG_VERSION'))) await initdb(dir)
    return new PgliteThread(dir, await wasm)
  }

  private constructor(dir: string, wasm: WebAssembly.Module) {
    // No inherited flags: the worker is plain JavaScript, and flags such as --input-type would stop it loading.
    this.worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
      workerData: { dir, wasm },
      execArgv: [],
      // The thread allocates little at a time (statements and their rows); at V8's default young generation it grew
      // to tens of MB of semi-spaces that an idle gateway kept resident (about 50 MB of its RSS).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    })
    // Request 0 is the start-up: the worker stays referenced until it answers.
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject })
    })
    this.worker.on('message', (msg: WorkerReply | WorkerNotification) => {
      if ('listener' in msg) this.listeners.get(msg.listener)?.(msg.payload)
      else this.answer(msg)
    })
    this.worker.on('error', (err) => this.fail(err))
    this.worker.on('exit', (code) => this.fail(new Error(`the embedded database thread exited (code ${code})`)))
  }

  request(msg: Request): Promise<WorkerReply> {
    if (this.dead) {
      return Promise.reject(
        new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', 'the embedded database is closed', { cause: this.dead }),
      )
    }
    const id = this.nextId++
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ ...msg, id })
    })
  }

  /** Calls `onMessage` for each notification on `channel` until the returned function is called. */
  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = this.nextListener++
    this.listeners.set(listener, onMessage)
    try {
      await this.request({ op: 'listen', channel, listener })
    } catch (err) {
      this.listeners.delete(listener)
      throw err
    }
    return async () => {
      if (!this.listeners.delete(listener) || this.dead) return
      await this.request({ op: 'unlisten', listener })
    }
  }

  async close(): Promise<void> {
    if (this.dead) return
    try {
      await this.request({ op: 'close' })
    } finally {
      this.dead ??= new Error('closed')
      await this.worker.terminate()
    }
  }

  private answer(reply: WorkerReply): void {
    const waiting = this.pending.get(reply.id)
    if (!waiting) return
    this.pending.delete(reply.id)
    if (this.pending.size === 0) this.worker.unref()
    if ('error' in reply) waiting.reject(revive(reply.error))
    else waiting.resolve(reply)
  }

  private fail(err: Error): void {
    this.dead ??= err
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id)
      waiting.reject(
        new GatewayError('MCPO_ERR_STORAGE_UNAVAILABLE', 'the embedded database is unavailable', { cause: err }),
      )
    }
    this.worker.unref()
  }
}

/** A Driver over the worker; `tx` set means every statement runs inside that open transaction. */
export function threadDriver(
  thread: PgliteThread,
  textOf: (s: TemplateStringsArray) => string,
  tx?: number,
): Driver & Required<Pick<Driver, 'copyIn'>> {
  return {
    inTransaction: tx !== undefined,
    async query(strings, values) {
      const reply = await thread.request({ op: 'query', text: textOf(strings), values, tx })
      return (reply as { rows: Row[] }).rows
    },
    async unsafe(text) {
      await thread.request({ op: 'exec', text, tx })
    },
    async copyIn(table, columns, data) {
      await thread.request({ op: 'copy', text: copyStatement(table, columns, "'/dev/blob'"), data, tx })
    },
    async begin(fn) {
      if (tx !== undefined) throw new GatewayError('MCPO_ERR_INTERNAL', 'begin() inside a transaction; use a savepoint')
      const started = (await thread.request({ op: 'begin' })) as { tx: number }
      let result: Awaited<ReturnType<typeof fn>>
      try {
        result = await fn(threadDriver(thread, textOf, started.tx))
      } catch (err) {
        await thread.request({ op: 'end', tx: started.tx, commit: false }).catch(() => {
          // The rollback's own failure (database gone) adds nothing to the error being thrown.
        })
        throw err
      }
      await thread.request({ op: 'end', tx: started.tx, commit: true })
      return result
    },
  }
}
