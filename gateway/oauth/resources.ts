// The resources mcpo's authorization server issues tokens for: its MCP endpoints. A per-server endpoint's resource is
// `{issuer}/projects/{p}/servers/{s}` (a path prefix of its /sse, /messages and /mcp URLs, as clients require of the
// Protected Resource Metadata), a project's unified endpoint's is `{issuer}/projects/{p}`. A token's audience is
// exactly one of them: it works on that endpoint and nowhere else.

const PROJECT = '[A-Za-z0-9][A-Za-z0-9_-]{0,99}'
const SERVER = '[a-z0-9][a-z0-9-]{0,47}'
const RESOURCE_PATH = new RegExp(`^/projects/(${PROJECT})(?:/servers/(${SERVER}))?$`)

export interface McpResource {
  projectId: string
  serverName: string | null
}

/** The endpoint a resource URL names, when it is one of this issuer's; else null. */
export function parseResource(issuer: string, resource: string): McpResource | null {
  if (!resource.startsWith(`${issuer}/`)) return null
  const path = resource.slice(issuer.length)
  const m = RESOURCE_PATH.exec(path)
  if (!m) return null
  return { projectId: m[1], serverName: m[2] ?? null }
}

export function resourceUrl(issuer: string, r: McpResource): string {
  const base = `${issuer}/projects/${r.projectId}`
  return r.serverName === null ? base : `${base}/servers/${r.serverName}`
}

/** The project of any resource URL this gateway issues for, whatever the issuer. */
export function projectOfResource(resource: string): string | null {
  try {
    return RESOURCE_PATH.exec(new URL(resource).pathname)?.[1] ?? null
  } catch {
    return null
  }
}

export const MCP_SCOPE = 'mcp:tools'

export type AuthMode = 'keys' | 'oauth' | 'both'
export const AUTH_MODES: readonly AuthMode[] = ['keys', 'oauth', 'both']

/** A project's authentication mode from its settings; anything else is the default, keys. */
export function authModeOf(settings: Record<string, unknown> | null | undefined): AuthMode {
  const v = settings?.authMode
  return v === 'oauth' || v === 'both' ? v : 'keys'
}
