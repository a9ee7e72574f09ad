// Contract tests for making the first admin: set-up tokens (any one works once, and using it voids the rest) and the
// first-admin lock that makes concurrent transactions decide one at a time.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Store } from './port.ts'
import { type GetStore, uid } from './store-tests-helpers.ts'

export function setupTests(get: GetStore): void {
  describe('first-admin set-up', () => {
    const hash = () => `h-${uid()}`
    /** Uses a token as the set-up route does: under the lock, in a transaction. */
    const use = (s: Store, h: string) =>
      s.transaction(async (tx) => {
        await tx.setup.lock()
        return tx.setup.consumeToken(h)
      })

    it('stores tokens; a wrong one changes nothing; a right one works once and voids the others', async () => {
      const s = get()
      await s.setup.clearTokens()
      assert.equal(await s.setup.hasToken(), false)
      const [a, b] = [hash(), hash()]
      await s.setup.addToken(a)
      await s.setup.addToken(a)
      await s.setup.addToken(b)
      assert.equal(await s.setup.hasToken(), true)
      assert.equal(await s.setup.consumeToken(hash()), false)
      assert.equal(await s.setup.hasToken(), true)
      assert.equal(await s.setup.consumeToken(b), true)
      assert.equal(await s.setup.hasToken(), false)
      assert.equal(await s.setup.consumeToken(b), false, 'used')
      assert.equal(await s.setup.consumeToken(a), false, 'voided by the first use')
    })

    it('a lone token is used once, and clearTokens counts what it deletes', async () => {
      const s = get()
      const a = hash()
      await s.setup.addToken(a)
      assert.equal(await s.setup.consumeToken(a), true)
      await s.setup.addToken(hash())
      await s.setup.addToken(hash())
      assert.equal(await s.setup.clearTokens(), 2)
      assert.equal(await s.setup.hasToken(), false)
    })

    it('concurrent uses, of one token or of several, succeed exactly once', async () => {
      const s = get()
      const a = hash()
      await s.setup.addToken(a)
      const same = await Promise.all([use(s, a), use(s, a), use(s, a)])
      assert.deepEqual(same.filter(Boolean).length, 1, `${same}`)
      const tokens = [hash(), hash(), hash()]
      for (const t of tokens) await s.setup.addToken(t)
      const several = await Promise.all(tokens.map((t) => use(s, t)))
      assert.deepEqual(several.filter(Boolean).length, 1, `${several}`)
      assert.equal(await s.setup.hasToken(), false)
    })

    it('the lock queues transactions until the holder commits', async () => {
      const s = get()
      const order: string[] = []
      let held!: () => void
      const holding = new Promise<void>((r) => {
        held = r
      })
      const first = s.transaction(async (tx) => {
        await tx.setup.lock()
        held()
        await new Promise((r) => setTimeout(r, 200))
        order.push('first done')
      })
      await holding
      const second = s.transaction(async (tx) => {
        await tx.setup.lock()
        order.push('second locked')
      })
      await Promise.all([first, second])
      assert.deepEqual(order, ['first done', 'second locked'])
    })
  })
}
