#!/usr/bin/env -S node --import tsx
// The mcpo command line: `serve`, `config check`, `key generate`, `secret generate`, `audit verify`.
import { loadConfig } from '../config/resolve.ts'
import { isGatewayError } from '../gateway/errors.ts'
import { createLogger } from '../gateway/logger.ts'
import { rotateServerSecrets } from '../gateway/server-secrets.ts'
import { generateApiKey } from '../plugins/api-keys/keys.ts'
import { verifyAuditChain } from '../plugins/audit/chain.ts'
import { loadOrCreateSecretKey } from '../plugins/secrets/key-file.ts'
import { generateSecretKey } from '../plugins/secrets/keyring.ts'

const usage = `usage: mcpo <command>
  serve              start the gateway (same as npm start)
  config check       validate mcpo.config.ts (or MCPO_CONFIG) and print every problem
  key generate       print a new project API key (mcp_proj_…) for the config file's apiKeys
  secret generate    print a new value for MCPO_SECRET_KEY
  secrets rotate     re-encrypt every stored secret under the active key (the first of MCPO_SECRET_KEY);
                     stop the gateway first when it uses the embedded store
  audit verify [--project id]
                     check the audit hash chain (every project, or one); exit 1 at the first broken link`

const [cmd, sub] = process.argv.slice(2)
try {
  if (cmd === 'serve') await import('../gateway/main.ts')
  else if (cmd === 'config' && sub === 'check') {
    const config = await loadConfig()
    const servers = config.projects.reduce((n, p) => n + p.servers.length, 0)
    process.stdout.write(
      `${config.configPath ?? 'built-in defaults'}: valid (${config.projects.length} projects, ${servers} servers, ${config.plugins.length} plugins, storage ${config.storage.kind})\n`,
    )
  } else if (cmd === 'key' && sub === 'generate') process.stdout.write(`${generateApiKey()}\n`)
  else if (cmd === 'secret' && sub === 'generate') process.stdout.write(`${generateSecretKey()}\n`)
  else if (cmd === 'secrets' && sub === 'rotate') {
    const config = await loadConfig()
    const logger = createLogger('warn')
    const { keyring } = await loadOrCreateSecretKey({ envValue: config.secretKey, dataDir: config.dataDir, logger })
    const store = await config.storage.open({ logger, dataDir: config.dataDir })
    try {
      const changed = await rotateServerSecrets(store, keyring)
      process.stdout.write(`re-encrypted the secrets of ${changed} servers under key ${keyring.activeKid}\n`)
    } finally {
      await store.close()
    }
  } else if (cmd === 'audit' && sub === 'verify') {
    const args = process.argv.slice(4)
    const at = args.indexOf('--project')
    const projectId = at >= 0 ? args[at + 1] : undefined
    if (at >= 0 && !projectId) throw new Error('--project needs a project id')
    const config = await loadConfig()
    const store = await config.storage.open({ logger: createLogger('warn'), dataDir: config.dataDir })
    try {
      const r = await verifyAuditChain(store, projectId)
      if (r.broken) {
        const where = r.broken.projectId === null ? 'no project' : `project ${r.broken.projectId}`
        process.stdout.write(`audit chain BROKEN at event ${r.broken.id} (${where}): ${r.broken.reason}\n`)
        process.exitCode = 1
      } else process.stdout.write(`audit chain OK: ${r.checked} events in ${r.chains} chains\n`)
    } finally {
      await store.close()
    }
  } else {
    process.stderr.write(`${usage}\n`)
    process.exitCode = 2
  }
} catch (err) {
  process.stderr.write(`mcpo: ${isGatewayError(err) ? err.message : String(err)}\n`)
  process.exitCode = 1
}
