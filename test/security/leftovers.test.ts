// The resource-hygiene check itself: it names a child process that outlives its test, and passes once it is gone.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { it } from 'node:test'
import { assertNoLeftovers } from '../harness.ts'

it('assertNoLeftovers fails while a child lives and passes after it exits', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  try {
    await assert.rejects(assertNoLeftovers(200), /left behind: 1 child process.*setTimeout/)
  } finally {
    child.kill('SIGKILL')
  }
  await new Promise((r) => child.once('exit', r))
  await assertNoLeftovers()
})
