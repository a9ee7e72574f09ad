// Answers of the REST API that /api/openapi.json does not describe yet, so api-types.ts cannot derive them: sign-in,
// client configs and the discovery document. Declaring a route's `response` schema moves its type to api-types.ts.
import type { Transport, User } from './api-types.ts'

export interface SignInAnswer {
  token: string
  expiresAt: string
  user: User
}

export type ClientName = 'cline' | 'claude-desktop' | 'cursor' | 'vscode' | 'claude-code' | 'claude' | 'chatgpt'

export interface ClientConfig {
  client: ClientName
  transport: 'sse' | 'streamable-http'
  /** key: a placeholder for a project key; oauth: no header, the client signs in in a browser. */
  auth?: 'key' | 'oauth'
  keyVariable: string | null
  file: string
  config: Record<string, unknown>
  /** Claude Code: the `claude mcp add` command lines. */
  command?: string
  notes: string[]
  /** Enabled servers left out because they are down (absent in answers from before this field). */
  omitted?: { name: string; state: string; lastError: string | null; lastErrorAt: string | null }[]
}

export interface Discovery {
  project: { id: string; name: string }
  unified: { name: string; endpoints: Endpoints }
  servers: { name: string; description: string; upstreamTransport: Transport; endpoints: Endpoints }[]
  /** Enabled servers left out of `servers` because they are down (unless asked with includeFailing). */
  unavailable?: { name: string; state: string; since: string | null }[]
}

export interface Endpoints {
  sse: string
  messages: string
  mcp: string
}
