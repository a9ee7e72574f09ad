// `npm start`: load the config, start the gateway, and stop it cleanly on SIGTERM or SIGINT.
import { constants } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/resolve.ts'
import { isGatewayError } from './errors.ts'
import { createGateway, type Gateway } from './gateway.ts'
import { sendJson } from './http.ts'
import { createLogger } from './logger.ts'
import { startServer } from './server.ts'
import { adoptLedger } from './upstream/process-group.ts'
import { killAllProcessGroupsSync } from './upstream/stdio.ts'
import { securityHeaders } from './web-security.ts'

// Whatever happens to this process, no upstream child may outlive it.
process.on('exit', () => killAllProcessGroupsSync())

/** Signals this soon after the first are copies of it (see `stop`). */
const REPEAT_WINDOW_MS = 1000

// A signal while booting: nothing to drain yet, but exiting (not dying by the default action) runs the exit handler.
const duringBoot = (signal: NodeJS.Signals) => process.exit(128 + constants.signals[signal])
process.on('SIGTERM', duringBoot)
process.on('SIGINT', duringBoot)

async function main(): Promise<void> {
  let gateway: Gateway
  try {
    const config = await loadConfig()
    // Liveness comes first: the first start creates the embedded database, which takes seconds, so a booting
    // listener answers /healthz at once and 503 elsewhere until the gateway takes the port over.
    const logger = createLogger(config.logLevel)
    // A kill -9 runs no exit handler: upstreams that ignore the end of their stdin would live on. Kill them now.
    const leftovers = adoptLedger(join(config.dataDir, 'run', 'upstream-groups'))
    if (leftovers > 0) logger.warn({ groups: leftovers }, 'killed upstream processes left by a gateway that died')
    const boot = await startServer({
      host: config.listen.host,
      port: config.listen.port,
      handler: (req, res) =>
        req.path === '/healthz'
          ? sendJson(res, 200, { status: 'ok' })
          : sendJson(res, 503, { status: 'starting' }, { 'retry-after': '1' }),
      maxBodyBytes: 1024,
      maxHeaderBytes: config.limits.maxHeaderBytes,
      outboundBufferBytes: 1024,
      logger,
      closeConnections: true,
      securityHeaders: securityHeaders(config.security),
    })
    const shown = config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host
    logger.info({ url: `http://${shown}:${boot.port}` }, `mcpo starting on http://${shown}:${boot.port}`)
    try {
      gateway = await createGateway(
        Object.freeze({ ...config, listen: Object.freeze({ ...config.listen, port: boot.port }) }),
        { logger },
      )
    } finally {
      boot.stopListening()
      boot.closeAll()
    }
  } catch (err) {
    // Config and boot problems are the operator's to fix: print them plainly, without a stack trace.
    if (isGatewayError(err)) {
      process.stderr.write(`mcpo: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  // Before the port opens and the URL is printed: whoever reads the URL may send a SIGTERM at once.
  let stoppingSince = 0
  const stop = (signal: string) => {
    if (stoppingSince > 0) {
      // Ctrl-C reaches every process of the terminal's group, and npm and tsx also pass it on: the same keypress
      // arrives two or three times within milliseconds. Only a later signal is a person asking to skip the drain.
      if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) return
      gateway.logger.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stoppingSince = Date.now()
    gateway.logger.info({ signal }, 'shutting down')
    gateway.close().then(
      () => process.exit(0),
      (err) => {
        gateway.logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.off('SIGTERM', duringBoot)
  process.off('SIGINT', duringBoot)
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  const { url } = await gateway.listen()
  gateway.logger.info(
    { url, admin: `${url}/admin`, storage: gateway.config.storage.kind, config: gateway.config.configPath },
    `mcpo listening on ${url}`,
  )
  if (gateway.setupToken) {
    // The one way in on a fresh install without MCPO_ADMIN_EMAIL: shown once, on the operator's console.
    process.stdout.write(
      `\nFirst-run set-up: open ${url}/admin/setup#token=${gateway.setupToken} to create the admin account.\n\n`,
    )
  }

  process.on('uncaughtException', (err) => {
    gateway.logger.fatal({ err }, 'uncaught exception')
    process.exit(1)
  })
}

main().catch((err) => {
  process.stderr.write(`mcpo: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
