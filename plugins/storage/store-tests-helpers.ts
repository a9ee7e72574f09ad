// Helpers shared by the storage contract suite's files.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { type ErrorCode, isGatewayError } from '../contract.ts'
import type { Store } from './port.ts'

export type GetStore = () => Store

/** A short random suffix: tests share one database, so names must not collide. */
export function uid(): string {
  return randomBytes(5).toString('hex')
}

/** Asserts that `promise` rejects with a GatewayError of this code (and field, when given). */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isGatewayError(err), `expected a GatewayError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    if (field !== undefined) assert.equal(err.details?.field, field)
    return true
  })
}
