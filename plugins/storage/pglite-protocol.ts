// The messages between the gateway's thread and the embedded database's thread (pglite-worker.mjs).

/** Main thread → worker. `tx` names an open transaction; without it the statement runs on its own. */
export type WorkerRequest =
  | { op: 'query'; id: number; text: string; values: unknown[]; tx?: number }
  | { op: 'exec'; id: number; text: string; tx?: number }
  /** `COPY … FROM '/dev/blob'` with `data` (COPY's text format) as the blob. */
  | { op: 'copy'; id: number; text: string; data: string; tx?: number }
  | { op: 'begin'; id: number }
  | { op: 'end'; id: number; tx: number; commit: boolean }
  | { op: 'close'; id: number }
  | { op: 'listen'; id: number; channel: string; listener: number }
  | { op: 'unlisten'; id: number; listener: number }

/** The fields of a database error that storage error mapping reads (sql.ts `toStorageError`). */
export interface WireError {
  message: string
  name?: string
  code?: string
  constraint?: string
  table?: string
  column?: string
  detail?: string
}

/** Worker → main thread: the answer to request `id`, or the start-up outcome (`id` 0). */
export type WorkerReply =
  | { id: number; rows: Record<string, unknown>[] }
  | { id: number; tx: number }
  | { id: number; done: true }
  | { id: number; error: WireError }

/** Worker → main thread, unasked: a notification on the channel of a `listen` request. */
export interface WorkerNotification {
  listener: number
  payload: string
}
