// Objects declared in mcpo.config.ts are marked `source: "config"` in the API and read-only there: their team,
// project, servers and keys cannot be renamed, edited or deleted through the API (team members and run-time state can).
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { MASK } from '../../plugins/secrets/cipher.ts'
import { TEST_KEY } from '../harness.ts'
import { type ApiHarness, startApi } from './tenancy-harness.ts'

let api: ApiHarness
const CONFIG_CLIENT_SECRET = 'cfg-client-secret-5b2e0a'

before(async () => {
  api = await startApi({
    teams: [{ slug: 'platform', name: 'Platform' }],
    projects: [
      {
        id: 'cfg',
        name: 'From the file',
        team: 'platform',
        servers: [
          {
            name: 'remote',
            transport: 'streamable-http',
            url: 'http://127.0.0.1:9/mcp',
            protocol: 'modern',
            auth: { type: 'oauth', credentials: 'user', clientId: 'cfg-client', clientSecret: CONFIG_CLIENT_SECRET },
          },
        ],
        apiKeys: [{ name: 'ci', key: TEST_KEY }],
      },
    ],
  })
})
after(() => api?.close())

it('marks config-owned objects and refuses to change them through the API', async () => {
  const a = api.admin
  const team = await api.call(a, 'GET', '/api/teams/platform')
  assert.equal(team.status, 200)
  assert.equal(team.body.source, 'config')
  const rename = await api.call(a, 'PUT', '/api/teams/platform', { name: 'Renamed' })
  assert.equal(rename.status, 409)
  assert.match(rename.body.error.message, /managed by mcpo\.config\.ts/)
  assert.equal((await api.call(a, 'DELETE', '/api/teams/platform')).status, 409)
  const someone = await api.user('someone')
  const member = await api.call(a, 'POST', '/api/teams/platform/members', { email: someone.email, role: 'developer' })
  assert.equal(member.status, 202, JSON.stringify(member.body))

  const project = await api.call(a, 'GET', '/api/projects/cfg')
  assert.equal(project.body.source, 'config')
  assert.equal((await api.call(a, 'PUT', '/api/projects/cfg', { name: 'Edited' })).status, 409)
  const server = await api.call(a, 'GET', '/api/projects/cfg/servers/remote')
  assert.equal(server.body.source, 'config')
  assert.equal(server.body.protocol, 'modern', 'the config file sets the protocol era too')
  assert.deepEqual(server.body.auth, {
    type: 'oauth',
    credentials: 'user',
    clientId: 'cfg-client',
    clientSecret: MASK,
    scopes: [],
  })
  assert.ok(!JSON.stringify(server.body).includes(CONFIG_CLIENT_SECRET))
  assert.ok(!JSON.stringify(api.audits).includes(CONFIG_CLIENT_SECRET), 'nor in the config.applied record')
  assert.equal(api.gw.gateway.relay.runtime('cfg', 'remote')?.spec.auth?.clientSecret, CONFIG_CLIENT_SECRET)
  assert.equal((await api.call(a, 'DELETE', '/api/projects/cfg/servers/remote')).status, 409)
  const disable = await api.call(a, 'POST', '/api/projects/cfg/servers/remote/disable')
  assert.equal(disable.status, 200, 'run-time state stays with the UI')
  const keys = await api.call(a, 'GET', '/api/projects/cfg/api-keys')
  const ci = (keys.body.items ?? keys.body).find((k: { name: string }) => k.name === 'ci')
  assert.equal(ci.source, 'config')
  assert.equal((await api.call(a, 'DELETE', `/api/projects/cfg/api-keys/${ci.id}`)).status, 409)

  const made = await api.call(a, 'POST', '/api/teams', { name: 'Made here' })
  assert.equal(made.body.source, 'ui')
})
