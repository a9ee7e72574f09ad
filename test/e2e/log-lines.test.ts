// Log lines name each field once (issue 17 point 7): a server's lines are written through a logger already bound to
// its project and server, and used to add `server` again (`"server":"broken","server":"broken"`), which log
// pipelines read as two fields or reject.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { createLogger } from '../../gateway/logger.ts'
import { fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { bearer, StreamableClient } from '../kit/mcp-wire.ts'

const lines: string[] = []
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean))
    done()
  },
})

let gw: TestGateway
before(async () => {
  gw = await startTestGateway(
    {
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          servers: [
            fixtureServer(),
            { name: 'broken', transport: 'stdio', command: process.execPath, args: ['-e', 'process.exit(3)'] },
          ],
          apiKeys: [{ name: 'k', key: TEST_KEY }],
        },
      ],
    },
    { logger: createLogger('debug', sink) },
  )
})
after(() => gw?.close())

/** Top-level keys of one JSON log line, in order, duplicates kept (JSON.parse would merge them). */
function keysOf(line: string): string[] {
  const keys: string[] = []
  let depth = 0
  let inString = false
  let start = -1
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') {
        inString = false
        if (depth === 1 && start >= 0 && line[i + 1] === ':') keys.push(line.slice(start, i))
        start = -1
      }
    } else if (c === '"') {
      inString = true
      start = i + 1
    } else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return keys
}

describe('log lines', () => {
  it('name each field once, for servers that fail, exit and get called', async () => {
    const client = new StreamableClient(`${gw.url}/projects/demo/servers/broken/mcp`, bearer(TEST_KEY))
    await client.initialize()
    await client.call(1, 'anything').catch(() => null)
    const fixture = new StreamableClient(`${gw.url}/projects/demo/servers/fixture/mcp`, bearer(TEST_KEY))
    await fixture.initialize()
    await fixture.call(2, 'echo', { message: 'hi' })
    await client.close()
    await fixture.close()
    const serverLines = lines.filter((l) => l.includes('"server":'))
    assert.ok(
      serverLines.some((l) => l.includes('"server":"broken"')),
      'the broken server logged something',
    )
    for (const line of lines) {
      const keys = keysOf(line)
      assert.equal(new Set(keys).size, keys.length, `a key repeats in ${line}`)
    }
  })
})
