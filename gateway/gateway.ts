// The composition root: opens storage, sets up plugins, builds the routes, and shuts everything down in order.
import { randomUUID } from 'node:crypto'
import type { ResolvedConfig } from '../config/define-config.ts'
import { API_KEYS_SERVICE, type Logger, SESSIONS_SERVICE } from '../plugins/contract.ts'
import { PluginHost } from '../plugins/host.ts'
import { METRICS_SERVICE } from '../plugins/metrics/index.ts'
import { TOOL_POLICIES_SERVICE } from '../plugins/rbac/policies.ts'
import { loadOrCreateSecretKey } from '../plugins/secrets/key-file.ts'
import { deriveKey, type Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'
import { addAdminUi } from './admin-static.ts'
import type { ApiServices } from './api/define.ts'
import { apiRoutes } from './api/index.ts'
import { mountRoutes } from './api/mount.ts'
import { ConnectionTests } from './api/server-checks.ts'
import { bootstrapAdmin } from './bootstrap-admin.ts'
import { Cluster, type Invalidation } from './cluster/index.ts'
import { addClusterMetrics } from './cluster/metrics.ts'
import { applyConfig, configAppliedEvent } from './config-sync.ts'
import { withTimeout } from './deadline.ts'
import { GatewayError } from './errors.ts'
import { type HttpHandler, sendError } from './http.ts'
import { type InjectRequest, inject } from './inject.ts'
import { createLogger } from './logger.ts'
import { RpcCodes } from './mcp/json-rpc.ts'
import { StatelessClients } from './mcp/modern.ts'
import { Relay } from './mcp/relay.ts'
import { addMcpRoutes } from './mcp/routes.ts'
import { loadAllServers, toSpec } from './mcp/server-specs.ts'
import { SessionTracker } from './mcp/session-tracker.ts'
import { SessionRegistry } from './mcp/sessions.ts'
import { KeepaliveTicker } from './mcp/sse.ts'
import { addMetricsRoute, instrumentHandler } from './metrics-route.ts'
import { createOAuth } from './oauth/index.ts'
import { addOAuthRoutes } from './oauth/routes.ts'
import { addOpsRoutes } from './ops.ts'
import { RefusalAudit } from './refusals.ts'
import { Router } from './router.ts'
import { type RunningServer, startServer } from './server.ts'
import { OAuthCredentials } from './upstream-oauth/credentials.ts'
import { UpstreamOAuth } from './upstream-oauth/vault.ts'
import { GATEWAY_VERSION } from './version.ts'
import { securityHeaders, withCors } from './web-security.ts'

export { GATEWAY_VERSION }

export interface GatewayOptions {
  logger?: Logger
}

export interface Gateway {
  readonly config: ResolvedConfig
  readonly logger: Logger
  readonly store: Store
  readonly plugins: PluginHost
  readonly keyring: Keyring
  readonly nodeId: string
  /** Present in cluster mode (README "Scale-out"). */
  readonly cluster: Cluster | null
  readonly relay: Relay
  readonly sessions: SessionRegistry
  /** The one-time first-run set-up token while no admin exists (printed as a link at start). */
  readonly setupToken: string | null
  /** The routed handler; `inject` drives it without sockets. */
  readonly handler: HttpHandler
  inject(request: InjectRequest): ReturnType<typeof inject>
  /** Starts the uWS listener; resolves with the bound port. */
  listen(): Promise<{ port: number; url: string }>
  /** True from the moment shutdown starts: readiness fails and new sessions are refused. */
  readonly closing: boolean
  close(): Promise<void>
}

export async function createGateway(config: ResolvedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel)

  const secret = await loadOrCreateSecretKey({ envValue: config.secretKey, dataDir: config.dataDir, logger })
  if (secret.source !== 'env' && config.storage.kind === 'postgres') {
    logger.warn('MCPO_SECRET_KEY is not set: every node of a cluster needs the same key, so set it before adding nodes')
  }

  // Checked before anything opens: cluster mode without PostgreSQL is a config error.
  const cluster = Cluster.open({ config, keyring: secret.keyring, logger })
  const nodeId = cluster?.nodeId ?? randomUUID()
  const store = await openStore(config, logger)
  let host: PluginHost | null = null
  try {
    const { applied } = await store.migrate()
    if (applied.length) logger.info({ applied }, 'database migrated')
    const plan = await applyConfig(config, store, secret.keyring, logger)
    host = new PluginHost({
      plugins: config.plugins,
      logger,
      storage: store,
      deriveKey: (purpose) => deriveKey(secret.keyring, purpose),
      liveNodes: () => cluster?.liveNodes() ?? 1,
    })
    await host.setup()
    if (plan.changes) host.audit(configAppliedEvent(plan, 'boot'))
  } catch (err) {
    await host?.close()
    await cluster?.close().catch(() => {})
    await store.close().catch(() => {})
    throw err
  }
  const plugins = host
  const refusals = new RefusalAudit((event) => plugins.audit(event), Date, {
    windowMs: config.security.refusalWindowMs,
  })
  // Without sessions() nobody signs in with a password, so a set-up link would only be spent on an account that cannot
  // use the admin UI; config validation already refused an admin account from the environment in that case.
  const signIn = plugins.service(SESSIONS_SERVICE) !== null
  const setupToken = signIn ? await bootstrapAdmin(config, store, logger) : null
  if (!signIn) {
    logger.info(
      'sign-in is off (no sessions() plugin): the admin UI and management API take no passwords; ' +
        'add sessions() to plugins in mcpo.config.ts to turn it on',
    )
  }

  let closing = false
  let server: RunningServer | null = null
  const router = new Router()
  const state = {
    get closing() {
      return closing
    },
  }
  addOpsRoutes(router, { store, state, plugins: plugins.plugins })

  const tracker = new SessionTracker(store, nodeId, logger)
  const publicBase = config.listen.publicBaseUrl ? config.listen.publicBaseUrl.replace(/\/$/, '') : ''
  // Tokens name their issuer and audience as absolute URLs: the public base URL, or the loopback address listened on.
  const issuer = () => publicBase || `http://127.0.0.1:${server?.port ?? config.listen.port}`
  const upstreamOAuth = new UpstreamOAuth({
    repo: store.upstreamOAuth,
    keyring: secret.keyring,
    logger: logger.child({ component: 'upstream-oauth' }),
    publicBase: issuer,
    blockedNetworks: config.upstreams.blockedNetworks,
    nodeId,
  })
  const relay = new Relay({
    tracker,
    logger,
    plugins,
    limits: config.upstreams,
    unified: config.unified,
    version: GATEWAY_VERSION,
    placement: cluster?.upstreams ?? null,
    credentials: new OAuthCredentials(upstreamOAuth, store.apiKeys),
  })
  const sessions = new SessionRegistry(
    config.limits,
    cluster ? { newId: () => cluster.newSessionId(), nodes: () => cluster.liveNodes() } : {},
  )
  const stateless = new StatelessClients({ sessions }, logger, {
    stateKey: deriveKey(secret.keyring, 'mcp request state'),
    nodeId,
  })
  const oauth = createOAuth(config, { store, keyring: secret.keyring, logger, plugins, relay, issuer })
  const ticker = new KeepaliveTicker(config.limits.sseKeepaliveMs)
  await cluster?.start(relay, ticker)
  await loadAllServers(store, relay, secret.keyring)
  addMcpRoutes(
    router,
    {
      plugins,
      relay,
      sessions,
      stateless,
      ticker,
      logger,
      // An origin allowed CORS must also pass the MCP endpoints' Origin check.
      allowedOrigins: [...config.listen.allowedOrigins, ...config.security.corsOrigins],
      isClosing: () => closing,
      refusals,
      publicBase,
      oauth: oauth?.rs ?? null,
    },
    cluster,
  )

  const apiKeys = plugins.service(API_KEYS_SERVICE)
  // A revoked or expired key loses its open sessions too, not only its next request.
  apiKeys?.onRefresh((active) => {
    for (const s of sessions.all()) {
      if (s.principalKind === 'api-key' && !active.has(s.principalId)) s.close('key revoked or expired')
    }
  })
  // The single-node reloads; in cluster mode each also runs on every other node through LISTEN/NOTIFY.
  async function reloadProjectHere(projectId: string): Promise<void> {
    const project = await store.projects.get(projectId)
    oauth?.rs.setMode(projectId, project && !project.archivedAt ? project.settings : null)
    if (!project || project.archivedAt) {
      await relay.removeProject(projectId)
      for (const s of sessions.all()) if (s.projectId === projectId) s.close('project archived or deleted')
      return
    }
    const rows = await store.servers.list(projectId)
    await relay.setServers(
      projectId,
      rows.map((r) => toSpec(r, secret.keyring)),
    )
    // Servers, toggles or policies changed: open sessions re-list (design.md §4, "Notifications").
    for (const s of sessions.all()) {
      if (s.projectId !== projectId) continue
      for (const m of LIST_CHANGED) s.noticeListChanged(m)
    }
  }
  const policies = () => plugins.service(TOOL_POLICIES_SERVICE)
  async function applyHere(change: Invalidation): Promise<void> {
    if (change.kind === 'keys') return apiKeys?.refresh()
    if (change.kind === 'members') {
      // A member's role feeds tool policies; the keys they lost with it die in the same step.
      for (const id of change.projectIds) await policies()?.refresh(id)
      return apiKeys?.refresh()
    }
    await policies()?.refresh(change.projectId)
    return reloadProjectHere(change.projectId)
  }
  if (cluster) {
    cluster.bus.onchange = applyHere
    cluster.bus.onresync = async () => {
      await apiKeys?.refresh()
      // Projects created, archived or deleted while notifications were lost are in one list or the other.
      const ids = new Set([...relay.projectIds(), ...(await store.projects.list()).map((p) => p.id)])
      for (const id of ids) await applyHere({ kind: 'project', projectId: id })
    }
  }
  const services: ApiServices = {
    config,
    store,
    plugins,
    relay,
    sessions,
    tracker,
    keyring: secret.keyring,
    logger,
    connectionTests: new ConnectionTests(),
    upstreamOAuth,
    refusals,
    async reloadProject(projectId) {
      await reloadProjectHere(projectId)
      // projectChanged() refreshed this node's policy snapshot first; the others refresh theirs on the notice.
      await cluster?.bus.publish({ kind: 'project', projectId })
    },
    async reloadKeys() {
      await apiKeys?.refresh()
      await cluster?.bus.publish({ kind: 'keys' })
    },
    async membersChanged(projectIds) {
      await applyHere({ kind: 'members', projectIds })
      await cluster?.bus.publish({ kind: 'members', projectIds })
    },
  }
  mountRoutes(router, apiRoutes(), services)
  await addAdminUi(router, { logger })
  if (oauth) {
    const web = { ...config.security, publicBaseUrl: config.listen.publicBaseUrl }
    addOAuthRoutes(router, { as: oauth.as, rs: oauth.rs, plugins, web, perMinute: config.oauth.requestsPerMinutePerIp })
  }

  // Without the metrics plugin: no route, no gauges and no per-request wrapping.
  const metrics = plugins.service(METRICS_SERVICE)
  if (metrics) addMetricsRoute(router, metrics, { plugins, relay, sessions, projectIds: () => relay.projectIds() })
  if (metrics && cluster) {
    addClusterMetrics(metrics.registry, metrics.prefix, cluster.stats, () => ({
      nodes: cluster.liveNodes(),
      leases: cluster.leasesHeld(),
    }))
  }

  const routedLocal = router.handler(
    (_req, res) => sendError(res, 404, 'MCPO_ERR_NOT_FOUND', 'no such route'),
    (_req, res, allowed) =>
      sendError(res, 405, 'MCPO_ERR_METHOD_NOT_ALLOWED', `use ${allowed.join(', ')}`, { allow: allowed.join(', ') }),
  )
  // Node-to-node requests are verified before routing, so forwarded ones carry the client's address.
  const routed = cluster ? cluster.wrap(routedLocal) : routedLocal
  const handler = withCors(metrics ? instrumentHandler(routed, metrics) : routed, config.security.corsOrigins)
  const secHeaders = securityHeaders(config.security)

  let closed: Promise<void> | null = null
  const gateway: Gateway = {
    config,
    logger,
    store,
    plugins,
    keyring: secret.keyring,
    nodeId,
    cluster,
    relay,
    sessions,
    setupToken,
    handler,
    inject: (request) => inject(handler, request, secHeaders),
    get closing() {
      return closing
    },
    async listen() {
      server = await startServer({
        host: config.listen.host,
        port: config.listen.port,
        handler,
        maxBodyBytes: config.limits.maxBodyBytes,
        maxHeaderBytes: config.limits.maxHeaderBytes,
        trustProxy: config.security.trustProxy,
        securityHeaders: secHeaders,
        outboundBufferBytes: config.limits.outboundBufferBytes,
        logger,
      })
      const shownHost =
        config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host
      await cluster?.join(server.port)
      return { port: server.port, url: `http://${shownHost}:${server.port}` }
    },
    close() {
      closed ??= shutdown()
      return closed
    },
  }

  async function shutdown(): Promise<void> {
    closing = true
    const started = Date.now()
    server?.stopListening()
    // In flight means HTTP requests being answered and MCP requests waiting for an upstream (their streams included).
    const until = started + config.limits.shutdownGraceMs
    const busy = () => (server?.inFlight() ?? 0) + relay.inFlight()
    while (busy() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    if (busy() > 0) logger.warn({ requests: busy() }, 'shutdown deadline passed with requests still open')
    // Every call still open gets its JSON-RPC error (a client would otherwise wait for an answer that cannot come),
    // streams end cleanly so clients reconnect elsewhere; then every upstream and its process group goes.
    const goodbye = 'the gateway is shutting down; reconnect to retry'
    sessions.drainAll(RpcCodes.SHUTTING_DOWN, goodbye)
    cluster?.drainForwarded(RpcCodes.SHUTTING_DOWN, goodbye)
    server?.closeAll()
    ticker.stop()
    // Leaving the registry first hands this node's leases over without waiting for them to expire.
    await cluster?.close().catch((err) => logger.error({ err }, 'leaving the cluster failed'))
    await relay.close()
    await oauth?.as.stop()
    await upstreamOAuth.close().catch(() => {})
    await tracker.close()
    refusals.close()
    await plugins.close()
    await store.close().catch((err) => logger.error({ err }, 'closing storage failed'))
    logger.info({ ms: Date.now() - started }, 'mcpo stopped')
  }

  return gateway
}

const LIST_CHANGED = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
]

async function openStore(config: ResolvedConfig, logger: Logger): Promise<Store> {
  const ms = config.limits.storageOpenTimeoutMs
  return withTimeout(
    config.storage.open({ logger, dataDir: config.dataDir }),
    ms,
    () =>
      new GatewayError(
        'MCPO_ERR_STORAGE_TIMEOUT',
        `opening ${config.storage.kind} storage took longer than ${ms} ms; check that the database is reachable`,
      ),
  )
}
