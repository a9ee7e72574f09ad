// A real gateway with a signed-in admin, and helpers to make signed-in users and call the API as them, for the
// team, project, member, invitation and user API tests.
import type { UserConfig } from '../../config/define-config.ts'
import type { AuditEvent } from '../../plugins/contract.ts'
import { hashPassword } from '../../plugins/users/password.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'
import { setUpAdmin } from '../kit/first-admin.ts'
import { rest } from '../kit/rest.ts'

export const PASSWORD = 'correct horse battery staple'

export interface Who {
  id: string
  email: string
  token: string
}

export interface Reply {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  body: any
}

export interface ApiHarness {
  gw: TestGateway
  admin: Who
  /** Audit events recorded so far. */
  audits: AuditEvent[]
  /** Creates a user in storage (email verified unless `verified: false`) and signs them in. */
  user(name: string, options?: { isAdmin?: boolean; verified?: boolean }): Promise<Who>
  call(as: Who | null, method: string, path: string, body?: unknown): Promise<Reply>
  /**
   * Makes `who` a member the way the API allows: `as` invites them by id through `members` (a project's or team's
   * `/members` path) and `who` accepts. Answers the accept reply.
   */
  addMember(as: Who, members: string, who: Who, role: string): Promise<Reply>
  close(): Promise<void>
}

export function fieldsOf(reply: Reply): string[] {
  return (reply.body?.error?.details?.fields ?? []).map((f: { field: string }) => f.field)
}

export async function startApi(config: UserConfig = {}): Promise<ApiHarness> {
  const gw = await startTestGateway({ projects: [], ...config })
  // Records what the routes audit, keeping the harness's own plugins (and whatever they do with the events).
  const audits: AuditEvent[] = []
  const host = gw.gateway.plugins
  const forward = host.audit.bind(host)
  host.audit = (event: AuditEvent) => {
    audits.push(event)
    forward(event)
  }
  const call = (as: Who | null, method: string, path: string, body?: unknown): Promise<Reply> =>
    rest(gw.url, method, path, { token: as?.token, body })
  const setup = await setUpAdmin(gw, PASSWORD)
  const admin: Who = { id: setup.user.id, email: setup.user.email, token: setup.token }
  // One hash for every test user: argon2 costs ~20 ms per hash, and the salt is not what these tests check.
  const passwordHash = await hashPassword(PASSWORD)
  return {
    gw,
    admin,
    audits,
    call,
    async user(name, options = {}) {
      const email = `${name}@example.com`
      const u = await gw.gateway.store.users.create({
        email,
        name,
        passwordHash,
        isAdmin: options.isAdmin ?? false,
        emailVerifiedAt: options.verified === false ? null : new Date(),
      })
      const login = await call(null, 'POST', '/api/auth/login', { email, password: PASSWORD })
      if (login.status !== 200) throw new Error(`sign-in failed for ${email}: ${JSON.stringify(login.body)}`)
      return { id: u.id, email, token: login.body.token }
    },
    async addMember(as, members, who, role) {
      const invited = await call(as, 'POST', members, { userId: who.id, role })
      if (invited.status !== 202) throw new Error(`invitation failed: ${JSON.stringify(invited.body)}`)
      return call(who, 'POST', `/api/invitations/${invited.body.invitation.id}/accept`)
    },
    close: () => gw.close(),
  }
}
