// Gateway processes of one cluster for the multi-node tests: each node a child process with its own config dir, all
// on one PostgreSQL schema, serving project "demo" (key TEST_KEY) with the stdio fixture server `shared`.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureStopped, type GatewayProcess, prepareDir, spawnGateway } from '../e2e/spawn.ts'
import { listDescendants } from '../fixtures/processes.ts'
import { fixtureServer, TEST_KEY } from '../harness.ts'

const root = join(import.meta.dirname, '../..')

export type ClusterNode = GatewayProcess & { id: string }

export interface GatewayClusterOptions {
  url: string
  schema: string
  /** The config's `plugins` array, as source; `apiKeys`, `metrics`, `sessions` and `toolPolicies` are in scope. */
  plugins: string
  /** More top-level config entries, as source ending in a comma, e.g. `upstreams: { restartInitialMs: 100 },`. */
  config?: string
  /** Environment of every node, over a fixed MCPO_SECRET_KEY (the nodes must share it). */
  env?: Record<string, string>
  /** The URL clients reach the cluster at (a balancer's): the OAuth issuer every node must agree on. */
  publicBaseUrl?: string
  /** How the demo project's MCP clients authenticate; absent: keys. */
  authMode?: 'keys' | 'oauth' | 'both'
  /** The demo project's servers, as config entries; absent: the stdio fixture server `shared`. */
  servers?: readonly Record<string, unknown>[]
}

/**
 * The nodes of one test cluster. Heartbeats are fast and the dead-after short, so membership changes within seconds.
 * @example
 * const cluster = new GatewayCluster({ url: pg.url, schema: pg.schema('mcpo_cluster'), plugins: '[sessions(), apiKeys()]' })
 * before(() => cluster.start('n1'))
 * after(() => cluster.stop())
 */
export class GatewayCluster {
  readonly nodes: ClusterNode[] = []
  private readonly dirs: string[] = []

  constructor(private readonly options: GatewayClusterOptions) {}

  /** Starts node `id` and resolves once it listens. */
  async start(id: string): Promise<ClusterNode> {
    const { url, schema, plugins, config = '', env = {}, publicBaseUrl, authMode } = this.options
    const servers = this.options.servers ?? [fixtureServer('shared')]
    const listen = publicBaseUrl ? { host: '127.0.0.1', publicBaseUrl } : { host: '127.0.0.1' }
    const dir =
      await prepareDir(`import { metrics, postgresStorage, sessions, toolPolicies } from ${JSON.stringify(join(root, 'config/index.ts'))}
export default defineConfig({
  listen: ${JSON.stringify(listen)},
  logLevel: 'info',
  storage: postgresStorage({ url: ${JSON.stringify(url)}, schema: ${JSON.stringify(schema)} }),
  plugins: ${plugins},
  cluster: { nodeId: ${JSON.stringify(id)}, heartbeatMs: 200, deadAfterMs: 2000, connectTimeoutMs: 500 },
  ${config}
  limits: { shutdownGraceMs: 500 },
  projects: [{
    id: 'demo', name: 'Demo',${authMode ? ` authMode: ${JSON.stringify(authMode)},` : ''}
    servers: ${JSON.stringify(servers)},
    apiKeys: [{ name: 'test', key: ${JSON.stringify(TEST_KEY)} }],
  }],
})`)
    this.dirs.push(dir)
    const p = spawnGateway(dir, { MCPO_SECRET_KEY: 'c'.repeat(64), ...env })
    const node = Object.assign(p, { id })
    this.nodes.push(node)
    await p.ready
    return node
  }

  /**
   * Kills every node with what it spawned, and `orphans` (children of nodes killed earlier, which no listing finds
   * any more), then removes the config dirs. MCPO_TEST_LOG=1 keeps each node's log in /tmp for a post-mortem.
   */
  async stop(orphans: readonly number[] = []): Promise<void> {
    if (process.env.MCPO_TEST_LOG)
      for (const n of this.nodes) writeFileSync(`/tmp/mcpo-cluster-${n.id}.log`, n.stdout() + n.stderr())
    for (const pid of [...orphans, ...this.nodes.flatMap((n) => (n.child.pid ? listDescendants(n.child.pid) : []))]) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    await Promise.all(this.nodes.map((n) => ensureStopped(n)))
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true })
  }
}
