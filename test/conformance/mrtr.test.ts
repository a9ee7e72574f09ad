// M11 (protocol.md §11.3): a 2026-07-28 client in front of a 2025-era upstream that asks its client for input during a
// call (elicitation, sampling, roots). The client cannot be asked mid-call, so mcpo answers `input_required` with a
// signed `requestState` and resumes the waiting upstream call when the client retries with its answers. The upstream
// is the conformance suite's reference server over Streamable HTTP (a per-session remote upstream).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertNoLeftovers, OTHER_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { type ReferenceServer, startReferenceServer } from '../kit/conformance/reference-server.ts'

interface Answer {
  status: number
  body: {
    id: unknown
    result?: Record<string, unknown> & {
      resultType?: string
      inputRequests?: Record<string, { method: string; params?: unknown }>
      requestState?: string
      content?: { text?: string }[]
    }
    error?: { code: number; message: string }
  }
}

describe('M11: multi round-trip requests toward 2026-07-28 clients', { timeout: 120_000 }, () => {
  let reference: ReferenceServer | undefined
  let gw: TestGateway | undefined
  let url = ''

  before(async () => {
    reference = await startReferenceServer()
    gw = await startTestGateway({
      projects: [
        {
          id: 'demo',
          name: 'Demo',
          // Spoken to in the 2025 era on purpose: this file is about a 2025-era upstream asking a modern client.
          servers: [{ name: 'reference', transport: 'streamable-http', url: reference.url, protocol: 'legacy' }],
          apiKeys: [
            { name: 'test', key: TEST_KEY },
            { name: 'other', key: OTHER_KEY },
          ],
        },
      ],
    })
    url = `${gw.url}/projects/demo/servers/reference/mcp`
  })

  after(async () => {
    await gw?.close()
    reference?.stop()
    await assertNoLeftovers()
  })

  async function call(
    params: Record<string, unknown>,
    caps: Record<string, unknown>,
    key = TEST_KEY,
    id: number | string = 1,
  ): Promise<Answer> {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': String(params.name),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: {
          ...params,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': caps,
          },
        },
      }),
    })
    return { status: res.status, body: (await res.json()) as Answer['body'] }
  }

  const ask = { name: 'test_elicitation', arguments: { message: 'Your name?' } }

  it('answers input_required with the upstream request, then completes the call on the retry', async () => {
    const first = await call(ask, { elicitation: {} }, TEST_KEY, 1)
    assert.equal(first.status, 200)
    assert.equal(first.body.id, 1)
    assert.equal(first.body.result?.resultType, 'input_required', JSON.stringify(first.body))
    const requests = Object.entries(first.body.result?.inputRequests ?? {})
    assert.equal(requests.length, 1)
    const [key, request] = requests[0]
    assert.equal(request.method, 'elicitation/create')
    assert.equal((request.params as { message?: string }).message, 'Your name?')
    assert.equal(typeof first.body.result?.requestState, 'string')

    const second = await call(
      {
        ...ask,
        inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
        requestState: first.body.result?.requestState,
      },
      { elicitation: {} },
      TEST_KEY,
      2,
    )
    assert.equal(second.status, 200)
    assert.equal(second.body.id, 2, 'the answer carries the retry id')
    assert.equal(second.body.result?.resultType, 'complete')
    assert.match(second.body.result?.content?.[0]?.text ?? '', /action=accept.*Ada/)
  })

  it('asks only for what the client declared: without elicitation the upstream is refused at once', async () => {
    const started = Date.now()
    const res = await call(ask, {}, TEST_KEY, 3)
    assert.ok(Date.now() - started < 5000, 'the upstream did not wait for its timeout')
    assert.notEqual(res.body.result?.resultType, 'input_required')
    const text = JSON.stringify(res.body)
    assert.match(text, /not available|error/i, text)
  })

  it('refuses a tampered, foreign, reused or mismatched requestState with a clear error', async () => {
    const first = await call(ask, { elicitation: {} }, TEST_KEY, 4)
    const state = first.body.result?.requestState ?? ''
    const key = Object.keys(first.body.result?.inputRequests ?? {})[0]
    const responses = { [key]: { action: 'decline' } }

    const tampered = await call({ ...ask, inputResponses: responses, requestState: `${state}x` }, {}, TEST_KEY, 5)
    assert.equal(tampered.body.error?.code, -32602)
    assert.match(tampered.body.error?.message ?? '', /integrity/)

    const foreign = await call({ ...ask, inputResponses: responses, requestState: state }, {}, OTHER_KEY, 6)
    assert.equal(foreign.body.error?.code, -32602)
    assert.match(foreign.body.error?.message ?? '', /another client/)

    const otherArgs = await call(
      { name: 'test_elicitation', arguments: { message: 'changed' }, inputResponses: responses, requestState: state },
      {},
      TEST_KEY,
      7,
    )
    assert.equal(otherArgs.body.error?.code, -32602)
    assert.match(otherArgs.body.error?.message ?? '', /different request/)

    const good = await call({ ...ask, inputResponses: responses, requestState: state }, {}, TEST_KEY, 8)
    assert.equal(good.body.result?.resultType, 'complete', JSON.stringify(good.body))
    assert.match(good.body.result?.content?.[0]?.text ?? '', /action=decline/)

    const reused = await call({ ...ask, inputResponses: responses, requestState: state }, {}, TEST_KEY, 9)
    assert.equal(reused.body.error?.code, -32602)
    assert.match(reused.body.error?.message ?? '', /no longer waiting/)
  })

  it('a sampling request round-trips the same way', async () => {
    const first = await call({ name: 'test_sampling', arguments: { prompt: 'Say hi' } }, { sampling: {} }, TEST_KEY, 10)
    assert.equal(first.body.result?.resultType, 'input_required', JSON.stringify(first.body))
    const [key, request] = Object.entries(first.body.result?.inputRequests ?? {})[0]
    assert.equal(request.method, 'sampling/createMessage')
    const second = await call(
      {
        name: 'test_sampling',
        arguments: { prompt: 'Say hi' },
        // The reference server's 2025-era test_sampling validates the result against a schema that wants a `method`
        // member (a quirk of that fixture); carrying one changes nothing for mcpo, which passes the result on as is.
        inputResponses: {
          [key]: {
            role: 'assistant',
            content: { type: 'text', text: 'hi there' },
            model: 'm',
            stopReason: 'endTurn',
            method: 'sampling/createMessage',
          },
        },
        requestState: first.body.result?.requestState,
      },
      { sampling: {} },
      TEST_KEY,
      11,
    )
    assert.equal(second.body.result?.resultType, 'complete', JSON.stringify(second.body))
    assert.match(JSON.stringify(second.body.result?.content), /hi there/)
  })
})
