// /api/users: the admin console's user management: search and page, create with a password, edit (name, email,
// admin flag, disabled, password), delete, and bulk disable/enable/delete. Password hashes never leave storage.
// Guards: no one disables or deletes their own account, the last enabled administrator keeps the flag, and a user
// who is the last owner of a team or project is not deleted (it would be left with no owner).
import { z } from 'zod'
import { stronger } from '../../plugins/rbac/matrix.ts'
import type { Store, User, UserPatch } from '../../plugins/storage/port.ts'
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../plugins/users/password.ts'
import { GatewayError, isGatewayError } from '../errors.ts'
import { oauthServerOf } from '../upstream-oauth/routes.ts'
import { publicUser, userSchema } from './auth-routes.ts'
import { type ApiContext, type ApiServices, route } from './define.ts'
import { auditVerified } from './email-verification.ts'
import { pageQuery, pageSchema } from './paging.ts'
import { assertVersion, callerUserId, projectOwners } from './rules.ts'
import { currentSession, endSessions } from './session-routes.ts'
import { versionField } from './views.ts'

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024)
const userName = z.string().trim().max(200)

type Change = 'demote' | 'disable' | 'delete'

/** A user as the console shows it: the public fields plus `updatedAt`, the version a PUT may send back. */
const adminUserSchema = userSchema.extend({ updatedAt: z.string() })
function adminUser(u: User): z.infer<typeof adminUserSchema> {
  return { ...publicUser(u), updatedAt: u.updatedAt.toISOString() }
}

/** Counts administrators who can still sign in. Only run when an administrator is about to lose that (rare). */
async function enabledAdmins(store: Store): Promise<number> {
  let n = 0
  for (let offset = 0; ; offset += 1000) {
    const page = await store.users.list({ limit: 1000, offset })
    n += page.filter((u) => u.isAdmin && !u.disabled).length
    if (page.length < 1000) return n
  }
}

/** Teams and projects that would be left without an owner if `userId` went. */
async function soleOwnerships(store: Store, userId: string): Promise<string[]> {
  const out: string[] = []
  for (const t of await store.teamMembers.listForUser(userId)) {
    if (t.role === 'owner' && (await store.teamMembers.countOwners(t.teamId)) <= 1) out.push(`team "${t.teamName}"`)
  }
  for (const p of await store.projects.listForUser(userId, { includeArchived: true })) {
    if (stronger(p.role, p.teamRole) !== 'owner') continue
    const { direct, team } = await projectOwners(store, p)
    const owners = new Set([...direct, ...team])
    owners.delete(userId)
    if (owners.size === 0) out.push(`project "${p.name}"`)
  }
  return out
}

async function checkChange(store: Store, actorId: string, target: User, change: Change): Promise<void> {
  if (target.id === actorId && change !== 'demote') {
    throw new GatewayError('MCPO_ERR_CONFLICT', `you cannot ${change} your own account`)
  }
  if (target.isAdmin && !target.disabled && (await enabledAdmins(store)) <= 1) {
    throw new GatewayError(
      'MCPO_ERR_CONFLICT',
      `${target.email} is the last administrator: make someone else an administrator first`,
      { details: { reason: 'last_admin' } },
    )
  }
  if (change === 'delete') {
    const sole = await soleOwnerships(store, target.id)
    if (sole.length > 0) {
      throw new GatewayError(
        'MCPO_ERR_CONFLICT',
        `${target.email} is the last owner of ${sole.join(', ')}: transfer ownership first, or disable the account instead`,
        { details: { reason: 'last_owner', of: sole } },
      )
    }
  }
}

async function loadUser(store: Store, id: string): Promise<User> {
  const user = await store.users.get(id)
  if (!user) throw new GatewayError('MCPO_ERR_NOT_FOUND', 'user not found')
  return user
}

/**
 * A disabled or deleted user's sign-in sessions and MCP sessions end now; their keys drop out of the cache (deleted
 * keys cascade).
 */
async function cutOff(services: ApiServices, userId: string): Promise<void> {
  await endSessions(services, userId)
  await services.store.oauth.revokeGrantsOf(userId, null)
  await services.upstreamOAuth?.forget(null, userId, oauthServerOf(services))
  for (const s of [...services.sessions.all()]) {
    if (s.principalKind === 'user' && s.principalId === userId) s.close('account disabled')
  }
  await services.reloadKeys()
}

async function removeUser(ctx: ApiContext, actorId: string, target: User): Promise<void> {
  await checkChange(ctx.services.store, actorId, target, 'delete')
  await ctx.services.store.users.delete(target.id)
  await cutOff(ctx.services, target.id)
  ctx.audit({ action: 'user.deleted', target: { type: 'user', id: target.id }, before: publicUser(target) })
}

async function setDisabled(ctx: ApiContext, actorId: string, target: User, disabled: boolean): Promise<User> {
  if (target.disabled === disabled) return target
  if (disabled) await checkChange(ctx.services.store, actorId, target, 'disable')
  const updated = (await ctx.services.store.users.update(target.id, { disabled })) ?? target
  if (disabled) await cutOff(ctx.services, target.id)
  ctx.audit({
    action: disabled ? 'user.disabled' : 'user.enabled',
    target: { type: 'user', id: target.id },
    before: { disabled: target.disabled },
    after: { disabled },
  })
  return updated
}

export function userRoutes() {
  return [
    route({
      method: 'GET',
      path: '/api/users',
      tag: 'users',
      summary: 'Every user, ordered by email; search matches email or name (administrators)',
      auth: 'admin',
      query: pageQuery.extend({ search: z.string().trim().min(1).max(200).optional() }),
      response: pageSchema(adminUserSchema),
      handler: async ({ query, services }) => {
        const store = services.store
        const rows = await store.users.list({ search: query.search, limit: query.limit + 1, offset: query.offset })
        const more = rows.length > query.limit
        return {
          items: rows.slice(0, query.limit).map(adminUser),
          total: query.search ? null : await store.users.count(),
          limit: query.limit,
          offset: query.offset,
          nextOffset: more ? query.offset + query.limit : null,
        }
      },
    }),
    route({
      method: 'GET',
      path: '/api/users/:id',
      tag: 'users',
      summary: 'One user (administrators)',
      auth: 'admin',
      response: adminUserSchema,
      handler: async ({ params, services }) => adminUser(await loadUser(services.store, params.id)),
    }),
    route({
      method: 'POST',
      path: '/api/users',
      tag: 'users',
      summary: 'Create a user with a password (administrators)',
      auth: 'admin',
      status: 201,
      body: z.object({
        email: z.email(),
        name: userName.default(''),
        password,
        isAdmin: z.boolean().default(false),
      }),
      response: adminUserSchema,
      handler: async ({ body, services, audit }) => {
        const user = await services.store.users.create({
          email: body.email,
          name: body.name,
          passwordHash: await hashPassword(body.password),
          isAdmin: body.isAdmin,
          // An administrator vouches for the address they type.
          emailVerifiedAt: new Date(),
        })
        const view = adminUser(user)
        audit({ action: 'user.created', target: { type: 'user', id: user.id }, after: view })
        return view
      },
    }),
    route({
      method: 'PUT',
      path: '/api/users/:id',
      tag: 'users',
      summary: 'Edit a user: name, email, administrator flag, disabled, password (administrators)',
      auth: 'admin',
      body: z.object({
        name: userName.optional(),
        email: z.email().optional(),
        isAdmin: z.boolean().optional(),
        disabled: z.boolean().optional(),
        password: password.optional(),
        version: versionField,
      }),
      response: adminUserSchema,
      handler: async (ctx) => {
        const { params, body, principal, services, audit } = ctx
        const actorId = callerUserId(principal)
        const store = services.store
        const target = await loadUser(store, params.id)
        assertVersion('user', target.updatedAt, body.version)
        if (body.isAdmin === false && target.isAdmin) await checkChange(store, actorId, target, 'demote')
        if (body.disabled === true && !target.disabled) await checkChange(store, actorId, target, 'disable')
        const patch: UserPatch = {}
        if (body.name !== undefined) patch.name = body.name
        if (body.email !== undefined) {
          patch.email = body.email
          // An administrator vouches for the address they type, as when they create an account.
          if (body.email.toLowerCase() !== target.email.toLowerCase()) patch.emailVerifiedAt = new Date()
        }
        if (body.isAdmin !== undefined) patch.isAdmin = body.isAdmin
        if (body.disabled !== undefined) patch.disabled = body.disabled
        if (body.password !== undefined) patch.passwordHash = await hashPassword(body.password)
        const updated = (await store.users.update(target.id, patch)) ?? target
        if (updated.disabled && !target.disabled) await cutOff(services, target.id)
        // A password set by an administrator (a reset) signs out whoever used the old one.
        else if (body.password !== undefined) {
          await endSessions(services, target.id, target.id === actorId ? currentSession(services, ctx.ex) : null)
        }
        audit({
          action: 'user.updated',
          target: { type: 'user', id: target.id },
          before: publicUser(target),
          after: { ...publicUser(updated), passwordChanged: body.password !== undefined },
        })
        return adminUser(updated)
      },
    }),
    route({
      method: 'POST',
      path: '/api/users/:id/confirm-email',
      tag: 'users',
      summary:
        'Confirm a user’s email address (administrators): invitations sent to it reach the account, and SSO may ' +
        'link to it. Only for an address you know is theirs',
      auth: 'admin',
      response: adminUserSchema,
      handler: async ({ params, services, audit }) => {
        const target = await loadUser(services.store, params.id)
        if (target.emailVerifiedAt) return adminUser(target)
        const updated = (await services.store.users.update(target.id, { emailVerifiedAt: new Date() })) ?? target
        auditVerified(audit, target.id, 'admin')
        return adminUser(updated)
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/users/:id',
      tag: 'users',
      summary: 'Delete a user and their API keys (administrators); refused while they are the last owner of something',
      auth: 'admin',
      handler: async (ctx) => {
        const actorId = callerUserId(ctx.principal)
        await removeUser(ctx, actorId, await loadUser(ctx.services.store, ctx.params.id))
        return undefined
      },
    }),
    route({
      method: 'POST',
      path: '/api/users/bulk',
      tag: 'users',
      summary: 'Disable, enable or delete many users at once (administrators); each id gets its own result',
      auth: 'admin',
      body: z.object({
        ids: z.array(z.uuid()).min(1).max(200),
        action: z.enum(['disable', 'enable', 'delete']),
      }),
      response: z.object({
        changed: z.number().int(),
        results: z.array(
          z.object({
            id: z.string(),
            ok: z.boolean(),
            error: z.object({ code: z.string(), message: z.string() }).optional(),
          }),
        ),
      }),
      handler: async (ctx) => {
        const { body, principal, services } = ctx
        const actorId = callerUserId(principal)
        const results: { id: string; ok: boolean; error?: { code: string; message: string } }[] = []
        for (const id of new Set(body.ids)) {
          try {
            const target = await loadUser(services.store, id)
            if (body.action === 'delete') await removeUser(ctx, actorId, target)
            else await setDisabled(ctx, actorId, target, body.action === 'disable')
            results.push({ id, ok: true })
          } catch (err) {
            if (!isGatewayError(err)) throw err
            results.push({ id, ok: false, error: { code: err.code, message: err.message } })
          }
        }
        return { changed: results.filter((r) => r.ok).length, results }
      },
    }),
  ]
}
