import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { isGatewayError } from '../gateway/errors.ts'
import { loadConfig, resolveConfig } from './resolve.ts'

const dir = mkdtempSync(join(tmpdir(), 'mcpo-config-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function problems(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    assert.ok(isGatewayError(err, 'MCPO_ERR_CONFIG'), String(err))
    return (err.details?.problems as string[]) ?? []
  }
  assert.fail('expected a config error')
}

describe('config', () => {
  it('works with nothing configured: port 8080, embedded storage in ./data', () => {
    const c = resolveConfig({}, { env: {}, cwd: dir })
    assert.equal(c.listen.port, 8080)
    assert.equal(c.listen.host, '0.0.0.0')
    assert.equal(c.storage.kind, 'embedded')
    assert.equal(c.dataDir, join(dir, 'data'))
    assert.equal(c.limits.sseKeepaliveMs, 15_000)
  })

  it('reads the environment: PORT, DATABASE_URL, MCPO_DATA_DIR, LOG_LEVEL, secrets and admin', () => {
    const c = resolveConfig(
      {},
      {
        env: {
          PORT: '9090',
          DATABASE_URL: 'postgres://127.0.0.1:5432/test',
          MCPO_DATA_DIR: '/var/lib/mcpo',
          LOG_LEVEL: 'debug',
          MCPO_SECRET_KEY: 'k'.repeat(43),
          MCPO_ADMIN_EMAIL: 'admin@example.com',
          MCPO_ADMIN_PASSWORD: 'correct horse battery',
        },
        cwd: dir,
      },
    )
    assert.equal(c.listen.port, 9090)
    assert.equal(c.storage.kind, 'postgres')
    assert.equal(c.dataDir, '/var/lib/mcpo')
    assert.equal(c.logLevel, 'debug')
    assert.equal(c.secretKey, 'k'.repeat(43))
    assert.equal(c.admin.email, 'admin@example.com')
  })

  it('reads MCPO_HOST over the config file, and refuses what is not an address or host name', () => {
    const c = resolveConfig(
      { listen: { host: '127.0.0.1', port: 8080 } },
      { env: { MCPO_HOST: '0.0.0.0', PORT: '9' }, cwd: dir },
    )
    assert.deepEqual([c.listen.host, c.listen.port], ['0.0.0.0', 9])
    assert.equal(resolveConfig({}, { env: { MCPO_HOST: '::1' }, cwd: dir }).listen.host, '::1')
    const text = problems(() => resolveConfig({}, { env: { MCPO_HOST: 'a b;c' }, cwd: dir })).join('\n')
    assert.match(text, /^MCPO_HOST: must be an address or host name .*\(got "a b;c"\)$/m)
  })

  it('names the field a mistyped one was probably meant to be, at any depth', () => {
    const text = problems(() =>
      resolveConfig(
        {
          listn: { port: 1 },
          limits: { maxBodyByte: 3 },
          projects: [
            { id: 'a', name: 'A', servrs: [], servers: [{ name: 'x', transport: 'stdio', command: 'a', comand: 'b' }] },
          ],
          zzzzzz: 1,
        } as never,
        { env: {}, cwd: dir },
      ),
    ).join('\n')
    assert.match(text, /^listn: unknown field; did you mean "listen"\?$/m)
    assert.match(text, /^limits\.maxBodyByte: unknown field; did you mean "maxBodyBytes"\?$/m)
    assert.match(text, /^projects\[0\]\.servrs: unknown field; did you mean "servers"\?$/m)
    assert.match(text, /^projects\[0\]\.servers\[0\]\.comand: unknown field; did you mean "command"\?$/m)
    assert.match(text, /^zzzzzz: unknown field \(known: listen, .*projects.*\)$/m)
  })

  it('reports every problem at once as path: what is wrong (got X)', () => {
    const list = problems(() =>
      resolveConfig(
        {
          listen: { port: 70000 },
          logLevel: 'loud' as never,
          projects: [
            {
              id: 'demo',
              name: 'Demo',
              team: 'nope',
              servers: [
                { name: 'Bad Name', transport: 'stdio' },
                { name: 'remote', transport: 'sse' },
              ],
            },
          ],
        },
        { env: { PORT: 'eighty' }, cwd: dir },
      ),
    )
    const text = list.join('\n')
    assert.match(text, /^PORT: must be a port number \(got "eighty"\)$/m)
    assert.match(text, /^listen\.port: .*\(got 70000\)$/m)
    assert.match(text, /^logLevel: .*\(got "loud"\)$/m)
    assert.match(text, /^projects\[0\]\.servers\[0\]\.name: must be 1-48 characters.*\(got "Bad Name"\)$/m)
    assert.match(text, /^projects\[0\]\.servers\[0\]\.command: is required for stdio servers \(got nothing\)$/m)
    assert.match(text, /^projects\[0\]\.servers\[1\]\.url: is required for sse servers \(got nothing\)$/m)
    assert.match(text, /^projects\[0\]\.team: names no team in `teams` \(got "nope"\)$/m)
    assert.ok(list.length >= 7, text)
  })

  it("defaults the protocol era to 'auto' and keeps legacy SSE servers there", () => {
    const sse = { name: 'old', transport: 'sse' as const, url: 'http://127.0.0.1:9/sse' }
    const c = resolveConfig(
      {
        projects: [
          {
            id: 'p',
            name: 'P',
            servers: [
              { name: 'remote', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp', protocol: 'modern' },
              { ...sse, name: 'old-legacy', protocol: 'legacy' },
              sse,
            ],
          },
        ],
      },
      { env: {}, cwd: dir },
    )
    assert.equal(c.upstreams.protocol, 'auto')
    assert.deepEqual(
      c.projects[0].servers.map((s) => s.protocol),
      ['modern', 'legacy', undefined],
    )
    const list = problems(() =>
      resolveConfig(
        {
          projects: [{ id: 'p', name: 'P', servers: [{ ...sse, protocol: 'auto' }] }],
          upstreams: { protocol: 'new' as never },
        },
        { env: {}, cwd: dir },
      ),
    )
    const text = list.join('\n')
    assert.match(
      text,
      /^projects\[0\]\.servers\[0\]\.protocol: must be 'legacy' \(or left out\) for legacy SSE servers/m,
    )
    assert.match(text, /^upstreams\.protocol: .*\(got "new"\)$/m)
  })

  it('takes OAuth settings on remote servers, with defaults, and field errors that never echo the client secret', () => {
    const remote = { transport: 'streamable-http' as const, url: 'https://mcp.example/mcp' }
    const c = resolveConfig(
      {
        projects: [
          {
            id: 'p',
            name: 'P',
            servers: [
              { name: 'linear', ...remote, auth: { type: 'oauth' } },
              {
                name: 'github',
                ...remote,
                auth: {
                  type: 'oauth',
                  credentials: 'user',
                  clientId: 'Iv1.abc',
                  clientSecret: 'gh-client-secret',
                  scopes: ['repo', 'read:org'],
                },
              },
              { name: 'open', ...remote, auth: null },
              { name: 'plain', ...remote },
            ],
          },
        ],
      },
      { env: {}, cwd: dir },
    )
    assert.deepEqual(
      c.projects[0].servers.map((s) => s.auth),
      [
        { type: 'oauth', credentials: 'project', scopes: [] },
        {
          type: 'oauth',
          credentials: 'user',
          clientId: 'Iv1.abc',
          clientSecret: 'gh-client-secret',
          scopes: ['repo', 'read:org'],
        },
        null,
        undefined,
      ],
    )

    const text = problems(() =>
      resolveConfig(
        {
          projects: [
            {
              id: 'p',
              name: 'P',
              servers: [
                { name: 'local', transport: 'stdio', command: 'node', auth: { type: 'oauth' } },
                { name: 'a', ...remote, auth: { type: 'basic' as never } },
                { name: 'b', ...remote, auth: { type: 'oauth', credentials: 'team' as never, scopes: ['has space'] } },
                { name: 'c', ...remote, auth: { type: 'oauth', clientSecret: 'orphan-client-secret' } },
                { name: 'd', ...remote, auth: { type: 'oauth' }, headers: { Authorization: 'Bearer static-secret' } },
                { name: 'e', ...remote, auth: { type: 'oauth', clientId: 'x', clientSecret: 7 as never } },
              ],
            },
          ],
        },
        { env: {}, cwd: dir },
      ),
    ).join('\n')
    assert.match(text, /^projects\[0\]\.servers\[0\]\.auth: is only for remote servers \(sse or streamable-http\)/m)
    assert.match(text, /^projects\[0\]\.servers\[1\]\.auth\.type: /m)
    assert.match(text, /^projects\[0\]\.servers\[2\]\.auth\.credentials: /m)
    assert.match(text, /^projects\[0\]\.servers\[2\]\.auth\.scopes\[0\]: must be one scope/m)
    assert.match(text, /^projects\[0\]\.servers\[3\]\.auth\.clientSecret: needs a clientId \(got a hidden value\)$/m)
    assert.match(text, /^projects\[0\]\.servers\[4\]\.headers\.Authorization: is set from the OAuth tokens/m)
    assert.match(
      text,
      /^projects\[0\]\.servers\[5\]\.auth\.clientSecret: .*environment variable.*\(got a hidden value\)$/m,
    )
    assert.doesNotMatch(text, /orphan-client-secret|static-secret/)
  })

  it('never echoes a secret in an error', () => {
    const text = problems(() =>
      resolveConfig(
        {
          projects: [{ id: 'p', name: 'P', apiKeys: [{ name: 'ci', key: 'sk-live-supersecret' }] }],
          admin: { password: 'short' },
        },
        { env: {}, cwd: dir },
      ),
    ).join('\n')
    assert.match(text, /projects\[0\]\.apiKeys\[0\]\.key: must start with mcp_proj_.*\(got a hidden value\)/)
    assert.match(text, /admin\.password: .*\(got a hidden value\)/)
    assert.doesNotMatch(text, /supersecret|short"/)
  })

  it('names unknown fields', () => {
    const text = problems(() => resolveConfig({ listen: { prot: 1 } } as never, { env: {}, cwd: dir })).join('\n')
    assert.match(text, /^listen\.prot: unknown field; did you mean "port"\?$/m)
  })

  it('deep-freezes the resolved config', () => {
    const c = resolveConfig(
      {
        projects: [{ id: 'p', name: 'P', servers: [{ name: 'e', transport: 'stdio', command: 'node', args: ['x'] }] }],
      },
      { env: {}, cwd: dir },
    )
    assert.ok(Object.isFrozen(c))
    assert.ok(Object.isFrozen(c.listen))
    assert.ok(Object.isFrozen(c.projects[0].servers[0].args))
    assert.throws(() => {
      ;(c.listen as { port: number }).port = 1
    }, TypeError)
  })

  it('loads the file named by MCPO_CONFIG and fails clearly when it is missing', async () => {
    const file = join(dir, 'custom.config.ts')
    writeFileSync(file, `export default { listen: { port: 1234 }, teams: [{ slug: 'ops', name: 'Ops' }] }\n`)
    const c = await loadConfig({ env: { MCPO_CONFIG: file }, cwd: dir })
    assert.equal(c.listen.port, 1234)
    assert.equal(c.configPath, file)
    await assert.rejects(
      loadConfig({ env: { MCPO_CONFIG: join(dir, 'nope.ts') }, cwd: dir }),
      /MCPO_CONFIG: file not found/,
    )
  })

  it('the repository mcpo.config.ts works unedited', async () => {
    const c = await loadConfig({ env: {}, cwd: join(import.meta.dirname, '..') })
    assert.equal(c.listen.port, 8080)
    assert.equal(c.storage.kind, 'embedded')
  })
})
