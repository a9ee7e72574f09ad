// kill -9 during writes: every transaction the embedded store reported as committed is there after a restart.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, it } from 'node:test'
import { openEmbeddedStore } from '../../plugins/storage/embedded.ts'
import { templateDataDir } from '../harness.ts'

const dir = mkdtempSync(join(tmpdir(), 'mcpo-durable-'))
after(() => rmSync(dir, { recursive: true, force: true }))

it('keeps every committed write across kill -9 of the writer, twice in a row', async () => {
  cpSync(await templateDataDir(), dir, { recursive: true })
  const committed: string[] = []
  for (let round = 0; round < 2; round++) {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../fixtures/crash-writer.ts'), dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    try {
      let buffered = ''
      await new Promise<void>((resolve, reject) => {
        let writes = 0
        child.stdout.on('data', (chunk) => {
          buffered += chunk
          const lines = buffered.split('\n')
          buffered = lines.pop() ?? ''
          for (const line of lines) {
            if (line.startsWith('crash-')) {
              committed.push(line)
              // Kill in the middle of the stream of writes, not at a quiet moment.
              if (++writes === 40) {
                child.kill('SIGKILL')
                resolve()
              }
            }
          }
        })
        child.on('exit', () => resolve())
        child.on('error', reject)
      })
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null)))
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }
  assert.ok(committed.length >= 80, `only ${committed.length} writes were reported`)
  const store = await openEmbeddedStore({ dir })
  try {
    const projects = new Set((await store.projects.list({ includeArchived: true })).map((p) => p.id))
    const missing = committed.filter((slug) => !projects.has(slug))
    assert.deepEqual(missing, [], `${missing.length} of ${committed.length} committed writes were lost`)
    for (const slug of committed.slice(0, 5)) assert.ok(await store.teams.getBySlug(slug))
  } finally {
    await store.close()
  }
})
