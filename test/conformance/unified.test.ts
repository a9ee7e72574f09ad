// Conformance items 74–78 (protocol.md §9, unified endpoint): namespaced names, collisions, sanitised names that stay
// stable, unknown names, and list_changed fan-in, with server-everything, the fixture, a scripted server and a broken one.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { UserConfig } from '../../config/define-config.ts'
import { waitFor } from '../fixtures/processes.ts'
import { readLog, scripted, tapped, toolCalls } from '../fixtures/recording-upstreams.ts'
import { everythingServer, fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { LegacyClient, StreamableClient, textOf } from '../kit/mcp-wire.ts'
import { tempDir } from '../kit/temp-dir.ts'
import { sleep } from '../kit/waiting.ts'

const dir = tempDir('unified')
const EV = join(dir.path, 'everything.log')
const FX = join(dir.path, 'fixture.log')
const SC = join(dir.path, 'dotty.log')
const LONG = `a-very-long-tool-name-${'x'.repeat(50)}`
const ODD = ['files.read', LONG, 'v2.search.all']
const NAME = /^[A-Za-z0-9_-]{1,64}$/

let gw: TestGateway
const opened: { close(): unknown }[] = []

type Servers = NonNullable<UserConfig['projects']>[number]['servers']
function config(servers: Servers): UserConfig {
  return { projects: [{ id: 'demo', name: 'Demo', apiKeys: [{ name: 'test', key: TEST_KEY }], servers }] }
}
const dotty = () => scripted('dotty', SC, { extraTools: ODD })

async function unified(g: TestGateway = gw): Promise<StreamableClient> {
  const c = await StreamableClient.connect(`${g.url}/projects/demo/mcp`, g.auth)
  opened.push(c)
  return c
}
type Tool = { name: string; title?: string }
async function listTools(c: StreamableClient): Promise<Tool[]> {
  const res = await c.request('tools/list')
  assert.equal(res.error, undefined, JSON.stringify(res.error))
  return (res.result as { tools: Tool[] }).tools
}

before(async () => {
  gw = await startTestGateway(
    config([
      { ...tapped('everything', EV, everythingServer('everything')), autoStart: true },
      { ...tapped('fixture', FX, fixtureServer('fixture')), autoStart: true },
      dotty(),
      // Exits at once: a member that is down.
      { name: 'broken', transport: 'stdio', command: process.execPath, args: ['-e', 'process.exit(1)'] },
    ]),
  )
})

after(async () => {
  for (const c of opened) await c.close()
  await gw?.close()
  dir.cleanup()
})

describe('unified endpoint conformance (protocol.md §9 items 74–78)', () => {
  it('74 N: tools/list on /projects/{p}/mcp returns every member tool as <server>__<tool>, all matching ^[A-Za-z0-9_-]{1,64}$', async () => {
    const u = await unified()
    const tools = await listTools(u)
    for (const t of tools) assert.match(t.name, NAME)
    assert.equal(new Set(tools.map((t) => t.name)).size, tools.length, 'duplicate exposed names')
    let expected = 0
    for (const server of ['everything', 'fixture', 'dotty']) {
      const own = await StreamableClient.connect(`${gw.url}/projects/demo/servers/${server}/mcp`, gw.auth)
      opened.push(own)
      const names = (await listTools(own)).map((t) => t.name)
      assert.ok(names.length > 0)
      expected += names.length
      for (const name of names) {
        const plain = `${server}__${name}`
        if (NAME.test(plain))
          assert.ok(
            tools.some((t) => t.name === plain),
            `${plain} missing`,
          )
        else
          assert.ok(
            tools.some((t) => t.title === name && t.name.startsWith(`${server}__`)),
            `${name} of ${server} missing`,
          )
      }
    }
    assert.equal(tools.length, expected)
  })

  it('75 N: two servers exposing the same tool name → two exposed names; each tools/call reaches the right upstream with the original name', async () => {
    const u = await unified()
    const names = (await listTools(u)).map((t) => t.name)
    assert.ok(names.includes('everything__echo') && names.includes('fixture__echo'))
    const [a, b] = await Promise.all([
      u.request('tools/call', { name: 'everything__echo', arguments: { message: 'to-everything' } }),
      u.request('tools/call', { name: 'fixture__echo', arguments: { message: 'to-fixture' } }),
    ])
    assert.equal(textOf(a), 'Echo: to-everything')
    assert.equal(textOf(b), 'Echo: to-fixture')
    const messages = (log: string) =>
      toolCalls(log, 'echo').map((e) => (e.msg?.params?.arguments as { message?: string } | undefined)?.message)
    assert.deepEqual(messages(EV), ['to-everything'])
    assert.deepEqual(messages(FX), ['to-fixture'])
  })

  it('76 N: over-long or "."-containing tool names → stable, deterministic exposed names that survive a list_changed refresh and a gateway restart', async () => {
    const u = await unified()
    const exposed = async (c: StreamableClient) =>
      new Map((await listTools(c)).filter((t) => t.name.startsWith('dotty__')).map((t) => [t.title ?? t.name, t.name]))
    const first = await exposed(u)
    for (const odd of ODD) {
      const name = first.get(odd)
      assert.ok(name, `${odd} not listed`)
      assert.match(name, NAME)
      assert.notEqual(name, `dotty__${odd}`)
    }
    // Calling the sanitised name reaches the upstream with the original one.
    for (const odd of ODD) {
      const res = await u.request('tools/call', { name: first.get(odd), arguments: {} })
      assert.equal(textOf(res), `called ${odd}`)
    }
    assert.deepEqual(
      readLog(SC)
        .filter((e) => e.d === 'in' && e.msg?.method === 'tools/call')
        .map((e) => e.msg?.params?.name),
      ODD,
    )
    // The upstream says its list changed: the refreshed list keeps the names.
    const get = await u.openGet()
    await u.request('tools/call', { name: 'dotty__changed', arguments: {} })
    await get.waitMessage((m) => m.method === 'notifications/tools/list_changed', 2000)
    assert.deepEqual(await exposed(u), first)
    // A second gateway (a restart) computes the same names.
    const again = await startTestGateway(config([dotty()]))
    try {
      assert.deepEqual(await exposed(await unified(again)), first)
    } finally {
      await again.close()
    }
  })

  it('77 N: tools/call with an unknown exposed name → -32602 in a 2xx exchange', async () => {
    const u = await unified()
    for (const name of ['nope', 'fixture__nope', 'broken__echo', 'everything__']) {
      const res = await u.post({ jsonrpc: '2.0', id: name, method: 'tools/call', params: { name, arguments: {} } })
      assert.equal(res.status, 200, name)
      assert.equal(res.messages.find((m) => m.id === name)?.error?.code, -32602, name)
    }
    const l = await LegacyClient.connect(`${gw.url}/projects/demo/sse`, gw.auth)
    opened.push(l)
    const res = await l.request('tools/call', { name: 'nope__nope', arguments: {} })
    assert.equal(res.error?.code, -32602)
  })

  it('78 N: list_changed from any member → exactly one notification per unified session; one member down → the others are still listed', async () => {
    const a = await LegacyClient.connect(`${gw.url}/projects/demo/sse`, gw.auth)
    opened.push(a)
    const b = await unified()
    const bGet = await b.openGet()
    await a.request('tools/list')
    await listTools(b)
    await sleep(200)
    const count = () => [
      a.messages.filter((m) => m.method === 'notifications/tools/list_changed').length,
      bGet.messages.filter((m) => m.method === 'notifications/tools/list_changed').length,
    ]
    const base = count()
    for (const [i, tool] of ['fixture__notify', 'dotty__changed'].entries()) {
      const want = [base[0] + i + 1, base[1] + i + 1]
      await a.request('tools/call', { name: tool, arguments: {} })
      await waitFor(() => count()[0] >= want[0] && count()[1] >= want[1], 3000)
      await sleep(300)
      assert.deepEqual(count(), want, `after ${tool}`)
    }
    // `broken` never starts, yet the three others are listed.
    const status = gw.gateway.relay.status('demo').broken
    assert.notEqual(status.state, 'running')
    const servers = new Set((await listTools(b)).map((t) => t.name.split('__')[0]))
    assert.deepEqual([...servers].sort(), ['dotty', 'everything', 'fixture'])
  })
})
