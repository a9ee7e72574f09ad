#!/usr/bin/env -S node --import tsx
// The mcpo command line: `serve`, `config check|plan|apply`, `key generate`, `secret generate`, `audit verify`.
import { loadConfig } from '../config/resolve.ts'
import { formatPlan, planConfig } from '../gateway/config-plan.ts'
import { applyConfig, configAppliedEvent } from '../gateway/config-sync.ts'
import { isGatewayError } from '../gateway/errors.ts'
import { createLogger } from '../gateway/logger.ts'
import { rotateServerSecrets } from '../gateway/server-secrets.ts'
import { generateApiKey } from '../plugins/api-keys/keys.ts'
import { appendChained, verifyAuditChain } from '../plugins/audit/chain.ts'
import { loadOrCreateSecretKey } from '../plugins/secrets/key-file.ts'
import { generateSecretKey } from '../plugins/secrets/keyring.ts'

const usage = `usage: mcpo <command>
  serve              start the gateway (same as npm start)
  config check       validate mcpo.config.ts (or MCPO_CONFIG) and print every problem
  config plan [-v]   print what applying the config file would create or change (-v: unchanged objects too);
                     exit 0, or 3 when something would change
  config apply       apply the config file now, print what changed and record it in the audit trail
                     (the gateway also applies it at every start; stop it first with the embedded store)
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
  } else if (cmd === 'config' && (sub === 'plan' || sub === 'apply')) {
    const config = await loadConfig()
    const logger = createLogger('warn')
    const { keyring } = await loadOrCreateSecretKey({ envValue: config.secretKey, dataDir: config.dataDir, logger })
    const store = await config.storage.open({ logger, dataDir: config.dataDir })
    try {
      await store.migrate()
      if (sub === 'plan') {
        const plan = await planConfig(config, store, keyring)
        process.stdout.write(formatPlan(plan, process.argv.includes('-v')))
        if (plan.changes) process.exitCode = 3
      } else {
        const plan = await applyConfig(config, store, keyring, logger)
        process.stdout.write(formatPlan(plan))
        if (plan.changes) {
          const e = configAppliedEvent(plan, 'cli')
          await appendChained(store, {
            projectId: null,
            teamId: null,
            actorType: e.actor.type,
            actorId: e.actor.id,
            action: e.action,
            targetType: e.target.type,
            targetId: e.target.id,
            before: null,
            after: e.after,
            ip: null,
            userAgent: null,
            requestId: null,
            createdAt: new Date(e.at),
          })
          process.stdout.write('applied; recorded as config.applied in the audit trail\n')
        } else process.stdout.write('nothing to apply\n')
      }
    } finally {
      await store.close()
    }
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
