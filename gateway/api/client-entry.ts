// How an entry of another MCP client's config (Claude, Cline, Cursor, VS Code) becomes an mcpo server: its name and
// its remote transport. Imports nothing: the admin UI bundles it so the import preview shows what the route creates.

/** A server name in mcpo's alphabet (`[a-z0-9-]`, protocol.md §5) from a client's entry name. */
export function importName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '')
}

const REMOTE_TYPES: Record<string, 'sse' | 'streamable-http'> = {
  sse: 'sse',
  http: 'streamable-http',
  streamableHttp: 'streamable-http',
  'streamable-http': 'streamable-http',
  streamable_http: 'streamable-http',
  streamableHTTP: 'streamable-http',
}

/**
 * The transport of a remote entry from its `type` (or `transportType`, `transport`) and url. A url without a type is
 * SSE for Cline (cline/cline#6767); a path ending in /mcp is Streamable HTTP anyway.
 */
export function remoteTransport(type: string, url: unknown): 'sse' | 'streamable-http' {
  // hasOwn: a type such as "constructor" must not pick up Object.prototype.
  if (Object.hasOwn(REMOTE_TYPES, type)) return REMOTE_TYPES[type]
  return typeof url === 'string' && /\/mcp\/?(\?|$)/.test(url) ? 'streamable-http' : 'sse'
}
