// Health you can see (issue 17 point 5), against a running gateway: a server saved after a failed connection test is
// marked down with the test's error from the moment it is saved; status answers carry health, lastError and when;
// client configs and discovery leave down servers out and say so; /metrics has mcpo_upstream_up and _state per
// server; and the periodic probe sees a remote server go down and come back, waits out its backoff, and neither
// starts a stopped stdio server nor keeps an idle one running.
import assert from 'node:assert/strict'
import { createServer, type Server as NetServer, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { metrics } from '../../plugins/metrics/index.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import { type HttpFixture, startHttpFixture } from '../fixtures/fixture-server.ts'
import { assertNoLeftovers, fixtureServer, TEST_KEY } from '../harness.ts'
import { freePort } from '../kit/ports.ts'
import { fieldsOf, type ProjectApi, startProjectApi } from './project-harness.ts'

const S = '/api/projects/demo/servers'
let api: ProjectApi
let good: HttpFixture
/** A port nothing listens on: connections are refused. */
let deadUrl: string

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T = await read()
  while (!ok(last)) {
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
    last = await read()
  }
  return last
}

const remote = (name: string, url: string, extra: Record<string, unknown> = {}) => ({
  name,
  transport: 'streamable-http',
  url,
  ...extra,
})

async function status(name: string) {
  const r = await api.call(api.dev, 'GET', `${S}/${name}/status`)
  assert.equal(r.status, 200, r.text)
  return r.body
}

async function scrape(): Promise<string> {
  return (await fetch(`${api.gw.url}/metrics`)).text()
}

function sample(text: string, name: string, labels: string): string | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? line.slice(line.lastIndexOf(' ') + 1) : null
}

before(async () => {
  good = await startHttpFixture({ transport: 'streamable-http' })
  deadUrl = `http://127.0.0.1:${await freePort()}/mcp`
  api = await startProjectApi({
    plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), metrics({ processMetrics: false })],
    // Short backoff so the probe's respect for it shows within seconds; the circuit opens at the second failure.
    upstreams: {
      restartInitialMs: 200,
      restartMaxMs: 2500,
      maxConsecutiveFailures: 2,
      handshakeTimeoutMs: 15_000,
      idleStopMs: 1500,
    },
  })
})
after(async () => {
  await api?.close()
  await good?.close()
  await assertNoLeftovers()
})

describe('saving a server whose connection test failed', () => {
  it('records the test error as the status from the moment it is saved', async () => {
    const def = remote('broken', deadUrl)
    const test = await api.call(api.dev, 'POST', `${S}/test`, def)
    assert.equal(test.status, 200, test.text)
    assert.equal(test.body.ok, false)
    const before = Date.now()
    const saved = await api.call(api.dev, 'POST', S, def)
    assert.equal(saved.status, 201, saved.text)
    assert.equal(saved.body.status.health, 'down')
    assert.match(saved.body.status.lastError, /^connection test: /)
    assert.ok(Date.parse(saved.body.status.lastErrorAt) >= before - 1000, saved.body.status.lastErrorAt)
    assert.equal(saved.body.status.state, 'stopped', 'nothing was started: the record comes from the test')

    const st = await status('broken')
    assert.equal(st.health, 'down')
    assert.equal(st.lastError, saved.body.status.lastError)
    assert.equal(st.lastErrorAt, saved.body.status.lastErrorAt)
    const listed = (await api.call(api.rep, 'GET', S)).body.find((s: { name: string }) => s.name === 'broken')
    assert.equal(listed.status.health, 'down', 'reporters see it in the list too')
    const health = await api.call(api.rep, 'GET', `${S}/broken/health`)
    assert.equal(health.body.health, 'down')
    assert.equal(health.body.lastError, st.lastError)
  })

  it('records a passing test as up, and an untested save as unknown', async () => {
    const def = remote('good', good.url)
    const test = await api.call(api.dev, 'POST', `${S}/test`, def)
    assert.equal(test.body.ok, true, test.text)
    const saved = await api.call(api.dev, 'POST', S, def)
    assert.equal(saved.status, 201, saved.text)
    assert.equal(saved.body.status.health, 'up')
    assert.ok(saved.body.status.lastOkAt)
    assert.equal(saved.body.status.lastError, null)

    // A different definition than the one tested: nothing is known about it.
    const untested = await api.call(api.dev, 'POST', S, remote('untested', `${deadUrl}?other`))
    assert.equal(untested.status, 201, untested.text)
    assert.equal(untested.body.status.health, 'unknown')
    assert.equal(untested.body.status.lastError, null)
  })

  it('records a failed test on an edit that is saved anyway', async () => {
    const edit = { url: deadUrl, transport: 'streamable-http' }
    const test = await api.call(api.dev, 'POST', `${S}/test`, { ...remote('untested', deadUrl) })
    assert.equal(test.body.ok, false)
    const saved = await api.call(api.dev, 'PUT', `${S}/untested`, edit)
    assert.equal(saved.status, 200, saved.text)
    assert.equal(saved.body.status.health, 'down')
    assert.match(saved.body.status.lastError, /connection test/)
  })

  it('validates the probe interval like the config file does', async () => {
    const bad = await api.call(api.dev, 'POST', S, remote('too-often', good.url, { healthCheckIntervalMs: 500 }))
    assert.equal(bad.status, 400)
    assert.deepEqual(fieldsOf(bad), ['healthCheckIntervalMs'])
    const off = await api.call(api.dev, 'POST', S, remote('no-probe', good.url, { healthCheckIntervalMs: 0 }))
    assert.equal(off.body.healthCheckIntervalMs, 0)
    const cleared = await api.call(api.dev, 'PUT', `${S}/no-probe`, { healthCheckIntervalMs: null })
    assert.equal(cleared.body.healthCheckIntervalMs, null, 'null means the gateway default')
    assert.equal((await api.call(api.dev, 'DELETE', `${S}/no-probe`)).status, 204)
  })
})

describe('client configs and discovery', () => {
  it('leave servers that are down out, and list them with the reason', async () => {
    const r = await api.call(api.rep, 'GET', '/api/projects/demo/client-config?client=cursor')
    assert.equal(r.status, 200, r.text)
    const names = Object.keys(r.body.config.mcpServers)
    assert.ok(names.includes('good') && names.includes('everything'), names.join())
    assert.ok(!names.includes('broken') && !names.includes('untested'), names.join())
    assert.deepEqual(r.body.omitted.map((o: { name: string }) => o.name).sort(), ['broken', 'untested'])
    const broken = r.body.omitted.find((o: { name: string }) => o.name === 'broken')
    assert.match(broken.lastError, /connection test/)
    assert.ok(broken.lastErrorAt)
    assert.ok(
      r.body.notes.some((n: string) => /Left out because they are down: .*broken/.test(n)),
      r.text,
    )

    const all = await api.call(api.rep, 'GET', '/api/projects/demo/client-config?client=cursor&includeFailing=true')
    assert.ok(Object.keys(all.body.config.mcpServers).includes('broken'))
    assert.deepEqual(all.body.omitted, [])

    const one = await api.call(api.rep, 'GET', '/api/projects/demo/client-config?client=cline&server=broken')
    assert.deepEqual(Object.keys(one.body.config.mcpServers), ['broken'], 'asked for by name: given, with a note')
    assert.ok(
      one.body.notes.some((n: string) => /broken is down/.test(n)),
      one.text,
    )
  })

  it('discovery and the Cline config (read with a project key) leave them out too', async () => {
    const auth = { authorization: `Bearer ${TEST_KEY}` }
    const d = await fetch(`${api.gw.url}/projects/demo/.well-known/mcp-servers`, { headers: auth })
    const body = await d.json()
    assert.equal(d.status, 200, JSON.stringify(body))
    const listed = body.servers.map((s: { name: string }) => s.name)
    assert.ok(listed.includes('good') && !listed.includes('broken'), listed.join())
    const down = body.unavailable.find((u: { name: string }) => u.name === 'broken')
    assert.equal(down.state, 'stopped')
    assert.ok(down.since)
    assert.equal(JSON.stringify(body).includes('connection test'), false, 'no error texts for key holders')

    const c = await fetch(`${api.gw.url}/projects/demo/cline-config`, { headers: auth })
    const cline = await c.json()
    assert.ok(cline.mcpServers.good && !cline.mcpServers.broken, JSON.stringify(cline))
  })
})

describe('/metrics', () => {
  it('has mcpo_upstream_up and mcpo_upstream_state per project and server', async () => {
    const text = await scrape()
    assert.equal(sample(text, 'mcpo_upstream_up', 'project="demo",server="broken"'), '0')
    assert.equal(sample(text, 'mcpo_upstream_up', 'project="demo",server="good"'), '1')
    assert.equal(sample(text, 'mcpo_upstream_up', 'project="demo",server="everything"'), null, 'never tried: no series')
    assert.equal(sample(text, 'mcpo_upstream_state', 'project="demo",server="broken",state="stopped"'), '1')
    assert.equal(sample(text, 'mcpo_upstream_state', 'project="demo",server="broken",state="failed"'), '0')
    assert.match(text, /# HELP mcpo_upstream_up /)
  })
})

describe('the periodic health probe', () => {
  it('sees a remote server go down and come back, waiting out its backoff meanwhile', async () => {
    let fixture: HttpFixture | null = await startHttpFixture({ transport: 'streamable-http' })
    const port = Number(new URL(fixture.url).port)
    const created = await api.call(
      api.dev,
      'POST',
      S,
      remote('flaky', fixture.url, { healthCheckIntervalMs: 1000, timeoutMs: 5000 }),
    )
    assert.equal(created.status, 201, created.text)
    assert.equal(created.body.status.health, 'unknown')
    const up = await until(
      'first probe',
      () => status('flaky'),
      (s) => s.health === 'up',
    )
    assert.ok(up.lastOkAt)
    assert.ok(
      fixture.requests.some((r) => r.body?.includes('"method":"ping"')),
      'the probe sends ping',
    )

    // Down: the fixture stops and the port resets every connection; the circuit opens at the second failure.
    await fixture.close()
    fixture = null
    const attempts: number[] = []
    const sockets = new Set<Socket>()
    const refuser: NetServer = createServer((sock) => {
      attempts.push(Date.now())
      sockets.add(sock)
      sock.destroy()
    })
    await new Promise<void>((r) => refuser.listen(port, '127.0.0.1', r))
    try {
      const down = await until(
        'probe failure',
        () => status('flaky'),
        (s) => s.health === 'down',
      )
      assert.match(down.lastError, /^health probe: /)
      assert.ok(down.lastErrorAt)
      await until(
        'circuit open',
        () => status('flaky'),
        (s) => s.state === 'failed',
      )
      assert.equal(sample(await scrape(), 'mcpo_upstream_up', 'project="demo",server="flaky"'), '0')
      assert.equal(sample(await scrape(), 'mcpo_upstream_state', 'project="demo",server="flaky",state="failed"'), '1')
      // With the circuit open a probe waits restartMaxMs (2.5 s) between attempts, not the 1 s interval.
      const from = Date.now()
      await new Promise((r) => setTimeout(r, 5000))
      const during = attempts.filter((t) => t >= from).length
      assert.ok(during <= 3, `${during} connection attempts in 5 s while the circuit was open`)
      const cards = (await api.call(api.rep, 'GET', '/api/projects/demo/client-config?client=cursor')).body
      assert.ok(
        cards.omitted.some((o: { name: string }) => o.name === 'flaky'),
        'left out of configs while down',
      )
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => refuser.close(r))
    }

    // Back on the same port: the next probe after the backoff finds it.
    fixture = await startHttpFixture({ transport: 'streamable-http', port })
    try {
      const back = await until(
        'recovery',
        () => status('flaky'),
        (s) => s.health === 'up',
      )
      assert.equal(back.state, 'stopped', 'a per-session server without sessions is idle, and up')
      assert.equal(back.consecutiveFailures, 0)
      assert.ok(Date.parse(back.lastOkAt) > Date.parse(back.lastErrorAt))
      assert.equal(sample(await scrape(), 'mcpo_upstream_up', 'project="demo",server="flaky"'), '1')
    } finally {
      await api.call(api.dev, 'DELETE', `${S}/flaky`)
      await fixture.close()
    }
  })

  it('never starts a stopped stdio server, and does not keep an idle one running', async () => {
    const def = { ...fixtureServer('local'), healthCheckIntervalMs: 1000 }
    const created = await api.call(api.admin, 'POST', S, def)
    assert.equal(created.status, 201, created.text)
    await new Promise((r) => setTimeout(r, 2500))
    let st = await status('local')
    assert.equal(st.state, 'stopped', 'probes do not start it')
    assert.equal(st.pid, null)
    assert.equal(st.health, 'unknown')

    // A call starts it; probes then ping the running process.
    const call = await api.call(api.dev, 'POST', `${S}/local/tools/echo/call`, { arguments: { message: 'hi' } })
    assert.equal(call.body.ok, true, call.text)
    st = await status('local')
    const startedOk = Date.parse(st.lastOkAt)
    st = await until(
      'a probe of the running process',
      () => status('local'),
      (s) => s.state === 'running' && Date.parse(s.lastOkAt) > startedOk,
    )
    assert.equal(st.health, 'up')
    // idleStopMs is 1.5 s and the idle sweep runs every 5 s: probes every second must not count as use.
    await until(
      'idle stop',
      () => status('local'),
      (s) => s.state === 'stopped',
      15_000,
    )
    assert.equal((await status('local')).health, 'up', 'stopped on purpose is not down')
    assert.equal((await api.call(api.admin, 'DELETE', `${S}/local`)).status, 204)
  })
})
