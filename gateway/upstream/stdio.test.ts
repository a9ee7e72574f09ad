import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { findProcesses, listDescendants, listProcessGroup, pidAlive, waitFor } from '../../test/fixtures/processes.ts'
import { firstText, RpcPeer } from '../../test/fixtures/rpc-peer.ts'
import { isGatewayError } from '../errors.ts'
import { LineBuffer } from './line-buffer.ts'
import {
  childEnvironment,
  killAllProcessGroupsSync,
  killProcessGroup,
  liveProcessGroups,
  StdioTransport,
  type StdioTransportOptions,
} from './stdio.ts'
import type { TransportLogger } from './transport.ts'

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/fixture-server.ts', import.meta.url))
const EVERYTHING = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
)

// Every transport a test creates is closed in `after`, even when an assertion failed half-way.
const open = new Set<StdioTransport>()
after(async () => {
  await Promise.all([...open].map((t) => t.close()))
  assert.deepEqual([...liveProcessGroups()], [], 'no process group outlives the tests')
})

function transport(options: StdioTransportOptions): StdioTransport {
  const t = new StdioTransport({ stopTimeoutMs: 150, ...options })
  open.add(t)
  return t
}

function fixture(...args: string[]): StdioTransport {
  return transport({ command: process.execPath, args: ['--import', 'tsx', FIXTURE, ...args] })
}

function recordingLogger(): TransportLogger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = []
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg })
    }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

describe('LineBuffer framing', () => {
  const collect = (maxLineBytes = 1024) => {
    const lines: string[] = []
    const oversize: number[] = []
    const buffer = new LineBuffer({ maxLineBytes, online: (l) => lines.push(l), onoversize: (n) => oversize.push(n) })
    return { lines, oversize, buffer }
  }

  test('splits across every possible chunk boundary, strips CRLF', () => {
    const input = Buffer.from('{"a":1}\r\n{"b":"é✓"}\n\n{"c":3}\n')
    for (let cut = 0; cut <= input.length; cut++) {
      const { lines, buffer } = collect()
      buffer.push(input.subarray(0, cut))
      buffer.push(input.subarray(cut))
      assert.deepEqual(lines, ['{"a":1}', '{"b":"é✓"}', '', '{"c":3}'], `cut at ${cut}`)
    }
  })

  test('byte by byte', () => {
    const { lines, buffer } = collect()
    for (const byte of Buffer.from('{"x":"y"}\n{"z":1}\n')) buffer.push(Buffer.from([byte]))
    assert.deepEqual(lines, ['{"x":"y"}', '{"z":1}'])
  })

  test('drops an oversized line whole and keeps going', () => {
    const { lines, oversize, buffer } = collect(10)
    buffer.push(Buffer.from('0123456789'))
    buffer.push(Buffer.from('abc\nok\n'))
    assert.deepEqual(lines, ['ok'])
    assert.deepEqual(oversize, [13])
  })

  test('end() flushes a last line without newline', () => {
    const { lines, buffer } = collect()
    buffer.push(Buffer.from('{"last":true}'))
    buffer.end()
    assert.deepEqual(lines, ['{"last":true}'])
  })
})

describe('StdioTransport with the fixture', () => {
  test('initialize, tools/list (3 pages), echo, slow with progress, non-JSON line dropped', async () => {
    const log = recordingLogger()
    const t = new StdioTransport({
      command: process.execPath,
      args: ['--import', 'tsx', FIXTURE, '--pages', '3'],
      logger: log,
      stopTimeoutMs: 500,
    })
    open.add(t)
    const peer = new RpcPeer(t)
    const raw: string[] = []
    const deliver = t.onmessage!
    t.onmessage = (m) => {
      raw.push(m)
      deliver(m)
    }
    await t.start()
    assert.ok(t.pid && pidAlive(t.pid))
    const init = await peer.initialize()
    assert.equal((init.serverInfo as { name: string }).name, 'mcpo-fixture')

    const names: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await peer.request('tools/list', cursor ? { cursor } : {})
      names.push(...(page.tools as { name: string }[]).map((tool) => tool.name))
      cursor = page.nextCursor as string | undefined
      pages++
    } while (cursor)
    assert.equal(pages, 3)
    assert.ok(names.includes('echo') && names.includes('slow') && names.includes('garbage'))

    assert.equal(
      firstText(await peer.request('tools/call', { name: 'echo', arguments: { message: 'hi' } })),
      'Echo: hi',
    )

    const slow = await peer.request('tools/call', {
      name: 'slow',
      arguments: { steps: 3, ms: 30 },
      _meta: { progressToken: 'tok-1' },
    })
    assert.equal(firstText(slow), 'done')
    const progress = peer.received.filter((m) => m.method === 'notifications/progress')
    assert.deepEqual(
      progress.map((m) => [m.params?.progressToken, m.params?.progress]),
      [
        ['tok-1', 1],
        ['tok-1', 2],
        ['tok-1', 3],
      ],
    )

    const garbage = await peer.request('tools/call', { name: 'garbage', arguments: {} })
    assert.equal(firstText(garbage), 'answered after garbage')
    assert.ok(
      raw.every((m) => m.startsWith('{')),
      'only JSON objects are delivered',
    )
    assert.ok(log.lines.some((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('this line is not JSON')))
    // The session still works after the garbage line.
    assert.equal(
      firstText(await peer.request('tools/call', { name: 'echo', arguments: { message: 'again' } })),
      'Echo: again',
    )

    await peer.request('tools/call', { name: 'notify', arguments: { uri: 'fixture://hello' } })
    await peer.waitFor((m) => m.method === 'notifications/tools/list_changed')
    const updated = await peer.waitFor((m) => m.method === 'notifications/resources/updated')
    assert.equal(updated.params?.uri, 'fixture://hello')
    const ask = await peer.request('tools/call', { name: 'ask', arguments: {} })
    assert.equal(ask.isError, true, 'this peer answers elicitation/create with -32601')

    const pid = t.pid!
    await t.close()
    assert.equal(pidAlive(pid), false)
    assert.equal(liveProcessGroups().has(pid), false)
  })

  test('a crash reaches onclose with MCPO_ERR_UPSTREAM_CLOSED and the exit code', async () => {
    const t = fixture()
    const peer = new RpcPeer(t)
    await t.start()
    await peer.initialize()
    const call = peer.request('tools/call', { name: 'crash', arguments: {} })
    const reason = await peer.closed
    assert.ok(isGatewayError(reason, 'MCPO_ERR_UPSTREAM_CLOSED'))
    assert.match(reason.message, /process exited with code 3/)
    assert.equal(liveProcessGroups().has(t.pid!), false)
    await assert.rejects(call, (err: Error) => err === reason)
    // After the crash, send() reports a failure instead of throwing.
    const failed = new Promise<Error>((resolve) => {
      t.onsendfailure = (_m, err) => resolve(err)
    })
    t.send('{"jsonrpc":"2.0","id":99,"method":"ping"}')
    assert.ok(isGatewayError(await failed, 'MCPO_ERR_UPSTREAM_CLOSED'))
    await t.close() // idempotent after an exit
  })
})

describe('StdioTransport with server-everything', () => {
  test('initialize, tools/list, echo, long-running operation with progress', async () => {
    const t = transport({ command: process.execPath, args: [EVERYTHING, 'stdio'] })
    const peer = new RpcPeer(t)
    await t.start()
    const init = await peer.initialize()
    assert.equal((init.serverInfo as { name: string }).name, 'mcp-servers/everything')
    const tools = await peer.request('tools/list')
    const names = (tools.tools as { name: string }[]).map((tool) => tool.name)
    assert.ok(names.includes('echo') && names.includes('trigger-long-running-operation'))
    const echo = await peer.request('tools/call', { name: 'echo', arguments: { message: 'hi' } })
    assert.deepEqual(echo, { content: [{ type: 'text', text: 'Echo: hi' }] })
    const long = await peer.request('tools/call', {
      name: 'trigger-long-running-operation',
      arguments: { duration: 1, steps: 2 },
      _meta: { progressToken: 7 },
    })
    assert.ok(firstText(long))
    const progress = peer.received.filter((m) => m.method === 'notifications/progress')
    assert.ok(progress.length >= 1, 'progress arrives before the result')
    assert.ok(progress.every((m) => m.params?.progressToken === 7))
    await t.close()
  })
})

describe('StdioTransport process handling', () => {
  test('framing across chunk boundaries from a real child', async () => {
    const t = transport({
      command: 'sh',
      args: [
        '-c',
        `printf '{"jsonrpc":"2.0",'; sleep 0.2; printf '"method":"a"}\\r\\n{"jsonrpc":"2.0","method":"b"}\\n'; sleep 100`,
      ],
    })
    const got: string[] = []
    t.onmessage = (m) => got.push(m)
    await t.start()
    assert.ok(await waitFor(() => got.length === 2, 3000))
    assert.deepEqual(got, ['{"jsonrpc":"2.0","method":"a"}', '{"jsonrpc":"2.0","method":"b"}'])
    await t.close()
  })

  test('an oversized line is dropped and logged; the next line is delivered', async () => {
    const log = recordingLogger()
    const t = transport({
      command: 'sh',
      args: ['-c', `head -c 5000 /dev/zero | tr '\\0' x; echo; echo '{"jsonrpc":"2.0","method":"ok"}'; sleep 100`],
      maxLineBytes: 1024,
      logger: log,
    })
    const got: string[] = []
    t.onmessage = (m) => got.push(m)
    await t.start()
    assert.ok(await waitFor(() => got.length === 1, 3000))
    assert.deepEqual(got, ['{"jsonrpc":"2.0","method":"ok"}'])
    assert.ok(log.lines.some((l) => l.msg?.includes('too long')))
    await t.close()
  })

  test('stderr goes to a ring buffer only', async () => {
    const t = transport({
      command: 'sh',
      args: ['-c', 'i=1; while [ $i -le 12 ]; do echo "err $i" >&2; i=$((i+1)); done; echo "not json"; sleep 100'],
      stderrLines: 5,
    })
    const got: string[] = []
    t.onmessage = (m) => got.push(m)
    await t.start()
    assert.ok(await waitFor(() => t.stderrTail().at(-1) === 'err 12', 3000))
    assert.deepEqual(t.stderrTail(), ['err 8', 'err 9', 'err 10', 'err 11', 'err 12'])
    assert.deepEqual(got, [])
    await t.close()
    assert.equal(t.stderrTail().length, 5, 'the tail survives close()')
  })

  test('close() kills the whole process group, grandchildren included', async () => {
    const t = transport({ command: 'sh', args: ['-c', 'sleep 101 & sleep 102 & wait'], stopTimeoutMs: 200 })
    let reason: Error | undefined | 'none' = 'none'
    t.onclose = (r) => {
      reason = r
    }
    await t.start()
    const pid = t.pid!
    assert.ok(await waitFor(() => listDescendants(pid).length === 2))
    const members = [pid, ...listDescendants(pid)]
    assert.deepEqual(listProcessGroup(pid).sort(), members.sort(), 'both sleeps are in the group of the child')
    assert.ok(liveProcessGroups().has(pid))
    const started = Date.now()
    await t.close()
    assert.ok(Date.now() - started < 2000)
    assert.deepEqual(
      members.filter((p) => pidAlive(p)),
      [],
    )
    assert.deepEqual(listProcessGroup(pid), [])
    assert.equal(reason, undefined, 'onclose() without a reason after close()')
    assert.equal(liveProcessGroups().has(pid), false)
    await t.close()
  })

  test('a leader that exits on stdin EOF leaves no grandchild behind', async () => {
    const t = transport({ command: 'sh', args: ['-c', 'sleep 103 & cat > /dev/null'] })
    await t.start()
    const pid = t.pid!
    assert.ok(await waitFor(() => listProcessGroup(pid).length >= 2))
    await t.close()
    assert.ok(await waitFor(() => listProcessGroup(pid).length === 0))
    assert.deepEqual(findProcesses('sleep 103'), [])
  })

  test('SIGKILL after SIGTERM is ignored', async () => {
    const t = transport({
      command: 'sh',
      args: ['-c', 'trap "" TERM; while true; do sleep 0.05; done'],
      stopTimeoutMs: 150,
    })
    await t.start()
    const pid = t.pid!
    await t.close()
    assert.equal(pidAlive(pid), false)
    assert.deepEqual(listProcessGroup(pid), [])
  })

  test('ENOENT: start() rejects naming the command, not the env', async () => {
    const t = transport({ command: 'mcpo-no-such-command', env: { API_TOKEN: 'hunter2-secret' } })
    await assert.rejects(t.start(), (err: Error) => {
      assert.ok(isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE'))
      assert.match(err.message, /mcpo-no-such-command/)
      assert.match(err.message, /ENOENT/)
      assert.doesNotMatch(JSON.stringify({ message: err.message, details: err.details }), /hunter2/)
      return true
    })
    await t.close()
  })

  test('the child gets the minimal environment plus the configured one', async () => {
    process.env.MCPO_TEST_GATEWAY_SECRET = 'must-not-leak'
    try {
      const t = transport({
        command: process.execPath,
        args: ['-e', 'console.log(JSON.stringify(process.env)); setInterval(() => {}, 1000)'],
        env: { UPSTREAM_TOKEN: 'configured' },
      })
      let env: Record<string, string> | undefined
      t.onmessage = (m) => {
        env = JSON.parse(m)
      }
      await t.start()
      assert.ok(await waitFor(() => env !== undefined, 3000))
      assert.equal(env!.UPSTREAM_TOKEN, 'configured')
      assert.equal(env!.MCPO_TEST_GATEWAY_SECRET, undefined)
      const allowed = new Set(['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'TZ', 'UPSTREAM_TOKEN'])
      assert.deepEqual(
        Object.keys(env!).filter((k) => !allowed.has(k)),
        [],
      )
      await t.close()
    } finally {
      delete process.env.MCPO_TEST_GATEWAY_SECRET
    }
    assert.deepEqual(childEnvironment({}, { PATH: '/bin', FOO: 'x', SHELL: '() { evil; }' }), { PATH: '/bin' })
  })

  test('pretty-printed messages are sent as one line', async () => {
    const t = transport({ command: 'sh', args: ['-c', 'read line; echo "$line"; sleep 100'] })
    const got: string[] = []
    t.onmessage = (m) => got.push(m)
    await t.start()
    t.send('{\n  "jsonrpc": "2.0",\r\n  "method": "x"\n}')
    assert.ok(await waitFor(() => got.length === 1, 3000))
    assert.deepEqual(JSON.parse(got[0]), { jsonrpc: '2.0', method: 'x' })
    await t.close()
  })

  test('write backpressure: a child that never reads fills the bounded queue, then sends fail', async () => {
    const log = recordingLogger()
    const t = transport({ command: 'sleep', args: ['100'], maxQueuedBytes: 256 * 1024, logger: log })
    const failures: Error[] = []
    t.onsendfailure = (_m, err) => failures.push(err)
    await t.start()
    const big = JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { pad: 'y'.repeat(64 * 1024) } })
    for (let i = 0; i < 40; i++) t.send(big) // ~2.6 MB against a 64 KiB pipe and a 256 KiB queue
    await new Promise((resolve) => setImmediate(resolve))
    assert.ok(failures.length > 0)
    assert.ok(failures.every((err) => isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE')))
    assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg?.includes('queue full')))
    await t.close()
  })

  test('killProcessGroup ignores ESRCH; killAllProcessGroupsSync kills what is left', async () => {
    assert.equal(killProcessGroup(2 ** 22 + 12345, 'SIGTERM'), false)
    const t = transport({ command: 'sh', args: ['-c', 'sleep 104 & sleep 105'] })
    const closed = new Promise<Error | undefined>((resolve) => {
      t.onclose = resolve
    })
    await t.start()
    const pid = t.pid!
    assert.ok(await waitFor(() => listProcessGroup(pid).length >= 2))
    assert.ok(killAllProcessGroupsSync() >= 1)
    const reason = await closed
    assert.ok(isGatewayError(reason, 'MCPO_ERR_UPSTREAM_CLOSED'))
    assert.match(reason.message, /signal SIGKILL/)
    assert.ok(await waitFor(() => listProcessGroup(pid).length === 0))
    await t.close()
  })
})
