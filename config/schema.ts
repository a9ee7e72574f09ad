// The config schema: one zod definition validates mcpo.config.ts and supplies every default.
import { isIP } from 'node:net'
import { z } from 'zod'

const slug = /^[a-z0-9][a-z0-9-]{0,62}$/
const projectId = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
/** Server names appear in URLs and as the `<server>__` prefix, so they stay in `[a-z0-9-]` (protocol.md §5). */

/**
 * Networks remote upstreams may not reach by default: link-local (cloud metadata at 169.254.169.254, fd00:ec2::254 on
 * AWS over IPv6, 100.100.100.200 on Alibaba Cloud) and "this network". Loopback and private ranges stay reachable:
 * self-hosted gateways front internal MCP servers; operators who want those closed list them too.
 */
export const DEFAULT_BLOCKED_NETWORKS: readonly string[] = Object.freeze([
  '169.254.0.0/16',
  '0.0.0.0/8',
  '100.100.100.200/32',
  'fe80::/10',
  'fd00:ec2::254/128',
])

/** `10.0.0.0/8` or `fd00::/8`; an address without a prefix is one host. */
const cidr = z.string().refine((value) => {
  const [address, bits, extra] = value.split('/')
  const family = isIP(address ?? '')
  if (extra !== undefined || family === 0) return false
  if (bits === undefined) return true
  const prefix = Number(bits)
  return bits !== '' && Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128)
}, 'must be a network like 10.0.0.0/8 or fd00::/8, or one address')

export const serverNamePattern = /^[a-z0-9][a-z0-9-]{0,47}$/

const plugin = z.custom<{ name: string }>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string',
  { message: 'must be a plugin object with a name; call the factory, e.g. rbac()' },
)
const storage = z.custom<{ kind: string; open: unknown }>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { kind?: unknown }).kind === 'string' &&
    typeof (v as { open?: unknown }).open === 'function',
  { message: 'must be a storage factory such as embeddedStorage() or postgresStorage({ url })' },
)

const stringRecord = z.record(z.string(), z.string())
/** 0 (off), or at least a second between probes: a probe is a request to the upstream. */
const healthCheckInterval = z
  .number()
  .int()
  .min(0)
  .max(86_400_000)
  .refine((ms) => ms === 0 || ms >= 1000, 'must be 0 (off) or at least 1000 ms')

/**
 * The MCP protocol era spoken to an upstream: 'auto' probes with `server/discover` and falls back to initialize,
 * 'legacy' is the 2025 era (initialize and sessions), 'modern' the stateless 2026-07-28 revision.
 */
export const serverProtocol = z.enum(['auto', 'legacy', 'modern'])
/** Legacy SSE (HTTP+SSE) predates the 2026-07-28 revision, which has no SSE endpoint to probe or speak to. */
export const SSE_PROTOCOL_MESSAGE = "must be 'legacy' (or left out) for legacy SSE servers"
/** A stdio server is a process on the gateway host: there is no HTTP request to carry an OAuth token. */
export const AUTH_REMOTE_MESSAGE = 'is only for remote servers (sse or streamable-http); a stdio server takes env'

/** An OAuth scope token (RFC 6749 §3.3): printable ASCII without space, `"` or `\\`. */
const scopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be one scope: no spaces, quotes or backslashes')

/**
 * OAuth to a remote upstream (issue 22): mcpo is the client of the upstream's authorization server and holds the
 * tokens, for the project (an owner consents once) or for each user (each acts as themselves upstream).
 * @example { type: 'oauth', credentials: 'user', scopes: ['read'] }
 */
export const serverAuthSchema = z
  .object({
    type: z.literal('oauth'),
    credentials: z.enum(['project', 'user']).default('project'),
    /** A client registered at the authorization server; absent: mcpo's client metadata document, or registration. */
    clientId: z.string().min(1).max(2000).optional(),
    /** The pre-registered client's secret: encrypted at rest, never shown again. */
    clientSecret: z
      .string({ error: 'must be a string (is the environment variable set?)' })
      .min(1)
      .max(2000)
      .nullable()
      .optional(),
    scopes: z.array(scopeToken).max(100).default([]),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.clientSecret && !a.clientId) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'needs a clientId', input: a.clientSecret })
    }
  })

export const serverSchema = z
  .object({
    name: z
      .string()
      .regex(serverNamePattern, 'must be 1-48 characters of a-z, 0-9 and -, starting with a letter or digit'),
    description: z.string().max(2000).optional(),
    transport: z.enum(['stdio', 'sse', 'streamable-http']),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: stringRecord.default({}),
    cwd: z.string().optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    headers: stringRecord.default({}),
    /** Upstream request timeout; never shorter than a client's (Cline allows up to 3600 s). */
    timeoutMs: z.number().int().min(1000).max(86_400_000).default(300_000),
    isolation: z.enum(['shared', 'per-session']).optional(),
    enabled: z.boolean().default(true),
    autoStart: z.boolean().default(false),
    /**
     * Health probe every this many ms (README "Server health"); 0 turns it off for this server. Absent: the
     * gateway's `upstreams.healthCheckIntervalMs` (off by default).
     */
    healthCheckIntervalMs: healthCheckInterval.optional(),
    /** The protocol era this server is spoken to in. Absent: the gateway's `upstreams.protocol`. */
    protocol: serverProtocol
      .optional()
      .describe(
        "MCP protocol era: auto (probe with server/discover, fall back to initialize), legacy (2025, initialize), modern (2026-07-28, stateless); absent or null: the gateway's default (upstreams.protocol); legacy SSE servers: legacy only",
      ),
    /** OAuth to the upstream; absent or null: none (the server is open, or `headers` carry a static credential). */
    auth: serverAuthSchema
      .nullable()
      .optional()
      .describe(
        'OAuth to the upstream: mcpo holds the tokens of the project (credentials: project) or of each user (credentials: user); clientId and clientSecret for a pre-registered client; remote servers only; absent or null: none',
      ),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.auth && s.transport === 'stdio') {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: AUTH_REMOTE_MESSAGE, input: s.auth.type })
    }
    if (s.auth && s.transport !== 'stdio') {
      for (const name of Object.keys(s.headers)) {
        if (name.toLowerCase() !== 'authorization') continue
        const message = 'is set from the OAuth tokens (auth): remove it'
        ctx.addIssue({ code: 'custom', path: ['headers', name], message, input: name })
      }
    }
    if (s.transport === 'sse' && s.protocol !== undefined && s.protocol !== 'legacy') {
      ctx.addIssue({ code: 'custom', path: ['protocol'], message: SSE_PROTOCOL_MESSAGE, input: s.protocol })
    }
    if (s.transport === 'stdio' && !s.command) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is required for stdio servers', input: s.command })
    }
    if (s.transport !== 'stdio' && !s.url) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `is required for ${s.transport} servers`, input: s.url })
    }
  })

const apiKeySchema = z
  .object({
    name: z.string().min(1).max(100),
    key: z
      .string({ error: 'must be a string starting with mcp_proj_ (is the environment variable set?)' })
      .regex(/^mcp_proj_[A-Za-z0-9]{20,}$/, 'must start with mcp_proj_ followed by at least 20 letters or digits'),
    expiresAt: z.iso.datetime().optional(),
  })
  .strict()

const projectSchema = z
  .object({
    id: z.string().regex(projectId, 'must be a slug or a UUID (letters, digits, - and _, at most 64)'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    team: z.string().regex(slug, 'must be the slug of a team').optional(),
    servers: z.array(serverSchema).default([]),
    apiKeys: z.array(apiKeySchema).default([]),
    /** How MCP clients authenticate: project API keys, OAuth access tokens from mcpo's authorization server, or both. */
    authMode: z.enum(['keys', 'oauth', 'both']).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = new Set<string>()
    p.servers.forEach((s, i) => {
      if (names.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['servers', i, 'name'], message: 'is used twice', input: s.name })
      names.add(s.name)
    })
  })

export const configSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Absolute URL clients reach mcpo at, when a proxy sits in front; otherwise URLs are path-absolute. */
        publicBaseUrl: z.url().optional(),
        /** Browser origins allowed on MCP endpoints; requests without an Origin header (every non-browser client) pass. */
        allowedOrigins: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1).default('./data'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    storage: storage.optional(),
    plugins: z.array(plugin).default([]),
    limits: z
      .object({
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(4 * 1024 * 1024),
        shutdownGraceMs: z.number().int().min(0).default(10_000),
        storageOpenTimeoutMs: z.number().int().min(100).default(30_000),
        sseKeepaliveMs: z.number().int().min(100).max(30_000).default(15_000),
        sessionIdleTtlMs: z
          .number()
          .int()
          .min(1000)
          .default(30 * 60_000),
        sessionsPerKey: z.number().int().min(1).default(200),
        sessionsPerProject: z.number().int().min(1).default(2000),
        sessionsTotal: z.number().int().min(1).default(20_000),
        outboundBufferBytes: z
          .number()
          .int()
          .min(16 * 1024)
          .default(4 * 1024 * 1024),
        inFlightPerSession: z.number().int().min(1).default(256),
        /** Request line plus headers; larger requests get 431 (uWS itself drops a request past ~50 headers). */
        maxHeaderBytes: z
          .number()
          .int()
          .min(1024)
          .default(16 * 1024),
      })
      .strict()
      .prefault({}),
    upstreams: z
      .object({
        handshakeTimeoutMs: z.number().int().min(100).default(30_000),
        idleStopMs: z
          .number()
          .int()
          .min(0)
          .default(10 * 60_000),
        maxProcessesPerProject: z.number().int().min(1).default(200),
        maxProcessesTotal: z.number().int().min(1).default(2000),
        restartInitialMs: z.number().int().min(10).default(500),
        restartMaxMs: z.number().int().min(10).default(30_000),
        /** Consecutive failed starts after which the circuit opens and the server is marked failed. */
        maxConsecutiveFailures: z.number().int().min(1).default(5),
        /** Default health probe interval of every server that sets none; 0 (the default): no probes. */
        healthCheckIntervalMs: healthCheckInterval.default(0),
        /**
         * The protocol era of servers that set none (legacy SSE servers are always 'legacy'). 'auto': a server that
         * speaks only 2026-07-28 works with no setting, since mcpo bridges either era of client to either era of server.
         */
        protocol: serverProtocol.default('auto'),
        /** Remote servers (and connection tests) may not connect into these networks; checked after DNS. */
        blockedNetworks: z.array(cidr).default([...DEFAULT_BLOCKED_NETWORKS]),
        /**
         * The largest message an upstream may send: a stdio line, an SSE event, an HTTP reply body. Reads stop there,
         * so one reply cannot fill the gateway's memory: a longer stdio line is dropped, a longer remote reply fails the
         * request it answers at once.
         */
        maxMessageBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(1024 * 1024 * 1024)
          .default(16 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    unified: z
      .object({
        separator: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,3}$/)
          .default('__'),
        maxNameLength: z.number().int().min(16).max(128).default(64),
      })
      .strict()
      .prefault({}),
    /** Browser-facing protections (SECURITY.md): headers, proxy trust, CORS. */
    security: z
      .object({
        /** Honor X-Forwarded-Proto / X-Forwarded-For: only behind a proxy that sets them, or clients could forge them. */
        trustProxy: z.boolean().default(false),
        /** CSP `frame-ancestors` sources for HTML responses; `'none'` forbids framing (clickjacking). */
        frameAncestors: z.array(z.string().min(1)).default(["'none'"]),
        /** Origins (e.g. `https://app.example.com`) allowed cross-origin calls with a bearer token; CORS is off when empty. */
        corsOrigins: z
          .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin like https://app.example.com'))
          .default([]),
        /**
         * Refused requests (invalid keys, failed sign-ins, CSRF, 403s) are audited per source and window: the first at
         * once, the rest as one count when the window closes, so a flood cannot flood the audit trail.
         */
        refusalWindowMs: z.number().int().min(100).max(3_600_000).default(60_000),
      })
      .strict()
      .prefault({}),
    /** mcpo as the OAuth 2.1 authorization server of the MCP endpoints of projects in `oauth` or `both` mode. */
    oauth: z
      .object({
        enabled: z.boolean().default(true),
        /** Access tokens are JWTs checked without a database read; short-lived, so a lost one is worth little. */
        accessTokenTtlSeconds: z.number().int().min(60).max(3600).default(600),
        /** Refresh tokens rotate on every use; a grant unused this long expires. */
        refreshTokenTtlSeconds: z
          .number()
          .int()
          .min(3600)
          .default(30 * 86_400),
        rotateKeysAfterSeconds: z
          .number()
          .int()
          .min(3600)
          .default(30 * 86_400),
        /** RFC 7591 registration for clients that have no metadata document. */
        dynamicRegistration: z.boolean().default(true),
        /** `client_id` as an https URL whose metadata document mcpo fetches (SSRF-protected, size and time limited). */
        clientMetadataDocuments: z.boolean().default(true),
        /**
         * `host:port`s whose metadata documents may be served from private or loopback addresses (an internal client
         * registry); every other document host that resolves there is refused, like any request into such a network.
         */
        clientMetadataPrivateHosts: z
          .array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port'))
          .default([]),
        /** Per address and minute, on the token, registration, revocation and authorization endpoints (429 beyond). */
        requestsPerMinutePerIp: z.number().int().min(1).default(120),
        /** PEM of a certificate authority to trust for those hosts (a private registry's own CA). */
        clientMetadataCa: z.string().optional(),
        clients: z
          .array(
            z
              .object({
                clientId: z.string().min(1).max(200),
                clientName: z.string().min(1).max(200).optional(),
                clientSecret: z.string().min(16).optional(),
                redirectUris: z.array(z.url()).min(1),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({ email: z.email().optional(), password: z.string().min(12).optional() })
      .strict()
      .prefault({}),
    secretKey: z.string().min(1).optional(),
    teams: z
      .array(
        z
          .object({
            slug: z.string().regex(slug, 'must be lower-case letters, digits and -'),
            name: z.string().min(1).max(200),
          })
          .strict(),
      )
      .default([]),
    projects: z.array(projectSchema).default([]),
    /** Scale-out (README "Scale-out"): several nodes on one PostgreSQL. Absent: a single node, as before. */
    cluster: z
      .object({
        /** Names this node in session ids and the node registry; random per start when absent. */
        nodeId: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ or -')
          .optional(),
        /** How the other nodes reach this one (e.g. http://node1:8080); default http://127.0.0.1:<bound port>. */
        internalUrl: z.url({ protocol: /^https?$/ }).optional(),
        heartbeatMs: z.number().int().min(50).default(2000),
        /** A node whose heartbeat is older than this is dead: its sessions 404 and its leases can be taken. */
        deadAfterMs: z.number().int().min(200).default(10_000),
        /** Connect timeout for node-to-node requests. */
        connectTimeoutMs: z.number().int().min(50).default(2000),
      })
      .strict()
      .refine((c) => c.deadAfterMs >= 2 * c.heartbeatMs, {
        message: 'deadAfterMs must be at least twice heartbeatMs',
        path: ['deadAfterMs'],
      })
      .optional(),
  })
  .strict()

type Problem = { path: (string | number)[]; message: string; input: unknown }

/** Checks across fields, run even when other fields are invalid so that every problem is reported at once. */
export function crossFieldProblems(input: { teams?: unknown; projects?: unknown }): Problem[] {
  const out: Problem[] = []
  if (!Array.isArray(input.projects)) return out
  const teams = new Set(
    Array.isArray(input.teams) ? input.teams.map((t) => (t as { slug?: unknown } | null)?.slug) : [],
  )
  const ids = new Set<unknown>()
  input.projects.forEach((p: { id?: unknown; team?: unknown } | null, i) => {
    if (!p || typeof p !== 'object') return
    if (ids.has(p.id)) out.push({ path: ['projects', i, 'id'], message: 'is used twice', input: p.id })
    ids.add(p.id)
    if (p.team !== undefined && !teams.has(p.team)) {
      out.push({ path: ['projects', i, 'team'], message: 'names no team in `teams`', input: p.team })
    }
  })
  return out
}

export type ConfigInput = z.input<typeof configSchema>
export type ConfigOutput = z.output<typeof configSchema>
export type ServerConfig = z.output<typeof serverSchema>
export type ProjectConfig = z.output<typeof projectSchema>
