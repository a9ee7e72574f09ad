// The embedded database's own thread: PGlite (Postgres compiled to WebAssembly) runs here, so a query's CPU time
// never stalls the gateway's event loop (design.md §7). Plain JavaScript: a worker thread does not get the TypeScript
// loader of its parent. The messages are typed in pglite-protocol.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'

const port = parentPort
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread only')

// Postgres's defaults are sized for a server of its own: 128 MB of shared buffers, which PGlite allocates (and touches)
// inside the WebAssembly memory, and a 64 MB maintenance_work_mem that a migration's CREATE INDEX grows the memory to;
// WebAssembly memory never shrinks. mcpo's database is tens of MB, and the operating system's page cache keeps its
// files in memory anyway, so a small buffer pool costs reads from that cache, not from disk.
const settings = ['shared_buffers=8MB', 'maintenance_work_mem=16MB']
const pg = new PGlite(workerData.dir, {
  pgliteWasmModule: workerData.wasm,
  startParams: [...PGlite.defaultStartParams, ...settings.flatMap((s) => ['-c', s])],
})

/** Open transactions by id: { tx, finish(commit), endId } (finish ends PGlite's callback: resolve commits). */
const open = new Map()
let nextTx = 1
/** Notification listeners by the main thread's number: the function that stops each. */
const listeners = new Map()

class RolledBack extends Error {}

/** The fields of a database error that sql.ts `toStorageError` reads, and nothing else. */
function wire(err) {
  if (typeof err !== 'object' || err === null) return { message: String(err) }
  const e = err
  const str = (v) => (typeof v === 'string' && v !== '' ? v : undefined)
  // Bind parameters (PGlite attaches them to errors) stay here: they may hold secrets and are not needed.
  return {
    message: str(e.message) ?? 'database error',
    name: str(e.name),
    code: str(e.code),
    constraint: str(e.constraint) ?? str(e.constraint_name),
    table: str(e.table) ?? str(e.table_name),
    column: str(e.column) ?? str(e.column_name),
    detail: str(e.detail),
  }
}

const reply = (msg) => port.postMessage(msg)
const fail = (id, err) => reply({ id, error: wire(err) })

function runner(txId) {
  if (txId === undefined) return pg
  const entry = open.get(txId)
  if (!entry) throw new Error(`transaction ${txId} is not open`)
  return entry.tx
}

function begin(id) {
  const txId = nextTx++
  let started = false
  // PGlite holds its one connection for the callback's lifetime; the main thread ends it with an `end`.
  pg.transaction(
    (tx) =>
      new Promise((resolve, reject) => {
        started = true
        open.set(txId, { tx, finish: (commit) => (commit ? resolve() : reject(new RolledBack())) })
        reply({ id, tx: txId })
      }),
  ).then(
    () => settle(txId, null),
    (err) => {
      // A failure before the callback ran (database closed) fails the begin itself.
      if (!started) fail(id, err)
      else settle(txId, err instanceof RolledBack ? null : err)
    },
  )
}

function settle(txId, err) {
  const endId = open.get(txId)?.endId
  open.delete(txId)
  if (endId === undefined) return
  if (err) fail(endId, err)
  else reply({ id: endId, done: true })
}

port.on('message', (msg) => {
  try {
    switch (msg.op) {
      case 'query':
        runner(msg.tx)
          .query(msg.text, msg.values)
          .then(
            (r) => reply({ id: msg.id, rows: r.rows }),
            (err) => fail(msg.id, err),
          )
        return
      case 'copy':
        runner(msg.tx)
          .query(msg.text, [], { blob: new Blob([msg.data]) })
          .then(
            () => reply({ id: msg.id, done: true }),
            (err) => fail(msg.id, err),
          )
        return
      case 'exec':
        runner(msg.tx)
          .exec(msg.text)
          .then(
            () => reply({ id: msg.id, done: true }),
            (err) => fail(msg.id, err),
          )
        return
      case 'begin':
        begin(msg.id)
        return
      case 'end': {
        const entry = open.get(msg.tx)
        if (!entry) throw new Error(`transaction ${msg.tx} is not open`)
        entry.endId = msg.id
        entry.finish(msg.commit)
        return
      }
      case 'listen':
        pg.listen(msg.channel, (payload) => port.postMessage({ listener: msg.listener, payload })).then(
          (stop) => {
            listeners.set(msg.listener, stop)
            reply({ id: msg.id, done: true })
          },
          (err) => fail(msg.id, err),
        )
        return
      case 'unlisten': {
        const stop = listeners.get(msg.listener)
        listeners.delete(msg.listener)
        Promise.resolve(stop?.()).then(
          () => reply({ id: msg.id, done: true }),
          (err) => fail(msg.id, err),
        )
        return
      }
      case 'close':
        pg.close().then(
          () => reply({ id: msg.id, done: true }),
          (err) => fail(msg.id, err),
        )
        return
    }
  } catch (err) {
    fail(msg.id, err)
  }
})

pg.waitReady.then(
  () => port.postMessage({ id: 0, done: true }),
  (err) => port.postMessage({ id: 0, error: wire(err) }),
)
