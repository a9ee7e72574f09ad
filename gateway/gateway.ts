// The composition root: opens storage, sets up plugins, builds the routes, and shuts everything down in order.
import { randomUUID } from 'node:crypto'
import type { ResolvedConfig } from '../config/define-config.ts'
import type { Logger } from '../plugins/contract.ts'
import { PluginHost } from '../plugins/host.ts'
import { loadOrCreateSecretKey } from '../plugins/secrets/key-file.ts'
import type { Keyring } from '../plugins/secrets/keyring.ts'
import type { Store } from '../plugins/storage/port.ts'
import { applyConfig } from './config-sync.ts'
import { withTimeout } from './deadline.ts'
import { GatewayError } from './errors.ts'
import { type HttpHandler, sendError } from './http.ts'
import { type InjectRequest, inject } from './inject.ts'
import { createLogger } from './logger.ts'
import { Relay } from './mcp/relay.ts'
import { addMcpRoutes } from './mcp/routes.ts'
import { loadAllServers } from './mcp/server-specs.ts'
import { SessionRegistry } from './mcp/sessions.ts'
import { KeepaliveTicker } from './mcp/sse.ts'
import { addOpsRoutes } from './ops.ts'
import { Router } from './router.ts'
import { type RunningServer, startServer } from './server.ts'

export const GATEWAY_VERSION = '0.1.0'

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
  readonly relay: Relay
  readonly sessions: SessionRegistry
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
  const nodeId = randomUUID()

  const secret = await loadOrCreateSecretKey({ envValue: config.secretKey, dataDir: config.dataDir, logger })
  if (secret.source !== 'env' && config.storage.kind === 'postgres') {
    logger.warn('MCPO_SECRET_KEY is not set: every node of a cluster needs the same key, so set it before adding nodes')
  }

  const store = await openStore(config, logger)
  let host: PluginHost | null = null
  try {
    const { applied } = await store.migrate()
    if (applied.length) logger.info({ applied }, 'database migrated')
    await applyConfig(config, store, secret.keyring, logger)
    host = new PluginHost({ plugins: config.plugins, logger, storage: store })
    await host.setup()
  } catch (err) {
    await host?.close()
    await store.close().catch(() => {})
    throw err
  }
  const plugins = host

  let closing = false
  let server: RunningServer | null = null
  const router = new Router()
  const state = {
    get closing() {
      return closing
    },
  }
  addOpsRoutes(router, { store, state })

  const relay = new Relay({
    logger,
    plugins,
    limits: config.upstreams,
    unified: config.unified,
    version: GATEWAY_VERSION,
  })
  const sessions = new SessionRegistry(config.limits)
  const ticker = new KeepaliveTicker(config.limits.sseKeepaliveMs)
  await loadAllServers(store, relay, secret.keyring)
  addMcpRoutes(router, {
    plugins,
    relay,
    sessions,
    ticker,
    logger,
    allowedOrigins: config.listen.allowedOrigins,
    isClosing: () => closing,
    publicBase: config.listen.publicBaseUrl ? config.listen.publicBaseUrl.replace(/\/$/, '') : '',
  })

  const handler = router.handler(
    (_req, res) => sendError(res, 404, 'MCPO_ERR_NOT_FOUND', 'no such route'),
    (_req, res, allowed) =>
      sendError(res, 405, 'MCPO_ERR_METHOD_NOT_ALLOWED', `use ${allowed.join(', ')}`, { allow: allowed.join(', ') }),
  )

  let closed: Promise<void> | null = null
  const gateway: Gateway = {
    config,
    logger,
    store,
    plugins,
    keyring: secret.keyring,
    nodeId,
    relay,
    sessions,
    handler,
    inject: (request) => inject(handler, request),
    get closing() {
      return closing
    },
    async listen() {
      server = await startServer({
        host: config.listen.host,
        port: config.listen.port,
        handler,
        maxBodyBytes: config.limits.maxBodyBytes,
        outboundBufferBytes: config.limits.outboundBufferBytes,
        logger,
      })
      const shownHost =
        config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host
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
    // Streams end cleanly so clients reconnect elsewhere; then every upstream and its process group goes.
    sessions.closeAll('gateway shutting down')
    server?.closeAll()
    ticker.stop()
    await relay.close()
    await plugins.close()
    await store.close().catch((err) => logger.error({ err }, 'closing storage failed'))
    logger.info({ ms: Date.now() - started }, 'mcpo stopped')
  }

  return gateway
}

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
