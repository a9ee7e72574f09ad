// What the UI says about OAuth: a project's authentication modes, the consent page's details (the authorization
// server's answer, not part of /api/openapi.json) and the words that tell a user how far to trust an MCP client.
// No DOM here, so node:test checks the wording and that the modes match the server's.
import type { ConnectedApp, Role } from './api-types.ts'

/** How MCP clients authenticate to a project's endpoints (`settings.authMode`). */
export type AuthMode = 'keys' | 'oauth' | 'both'

export const AUTH_MODE_CHOICES: readonly { mode: AuthMode; label: string; line: string }[] = [
  { mode: 'keys', label: 'API keys', line: 'Clients send a project API key. This is the default.' },
  {
    mode: 'oauth',
    label: 'OAuth sign-in',
    line: 'Clients sign in with OAuth in a browser and act as the person who allowed them; API keys are refused.',
  },
  { mode: 'both', label: 'Both', line: 'Clients may send an API key or sign in with OAuth.' },
]

/** The project's mode; anything unknown is the server's default, keys. */
export function authModeOf(settings: Record<string, unknown> | null | undefined): AuthMode {
  const v = settings?.authMode
  return v === 'oauth' || v === 'both' ? v : 'keys'
}

export type Registration = ConnectedApp['registration']

/** GET /oauth/interaction/:uid/details. */
export interface ConsentDetails {
  uid: string
  client: {
    id: string
    name: string | null
    uri: string | null
    redirectHost: string | null
    registration: Registration
  }
  project: { id: string; name: string | null }
  /** The one server the client asks for, or null for the project's unified endpoint. */
  server: string | null
  resource: string
  scopes: string[]
  user: { id: string; email?: string; name?: string }
  role: Role | null
  /** Only members of the project may connect an app to it. */
  canGrant: boolean
  prompt: { name: string; reasons: string[] }
}

/** The client as a person would name it: its own name, else its id. */
export function clientLabel(client: { id: string; name: string | null }): string {
  return client.name?.trim() || client.id
}

/**
 * How the gateway knows who the client is, and so how far its name can be trusted: a name from an https metadata
 * document is its publisher's, a name given at dynamic registration is whatever the client chose.
 */
export function identityLine(client: { id: string; registration: Registration }): {
  text: string
  verified: boolean
} {
  switch (client.registration) {
    case 'metadata-document':
      return { text: `Identity: verified from ${client.id} (metadata document)`, verified: true }
    case 'preregistered':
      return { text: 'Identity: registered by your gateway administrator', verified: true }
    case 'dynamic':
      return { text: 'Registered itself with this gateway (unverified): any app can choose this name', verified: false }
  }
}

/** A short form for tables. */
export function registrationLabel(registration: Registration): string {
  return registration === 'metadata-document'
    ? 'verified (metadata document)'
    : registration === 'preregistered'
      ? 'registered by the administrator'
      : 'self-registered (unverified)'
}

/** The server the app was given, from a grant's resource URLs (`…/projects/p/servers/s`), or null for all of them. */
export function serversOf(resources: readonly string[]): string[] | null {
  const names: string[] = []
  for (const r of resources) {
    const m = /\/projects\/[^/]+\/servers\/([^/]+)$/.exec(r)
    if (!m) return null
    names.push(decodeURIComponent(m[1]))
  }
  return names.length ? names : null
}

const ROLE_WORDS: Record<Role, string> = { owner: 'Owner', developer: 'Developer', reporter: 'Reporter' }

export function roleWord(role: Role): string {
  return ROLE_WORDS[role] ?? role
}

/** An OAuth error description ("this request has expired; start again") as a sentence for the page. */
export function sentence(text: string): string {
  const t = text.trim()
  if (!t) return t
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.')
}
