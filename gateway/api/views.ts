// What the team, project, member and invitation routes answer: one zod schema per shape (it documents the route in
// /api/openapi.json) and the function that turns a storage row into it. Dates become ISO strings; secrets and token
// hashes never leave this file.
import { z } from 'zod'
import type {
  Invitation,
  Project,
  ProjectMemberWithUser,
  Role,
  Team,
  TeamMemberWithUser,
} from '../../plugins/storage/port.ts'

export const roleSchema = z.enum(['owner', 'developer', 'reporter'])

/** Optional lost-update guard: the `updatedAt` of the row as the client last saw it. */
export const versionField = z.iso
  .datetime({ offset: true })
  .optional()
  .describe('the updatedAt the client last saw; a stale value answers 409')

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export const teamSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  /** The caller's role in the team; null for an administrator who is not a member. */
  role: roleSchema.nullable(),
  /** `config`: declared in mcpo.config.ts, so it cannot be renamed or deleted here. */
  source: z.enum(['ui', 'config']),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type TeamView = z.infer<typeof teamSchema>

export function teamView(t: Team, role: Role | null): TeamView {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    description: t.description,
    role,
    source: t.source ?? 'ui',
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  }
}

export const teamMemberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
})

export function teamMemberView(m: TeamMemberWithUser): z.infer<typeof teamMemberSchema> {
  return {
    userId: m.userId,
    email: m.email,
    name: m.name,
    role: m.role,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  }
}

export const projectSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  teamId: z.string().nullable(),
  archived: z.boolean(),
  archivedAt: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  /** `config`: declared in mcpo.config.ts, read-only here except archive and restore. */
  source: z.enum(['ui', 'config']),
  createdBy: z.string().nullable(),
  /** The caller's effective role (direct or through the project's team); null for a non-member administrator. */
  role: roleSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type ProjectView = z.infer<typeof projectSchema>

export function projectView(p: Project, role: Role | null): ProjectView {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    teamId: p.teamId,
    archived: p.archivedAt !== null,
    archivedAt: iso(p.archivedAt),
    settings: p.settings,
    source: p.source,
    createdBy: p.createdBy,
    role,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  }
}

export const projectMemberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  /** The direct project role (what PUT changes); null when the member only comes through the project's team. */
  role: roleSchema.nullable(),
  /** The role through the project's team, if any. */
  teamRole: roleSchema.nullable(),
  /** The stronger of the two: what the member may do. */
  effectiveRole: roleSchema,
  inviteSource: z.enum(['direct', 'team', 'invitation', 'config']),
  sourceTeamId: z.string().nullable(),
  addedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type ProjectMemberView = z.infer<typeof projectMemberSchema>

const rank: Record<Role, number> = { reporter: 0, developer: 1, owner: 2 }

export function projectMemberView(m: ProjectMemberWithUser, teamRole: Role | null): ProjectMemberView {
  return {
    userId: m.userId,
    email: m.email,
    name: m.name,
    role: m.role,
    teamRole,
    effectiveRole: teamRole && rank[teamRole] > rank[m.role] ? teamRole : m.role,
    inviteSource: m.inviteSource,
    sourceTeamId: m.sourceTeamId,
    addedBy: m.addedBy,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  }
}

/** A member who has access only through the project's team. */
export function inheritedMemberView(m: TeamMemberWithUser): ProjectMemberView {
  return {
    userId: m.userId,
    email: m.email,
    name: m.name,
    role: null,
    teamRole: m.role,
    effectiveRole: m.role,
    inviteSource: 'team',
    sourceTeamId: m.teamId,
    addedBy: null,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  }
}

export const invitationSchema = z.object({
  id: z.string(),
  kind: z.enum(['team', 'individual', 'external']),
  projectId: z.string().nullable(),
  teamId: z.string().nullable(),
  sourceTeamId: z.string().nullable(),
  email: z.string().nullable(),
  role: roleSchema,
  status: z.enum(['pending', 'accepted', 'declined', 'revoked', 'expired']),
  invitedBy: z.string().nullable(),
  expiresAt: z.string(),
  acceptedAt: z.string().nullable(),
  acceptedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type InvitationView = z.infer<typeof invitationSchema>

/** Never the token hash: the link is shown once, in the create or resend answer. */
export function invitationView(i: Invitation, now = Date.now()): InvitationView {
  const expired = i.status === 'pending' && i.expiresAt.getTime() <= now
  return {
    id: i.id,
    kind: i.kind,
    projectId: i.projectId,
    teamId: i.teamId,
    sourceTeamId: i.sourceTeamId,
    email: i.email,
    role: i.role,
    status: expired ? 'expired' : i.status,
    invitedBy: i.invitedBy,
    expiresAt: i.expiresAt.toISOString(),
    acceptedAt: iso(i.acceptedAt),
    acceptedBy: i.acceptedBy,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  }
}

/** Invites a member: an account named by id, or anyone by email. */
export const memberBody = z
  .object({ userId: z.uuid().optional(), email: z.email().optional(), role: roleSchema })
  .refine((b) => (b.userId === undefined) !== (b.email === undefined), {
    message: 'give either userId or email',
    path: ['userId'],
  })

/** Changes a member's role. */
export const roleBody = z.object({ role: roleSchema, version: versionField })
