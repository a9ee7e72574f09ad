// A gateway with project "demo" (server-everything from the config file, key TEST_KEY) and project "other", a
// signed-in admin, and an owner, a developer, a reporter and an outsider of "demo"; for the server, key, tool,
// policy, client-config and activity API tests. Also an MCP SDK client against the gateway.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { UserConfig } from '../../config/define-config.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import type { AuditEvent, McpoPlugin } from '../../plugins/contract.ts'
import { toolPolicies } from '../../plugins/rbac/policies.ts'
import { sessions } from '../../plugins/sessions/index.ts'
import type { Role } from '../../plugins/storage/port.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { everythingServer, OTHER_PROJECT_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'
import { setUpAdmin } from '../kit/first-admin.ts'
import { rest } from '../kit/rest.ts'

const PASSWORD = 'correct horse battery staple'

export interface Who {
  id: string
  token: string
}

export interface Reply {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  body: any
  text: string
}

export interface ProjectApi {
  gw: TestGateway
  admin: Who
  owner: Who
  dev: Who
  rep: Who
  outsider: Who
  audits: AuditEvent[]
  call(as: Who | string | null, method: string, path: string, body?: unknown): Promise<Reply>
  /** A connected MCP client (Streamable HTTP) with this bearer key. */
  mcp(key: string, path: string): Promise<Client>
  close(): Promise<void>
}

export function fieldsOf(reply: Reply): string[] {
  return (reply.body?.error?.details?.fields ?? []).map((f: { field: string }) => f.field)
}

export async function startProjectApi(config: UserConfig = {}): Promise<ProjectApi> {
  const audits: AuditEvent[] = []
  const recorder: McpoPlugin = { name: 'test:audit-recorder', audit: (e) => void audits.push(e) }
  const gw = await startTestGateway({
    plugins: [sessions(), apiKeys({ refreshMs: 200 }), toolPolicies(), recorder],
    projects: [
      { id: 'demo', name: 'Demo', servers: [everythingServer()], apiKeys: [{ name: 'config', key: TEST_KEY }] },
      { id: 'other', name: 'Other', apiKeys: [{ name: 'other', key: OTHER_PROJECT_KEY }] },
    ],
    ...config,
  })
  const clients: Client[] = []

  const call = (as: Who | string | null, method: string, path: string, body?: unknown): Promise<Reply> =>
    rest(gw.url, method, path, { token: typeof as === 'string' ? as : as?.token, body })

  const setup = await setUpAdmin(gw, PASSWORD)
  const admin: Who = { id: setup.user.id, token: setup.token }
  const passwordHash = await hashPassword(PASSWORD)
  const store = gw.gateway.store

  async function user(name: string, role: Role | null): Promise<Who> {
    const email = `${name}@example.com`
    const u = await store.users.create({ email, name, passwordHash, emailVerifiedAt: new Date() })
    if (role) await store.projectMembers.add({ projectId: 'demo', userId: u.id, role })
    const login = await call(null, 'POST', '/api/auth/login', { email, password: PASSWORD })
    if (login.status !== 200) throw new Error(`sign-in failed for ${email}: ${login.text}`)
    return { id: u.id, token: login.body.token }
  }

  return {
    gw,
    admin,
    owner: await user('owner', 'owner'),
    dev: await user('dev', 'developer'),
    rep: await user('rep', 'reporter'),
    outsider: await user('outsider', null),
    audits,
    call,
    async mcp(key, path) {
      const client = new Client({ name: 'mcpo-test', version: '1.0.0' })
      const transport = new StreamableHTTPClientTransport(new URL(gw.url + path), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      })
      await client.connect(transport)
      clients.push(client)
      return client
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})))
      await gw.close()
    },
  }
}
