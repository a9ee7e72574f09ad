// First start of the embedded database, in a process of its own: PGlite's initdb loads a second WebAssembly build and
// copies a whole data directory through memory, and neither a worker thread nor the heap gives that memory back to
// the system afterwards (an idle gateway kept ~900 MB of RSS after its first start, ~250 MB after a restart). Exiting
// returns all of it. Plain JavaScript, run with `node pglite-initdb.mjs <dir>` by pglite-thread.ts.
import { PGlite } from '@electric-sql/pglite'

// Stop with the gateway that started this: a second gateway may take the data directory over once the first is gone.
process.on('disconnect', () => process.exit(70))

// PGlite starts Postgres once the database exists; the small buffer pool of pglite-worker.mjs spares that start
// touching 128 MB it would only give back at exit.
const pg = new PGlite(process.argv[2], {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'],
})
await pg.waitReady
await pg.close()
// The IPC channel would keep this process running.
process.exit(0)
