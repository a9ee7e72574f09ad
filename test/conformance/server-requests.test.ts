// L1 (protocol.md §11.3): a per-session upstream's server→client request reaches its 2025-era client on the stream of
// the request that caused it (a Streamable POST stream, no GET stream needed); a cancel the upstream sends for it is
// mapped to the id the client saw; and with no stream open at all the upstream is refused at once.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertNoLeftovers, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { INIT_PARAMS, StreamableClient, textOf } from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep } from '../kit/waiting.ts'

/**
 * A stdio upstream whose `ask_then_cancel` tool sends elicitation/create, cancels it 150 ms later, and then answers;
 * `ask` waits for the client's answer and returns it, or the error it got.
 */
const asker = (log: string) => `
const LOG = ${JSON.stringify(log)}
const rl = require('node:readline').createInterface({ input: process.stdin })
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n')
const waiting = new Map()
const asked = new Map()
rl.on('line', (line) => {
  const m = JSON.parse(line)
  if (m.method === 'initialize') return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'asker', version: '1' } } })
  if (m.method === 'tools/list') return send({ jsonrpc: '2.0', id: m.id, result: { tools: [
    { name: 'ask', inputSchema: { type: 'object' } }, { name: 'ask_then_cancel', inputSchema: { type: 'object' } },
    { name: 'ask_later', inputSchema: { type: 'object' } } ] } })
  if (m.method === 'tools/call') {
    const q = 'q' + m.id
    const ask = () => {
      asked.set(q, Date.now())
      send({ jsonrpc: '2.0', id: q, method: 'elicitation/create', params: { message: 'colour?', requestedSchema: { type: 'object', properties: {} } } })
    }
    if (m.params.name === 'ask_later') setTimeout(ask, 300)
    else ask()
    if (m.params.name === 'ask_then_cancel') {
      setTimeout(() => {
        send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: q, reason: 'changed my mind' } })
        send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'gave up asking' }] } })
      }, 150)
    } else waiting.set(q, m.id)
    return
  }
  if (m.id !== undefined && m.method === undefined && asked.has(m.id)) {
    require('node:fs').appendFileSync(LOG, JSON.stringify({ id: m.id, ms: Date.now() - asked.get(m.id), answer: m.result ?? m.error }) + '\\n')
  }
  if (m.id !== undefined && m.method === undefined && waiting.has(m.id)) {
    const id = waiting.get(m.id)
    waiting.delete(m.id)
    send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: JSON.stringify(m.result ?? m.error) }] } })
  }
})
`

describe('L1: server→client requests toward 2025-era clients', { timeout: 60_000 }, () => {
  let gw: TestGateway | undefined
  const clients: StreamableClient[] = []
  const answers = tempDir('asker')

  before(async () => {
    gw = await startTestGateway({
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          apiKeys: [{ name: 'test', key: TEST_KEY }],
          servers: [
            { ...fixtureServer('fxp'), isolation: 'per-session' },
            {
              name: 'asker',
              transport: 'stdio',
              command: process.execPath,
              args: ['-e', asker(join(answers.path, 'answers.jsonl'))],
              isolation: 'per-session',
            },
          ],
        },
      ],
    })
  })

  after(async () => {
    for (const c of clients) await c.close().catch(() => {})
    await gw?.close()
    answers.cleanup()
    await assertNoLeftovers()
  })

  async function connect(server: string): Promise<StreamableClient> {
    const c = await StreamableClient.connect(`${gw?.url}/projects/demo/servers/${server}/mcp`, gw?.auth ?? {}, {
      ...INIT_PARAMS,
      capabilities: { elicitation: {} },
    })
    clients.push(c)
    return c
  }

  it('an elicitation reaches the client on the POST stream of the call that caused it, and its answer completes the call', async () => {
    const c = await connect('fxp')
    const { status, stream } = await c.postStream({
      jsonrpc: '2.0',
      id: 11,
      method: 'tools/call',
      params: { name: 'ask', arguments: { mode: 'elicitation' } },
    })
    assert.equal(status, 200)
    const asked = await stream.waitMessage((m) => m.method === 'elicitation/create', 10_000)
    assert.equal(typeof asked.id, 'string', 'mcpo asks under an id of its own')
    const answered = await c.post({
      jsonrpc: '2.0',
      id: asked.id,
      result: { action: 'accept', content: { color: 'red' } },
    })
    assert.equal(answered.status, 202)
    const result = await stream.response(11, 10_000)
    assert.deepEqual(JSON.parse(textOf(result.result as { content?: unknown }) ?? '{}'), {
      action: 'accept',
      content: { color: 'red' },
    })
  })

  it("the upstream's cancel of its own request reaches the client under the id the client saw", async () => {
    const c = await connect('asker')
    const { stream } = await c.postStream({
      jsonrpc: '2.0',
      id: 12,
      method: 'tools/call',
      params: { name: 'ask_then_cancel', arguments: {} },
    })
    const asked = await stream.waitMessage((m) => m.method === 'elicitation/create', 10_000)
    const cancel = await stream.waitMessage((m) => m.method === 'notifications/cancelled', 5000)
    assert.deepEqual(cancel.params, { requestId: asked.id, reason: 'changed my mind' })
    const result = await stream.response(12, 5000)
    assert.equal(textOf(result.result as { content?: unknown }), 'gave up asking')
    // The client's late answer is dropped, not sent to the upstream under a stale id.
    const late = await c.post({ jsonrpc: '2.0', id: asked.id, result: { action: 'decline' } })
    assert.equal(late.status, 202)
  })

  it('with no stream open to the client, the upstream is refused at once instead of waiting for its timeout', async () => {
    const c = await connect('asker')
    // The client gives up on its POST (and has no GET stream) before the upstream asks, 300 ms into the call.
    const abort = new AbortController()
    const posted = fetch(c.url, {
      method: 'POST',
      headers: {
        ...gw?.auth,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-session-id': c.sessionId ?? '',
        'mcp-protocol-version': c.protocolVersion ?? '',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 13,
        method: 'tools/call',
        params: { name: 'ask_later', arguments: {} },
      }),
      signal: abort.signal,
    }).catch(() => null)
    await sleep(100)
    abort.abort()
    await posted
    const log = join(answers.path, 'answers.jsonl')
    let lines: { id: string; ms: number; answer: { code?: number; message?: string } }[] = []
    for (let i = 0; i < 50 && lines.length === 0; i++) {
      await sleep(100)
      lines = existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : []
    }
    const refused = lines.find((l) => l.id === 'q13' || l.id.startsWith('q'))
    assert.ok(refused, `the upstream got an answer: ${JSON.stringify(lines)} ${existsSync(log)}`)
    assert.match(refused.answer.message ?? '', /no open stream/)
    assert.ok(refused.ms < 1000, `answered after ${refused.ms} ms`)
  })
})
