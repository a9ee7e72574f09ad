import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  defineService,
  type Exchange,
  isGatewayError,
  type Logger,
  type McpoPlugin,
  offer,
  type PluginContext,
  type Store,
} from './contract.ts'
import { orderPlugins, PluginHost } from './host.ts'

const store = {} as Store
const logger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child: () => logger,
}
const exchange = (): Exchange => ({
  requestId: 'r1',
  method: 'POST',
  path: '/',
  query: '',
  headers: {},
  ip: '127.0.0.1',
  params: {},
  principal: null,
})

describe('plugin host', () => {
  it('orders by enforce tier, then config order', () => {
    const names = orderPlugins([
      { name: 'a' },
      { name: 'b', enforce: 'post' },
      { name: 'c', enforce: 'pre' },
      { name: 'd' },
      { name: 'e', enforce: 'pre' },
    ]).map((p) => p.name)
    assert.deepEqual(names, ['c', 'e', 'a', 'd', 'b'])
  })

  it('fails when a dependency is missing or ordered after its dependant', () => {
    assert.throws(
      () => orderPlugins([{ name: 'audit', dependsOn: ['storage'] }]),
      /"audit" depends on "storage", which is not configured/,
    )
    assert.throws(
      () => orderPlugins([{ name: 'rbac', dependsOn: ['auth'] }, { name: 'auth' }]),
      /"rbac" depends on "auth", which must run before it/,
    )
    assert.equal(orderPlugins([{ name: 'auth' }, { name: 'rbac', dependsOn: ['auth'] }]).length, 2)
  })

  it('hands out services by key, to the gateway and to plugins through their context', async () => {
    const GREETER = defineService<{ greet(name: string): string }>('greeter', 'greeter()')
    const OTHER = defineService<number>('other', 'other()')
    let seen: PluginContext | undefined
    const host = new PluginHost({
      plugins: [
        { name: 'user', requires: [GREETER], setup: (ctx) => void (seen = ctx) },
        { name: 'greeter', provides: [offer(GREETER, { greet: (n) => `hello ${n}` })] },
      ],
      logger,
      storage: store,
    })
    assert.equal(host.service(GREETER)?.greet('ada'), 'hello ada')
    assert.equal(host.service(OTHER), null)
    await host.setup()
    assert.equal(seen?.service(GREETER)?.greet('bob'), 'hello bob')
    assert.throws(
      () => host.requireService(OTHER, 'the widget page'),
      (err) =>
        isGatewayError(err, 'MCPO_ERR_PLUGIN') &&
        /the widget page needs other\(\): add it to plugins/.test(err.message),
    )
    await host.close()
  })

  it('fails boot when a required service is missing or two plugins offer the same one', () => {
    const GREETER = defineService<string>('greeter', 'greeter()')
    assert.throws(
      () => orderPlugins([{ name: 'user', requires: [GREETER] }]),
      /plugin "user" needs the greeter service: add greeter\(\) to plugins in mcpo.config.ts/,
    )
    assert.throws(
      () =>
        orderPlugins([
          { name: 'a', provides: [offer(GREETER, 'a')] },
          { name: 'b', provides: [offer(GREETER, 'b')] },
        ]),
      /plugins "a" and "b" both offer the greeter service: keep one of them/,
    )
  })

  it('rejects duplicate names and non-plugins with the position', () => {
    assert.throws(() => orderPlugins([{ name: 'x' }, { name: 'x' }]), /plugins\[1\]: plugin "x" is listed twice/)
    assert.throws(
      () => orderPlugins([(() => ({ name: 'y' })) as unknown as McpoPlugin]),
      /plugins\[0\].*a function; call the factory/,
    )
  })

  it('builds a null hook array when no plugin has the hook', () => {
    const host = new PluginHost({ plugins: [{ name: 'a' }, { name: 'b', audit() {} }], logger, storage: store })
    assert.equal(host.hooks.authenticate, null)
    assert.equal(host.hooks.authorize, null)
    assert.equal(host.hooks.onRequest, null)
    assert.equal(host.hooks.audit?.length, 1)
  })

  it('runs setup in order with a context, and close in reverse order', async () => {
    const calls: string[] = []
    const plugin = (name: string): McpoPlugin => ({
      name,
      setup(ctx) {
        assert.equal(ctx.storage, store)
        calls.push(`setup:${name}`)
      },
      async close() {
        calls.push(`close:${name}`)
      },
    })
    const host = new PluginHost({
      plugins: [plugin('a'), plugin('b'), { ...plugin('c'), enforce: 'pre' }],
      logger,
      storage: store,
    })
    await host.setup()
    await host.close()
    assert.deepEqual(calls, ['setup:c', 'setup:a', 'setup:b', 'close:b', 'close:a', 'close:c'])
  })

  it('fails boot naming the plugin when setup throws, and closes what was set up', async () => {
    const closed: string[] = []
    const host = new PluginHost({
      plugins: [
        {
          name: 'ok',
          setup() {},
          async close() {
            closed.push('ok')
          },
        },
        {
          name: 'acme:broken',
          setup() {
            throw new Error('option "url" is missing')
          },
        },
        {
          name: 'never',
          setup() {
            throw new Error('should not run')
          },
        },
      ],
      logger,
      storage: store,
    })
    await assert.rejects(host.setup(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MCPO_ERR_PLUGIN')
      assert.match(err.message, /plugin "acme:broken" failed to set up: option "url" is missing/)
      return true
    })
    assert.deepEqual(closed, ['ok'])
  })

  it('times out a setup that never finishes', async () => {
    const host = new PluginHost({
      plugins: [{ name: 'slow', setup: () => new Promise(() => {}) }],
      logger,
      storage: store,
      setupTimeoutMs: 50,
    })
    await assert.rejects(host.setup(), /plugin "slow" failed to set up: setup did not finish within 50 ms/)
  })

  it('authenticate: the first non-null principal wins', async () => {
    const seen: string[] = []
    const host = new PluginHost({
      plugins: [
        {
          name: 'a',
          authenticate: () => {
            seen.push('a')
            return null
          },
        },
        {
          name: 'b',
          authenticate: async () => {
            seen.push('b')
            return { kind: 'user', id: 'u1' }
          },
        },
        {
          name: 'c',
          authenticate: () => {
            seen.push('c')
            return { kind: 'user', id: 'u2' }
          },
        },
      ],
      logger,
      storage: store,
    })
    assert.deepEqual(await host.authenticate(exchange()), { kind: 'user', id: 'u1' })
    assert.deepEqual(seen, ['a', 'b'])
  })

  it('authorize: any deny wins, allow when every plugin allows', async () => {
    const target = { projectId: 'p', serverName: 's', method: 'tools/call', toolName: 't' }
    const allow = new PluginHost({
      plugins: [{ name: 'a', authorize: () => ({ allow: true }) }],
      logger,
      storage: store,
    })
    assert.deepEqual(await allow.authorize(exchange(), target), { allow: true })
    const deny = new PluginHost({
      plugins: [
        { name: 'a', authorize: () => ({ allow: true }) },
        { name: 'b', authorize: () => ({ allow: false, reason: 'tool disabled' }) },
        { name: 'c', authorize: () => ({ allow: true }) },
      ],
      logger,
      storage: store,
    })
    assert.deepEqual(await deny.authorize(exchange(), target), { allow: false, reason: 'tool disabled' })
  })

  it('counts audit hooks that throw instead of failing the caller', () => {
    const events: string[] = []
    const host = new PluginHost({
      plugins: [
        {
          name: 'bad',
          audit: () => {
            throw new Error('disk full')
          },
        },
        {
          name: 'good',
          audit: (e) => {
            events.push(e.action)
          },
        },
      ],
      logger,
      storage: store,
    })
    host.audit({ action: 'key.created', at: 0 })
    assert.equal(host.auditFailures, 1)
    assert.deepEqual(events, ['key.created'])
  })

  it('runs onToolCall hooks through their filters', async () => {
    const seen: string[] = []
    const host = new PluginHost({
      plugins: [
        {
          name: 'all',
          onToolCall: (_ex, c) => {
            seen.push(`all:${c.toolName}`)
          },
        },
        {
          name: 'only-echo',
          onToolCall: {
            filter: (c) => c.toolName === 'echo',
            handler: (_ex, c) => {
              seen.push(`echo:${c.toolName}`)
            },
          },
        },
      ],
      logger,
      storage: store,
    })
    for (const toolName of ['echo', 'add'])
      await host.onToolCall(exchange(), { projectId: 'p', serverName: 's', toolName, principal: null })
    assert.deepEqual(seen, ['all:echo', 'echo:echo', 'all:add'])
  })
})
