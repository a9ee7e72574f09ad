// `npm start`: load the config, start the gateway, and stop it cleanly on SIGTERM or SIGINT.
import { loadConfig } from '../config/resolve.ts'
import { isGatewayError } from './errors.ts'
import { createGateway, type Gateway } from './gateway.ts'
import { killAllProcessGroupsSync } from './upstream/stdio.ts'

// Whatever happens to this process, no upstream child may outlive it.
process.on('exit', () => killAllProcessGroupsSync())

async function main(): Promise<void> {
  let gateway: Gateway
  try {
    const config = await loadConfig()
    gateway = await createGateway(config)
  } catch (err) {
    // Config and boot problems are the operator's to fix: print them plainly, without a stack trace.
    if (isGatewayError(err)) {
      process.stderr.write(`mcpo: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const { url } = await gateway.listen()
  gateway.logger.info(
    { url, admin: `${url}/admin`, storage: gateway.config.storage.kind, config: gateway.config.configPath },
    `mcpo listening on ${url}`,
  )

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) {
      gateway.logger.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    gateway.logger.info({ signal }, 'shutting down')
    gateway.close().then(
      () => process.exit(0),
      (err) => {
        gateway.logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('uncaughtException', (err) => {
    gateway.logger.fatal({ err }, 'uncaught exception')
    process.exit(1)
  })
}

main().catch((err) => {
  process.stderr.write(`mcpo: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
