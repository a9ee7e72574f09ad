// Flow control: a client that stops reading is cut off without hurting others, and session caps hold.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { everythingServer, OTHER_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({
    limits: { outboundBufferBytes: 256 * 1024, sessionsPerKey: 3, sessionsPerProject: 4 },
    projects: [
      {
        id: 'demo',
        name: 'Demo',
        servers: [everythingServer()],
        apiKeys: [
          { name: 'a', key: TEST_KEY },
          { name: 'b', key: OTHER_KEY },
        ],
      },
    ],
  })
})
after(() => gw?.close())

const ssePath = '/projects/demo/servers/everything/sse'

/** A legacy SSE client on a raw socket, so the test decides when (or whether) it reads. */
function rawSse(key: string): Promise<{ socket: Socket; sessionId: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, '127.0.0.1')
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    let text = ''
    socket.on('error', () => {})
    socket.write(
      `GET ${ssePath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nAccept: text/event-stream\r\n\r\n`,
    )
    const onData = (chunk: Buffer) => {
      text += chunk
      const m = /sessionId=([0-9a-f-]{36})/.exec(text)
      if (m) {
        socket.off('data', onData)
        resolve({ socket, sessionId: m[1], closed })
      } else if (/^HTTP\/1\.1 [45]/.test(text)) reject(new Error(text.split('\r\n')[0]))
    }
    socket.on('data', onData)
  })
}

async function post(sessionId: string, body: unknown, key = TEST_KEY): Promise<number> {
  const res = await fetch(`${gw.url}/projects/demo/servers/everything/messages?sessionId=${sessionId}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  await res.arrayBuffer()
  return res.status
}

describe('flow control', () => {
  it('closes a session whose client stopped reading; other sessions keep working', async () => {
    const stalled = await rawSse(TEST_KEY)
    const healthy = await rawSse(TEST_KEY)
    let healthyBytes = 0
    healthy.socket.on('data', (c) => {
      healthyBytes += c.length
    })
    stalled.socket.pause()
    const big = 'x'.repeat(200_000)
    let status = 202
    let sent = 0
    // The kernel's socket buffers take several MB before uWS has to hold anything for the stalled client.
    for (; sent < 400 && status === 202; sent++) {
      status = await post(stalled.sessionId, {
        jsonrpc: '2.0',
        id: sent,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: big } },
      })
      if (sent % 20 === 19) await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(status, 404, `the stalled session should have been closed (sent ${sent} large replies)`)
    // The healthy session is untouched and still answers.
    assert.equal(await post(healthy.sessionId, { jsonrpc: '2.0', id: 1, method: 'ping' }), 202)
    await new Promise((r) => setTimeout(r, 200))
    assert.ok(healthyBytes > 0)
    stalled.socket.destroy()
    healthy.socket.destroy()
    await Promise.all([stalled.closed, healthy.closed])
  })

  it('caps sessions per key and per project with 429', async () => {
    const open: Socket[] = []
    try {
      for (let i = 0; i < 3; i++) open.push((await rawSse(TEST_KEY)).socket)
      await assert.rejects(rawSse(TEST_KEY), /429/)
      open.push((await rawSse(OTHER_KEY)).socket)
      await assert.rejects(rawSse(OTHER_KEY), /429/, 'the project has 4 sessions: its cap')
    } finally {
      for (const s of open) s.destroy()
    }
    await new Promise((r) => setTimeout(r, 100))
    const again = await rawSse(TEST_KEY)
    again.socket.destroy()
  })
})
