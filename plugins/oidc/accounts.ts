// From a verified OpenID identity to an mcpo user: find by (issuer, subject), link by verified email, or create;
// then grant the team roles the user's provider groups map to.
import {
  type AuditEvent,
  GatewayError,
  isGatewayError,
  type Logger,
  type Role,
  type Store,
  type User,
} from '../contract.ts'

/** Who the provider vouched for, taken from a verified ID token. */
export interface OidcIdentity {
  issuer: string
  subject: string
  email: string | null
  emailVerified: boolean
  name: string
  groups: string[]
}

/** An audit event before the route fills in time, actor and request. */
export type AuditDraft = Omit<AuditEvent, 'at' | 'actor' | 'ip' | 'userAgent' | 'requestId'>

/** A team role granted to the members of a provider group. */
export interface GroupRole {
  /** The team's slug. */
  team: string
  role: Role
}

export interface AccountPolicy {
  allowSignup: boolean
  /** Group name → the team roles its members get. */
  groupRoles: ReadonlyMap<string, readonly GroupRole[]>
}

const RANK: Record<Role, number> = { reporter: 0, developer: 1, owner: 2 }

export async function signInAccount(
  store: Store,
  id: OidcIdentity,
  policy: AccountPolicy,
  logger: Logger,
  now: Date,
): Promise<{ user: User; events: AuditDraft[] }> {
  const events: AuditDraft[] = []
  let user = await store.users.getByOidc(id.issuer, id.subject)
  if (!user && id.email && id.emailVerified) user = await linkByEmail(store, id, events)
  if (!user) user = await createUser(store, id, policy, events)
  if (user.disabled) throw new GatewayError('MCPO_ERR_FORBIDDEN', 'this account is disabled')
  user = (await store.users.update(user.id, { lastLoginAt: now })) ?? user
  await grantGroupRoles(store, user, id.groups, policy.groupRoles, events, logger)
  return { user, events }
}

async function linkByEmail(store: Store, id: OidcIdentity, events: AuditDraft[]): Promise<User | null> {
  const existing = await store.users.getByEmail(id.email!)
  if (!existing) return null
  // An account made through an invitation link no mail plugin delivered may belong to whoever held the link, not to
  // the owner of the address: joining the real person's identity to it would share one account between them.
  if (!existing.emailVerifiedAt) {
    throw new GatewayError(
      'MCPO_ERR_FORBIDDEN',
      'an mcpo account uses this email but has not verified it: verify it from that account, or ask an administrator',
    )
  }
  // Same provider, other subject: the address was reassigned there (a new person), so it does not inherit
  // the old account. A link to another issuer is replaced: that is a move to a new provider.
  if (existing.oidcIssuer === id.issuer && existing.oidcSubject !== null && existing.oidcSubject !== id.subject) {
    throw new GatewayError(
      'MCPO_ERR_FORBIDDEN',
      'the mcpo account with this email is linked to another identity at the provider; ask an administrator',
    )
  }
  const linked = await store.users.update(existing.id, { oidcIssuer: id.issuer, oidcSubject: id.subject })
  events.push({
    action: 'user.oidc_linked',
    target: { type: 'user', id: existing.id },
    before: { oidcIssuer: existing.oidcIssuer, oidcSubject: existing.oidcSubject },
    after: { oidcIssuer: id.issuer, oidcSubject: id.subject },
  })
  return linked ?? existing
}

async function createUser(store: Store, id: OidcIdentity, policy: AccountPolicy, events: AuditDraft[]): Promise<User> {
  if (!policy.allowSignup) {
    throw new GatewayError('MCPO_ERR_FORBIDDEN', 'there is no mcpo account for this sign-in; ask an administrator')
  }
  if (!id.email) {
    throw new GatewayError('MCPO_ERR_FORBIDDEN', 'the provider sent no email address (request the email scope)')
  }
  // Unverified addresses would let anyone claim a colleague's email (and its invitations) before they sign up.
  if (!id.emailVerified) throw new GatewayError('MCPO_ERR_FORBIDDEN', 'the provider has not verified this email')
  let user: User
  try {
    user = await store.users.create({
      email: id.email,
      name: id.name,
      oidcIssuer: id.issuer,
      oidcSubject: id.subject,
      // Only reached with a provider-verified email (checked above).
      emailVerifiedAt: new Date(),
    })
  } catch (err) {
    // Two first sign-ins at once: the other one created the account.
    const raced = isGatewayError(err, 'MCPO_ERR_CONFLICT') ? await store.users.getByOidc(id.issuer, id.subject) : null
    if (!raced) throw err
    return raced
  }
  events.push({
    action: 'user.created',
    target: { type: 'user', id: user.id },
    after: { email: user.email, name: user.name, via: 'oidc', oidcIssuer: id.issuer },
  })
  return user
}

/**
 * Adds the user to each mapped team, or raises their role to the mapped one. Roles are never lowered and
 * memberships never removed here: an administrator's changes in mcpo stand.
 */
async function grantGroupRoles(
  store: Store,
  user: User,
  groups: readonly string[],
  mapping: ReadonlyMap<string, readonly GroupRole[]>,
  events: AuditDraft[],
  logger: Logger,
): Promise<void> {
  if (mapping.size === 0) return
  const wanted = new Map<string, Role>()
  for (const group of groups) {
    for (const { team, role } of mapping.get(group) ?? []) {
      const had = wanted.get(team)
      if (had === undefined || RANK[role] > RANK[had]) wanted.set(team, role)
    }
  }
  for (const [slug, role] of wanted) {
    const team = await store.teams.getBySlug(slug)
    if (!team) {
      logger.warn({ team: slug }, 'groupRoles names a team that does not exist; skipped')
      continue
    }
    const member = await store.teamMembers.get(team.id, user.id)
    if (!member) {
      try {
        await store.teamMembers.add({ teamId: team.id, userId: user.id, role })
      } catch (err) {
        if (isGatewayError(err, 'MCPO_ERR_CONFLICT')) continue
        throw err
      }
      events.push({
        action: 'team.member_added',
        teamId: team.id,
        target: { type: 'user', id: user.id },
        after: { role, via: 'oidc-group' },
      })
    } else if (RANK[role] > RANK[member.role]) {
      await store.teamMembers.setRole(team.id, user.id, role)
      events.push({
        action: 'team.member_role_changed',
        teamId: team.id,
        target: { type: 'user', id: user.id },
        before: { role: member.role },
        after: { role, via: 'oidc-group' },
      })
    }
  }
}
