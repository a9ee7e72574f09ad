import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import type { Dispatcher } from 'undici'
import { isGatewayError } from '../errors.ts'
import { bodySnippet, readCapped } from './http-common.ts'

/** An endless body of 1 KiB chunks that counts how many were pulled from it. */
function endless() {
  const state = { pulled: 0, destroyed: false }
  const chunk = Buffer.alloc(1024, 'x')
  const body = new Readable({
    read() {
      state.pulled++
      this.push(chunk)
    },
    destroy(err, cb) {
      state.destroyed = true
      cb(err)
    },
  })
  return { body: body as unknown as Dispatcher.ResponseData['body'], state }
}

describe('bounded reads of upstream bodies', () => {
  it('bodySnippet reads a few KB of an endless body, then drops it', async () => {
    const { body, state } = endless()
    const text = await bodySnippet(body, 100)
    assert.match(text, /^x{100}… \(4096 chars\)$/)
    assert.ok(state.pulled < 64, `${state.pulled} KiB pulled`)
    assert.ok(state.destroyed)
  })

  it('readCapped stops at the cap, and trusts a declared length without reading', async () => {
    const { body, state } = endless()
    const res = { headers: {}, body } as unknown as Dispatcher.ResponseData
    await assert.rejects(
      readCapped(res, 64 * 1024),
      (err) => isGatewayError(err) && /larger than 65536 bytes/.test(err.message),
    )
    assert.ok(state.pulled < 64 + 32 && state.destroyed, `${state.pulled} KiB pulled`)
    const declared = endless()
    const big = {
      headers: { 'content-length': String(2 ** 40) },
      body: declared.body,
    } as unknown as Dispatcher.ResponseData
    await assert.rejects(readCapped(big, 16 * 1024 * 1024), /larger than 16 MiB/)
    assert.equal(declared.state.pulled, 0)
    const small = { headers: {}, body: Readable.from([Buffer.from('{"a":'), Buffer.from('"é"}')]) }
    assert.equal(await readCapped(small as unknown as Dispatcher.ResponseData, 1024), '{"a":"é"}')
  })
})
