// The unified project endpoint: every enabled server of a project behind one session. Tools and prompts are named
// `<server>__<name>` (protocol.md §5); resources keep their URIs and are routed by a URI → server map.
import { createHash } from 'node:crypto'
import type { Exchange, Logger } from '../../plugins/contract.ts'
import { UpstreamError } from './connection.ts'
import { errorMessage, RpcCodes, resultMessage } from './json-rpc.ts'
import { LIST_METHODS } from './list-cache.ts'
import type { Pipeline, Request, ServerDirectory } from './pipeline.ts'
import type { Reply } from './reply.ts'
import type { Session } from './session.ts'
import type { ServerRuntime } from './supervisor.ts'

export interface UnifiedOptions {
  separator: string
  maxNameLength: number
}

interface Target {
  server: string
  name: string
}

/** What the merged lists taught mcpo about a project: exposed names and URIs back to their servers. */
interface ProjectTable {
  tools: Map<string, Target>
  prompts: Map<string, Target>
  resources: Map<string, string>
  templates: { prefix: string; server: string }[]
}

const VALID = /^[A-Za-z0-9_-]+$/

/**
 * The name a client sees. Deterministic, so autoApprove lists survive restarts: names that are too long or hold
 * characters outside `[A-Za-z0-9_-]` are sanitised and given a hash of the original pair.
 */
export function exposedName(server: string, name: string, opts: UnifiedOptions): string {
  const plain = `${server}${opts.separator}${name}`
  if (plain.length <= opts.maxNameLength && VALID.test(plain)) return plain
  const hash = createHash('sha1').update(`${server}\0${name}`).digest('hex').slice(0, 8)
  return `${plain.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, opts.maxNameLength - 9)}_${hash}`
}

export class UnifiedRouter {
  private readonly tables = new Map<string, ProjectTable>()

  constructor(
    private readonly pipeline: Pipeline,
    private readonly servers: ServerDirectory,
    private readonly opts: UnifiedOptions,
    private readonly log: Logger,
  ) {}

  projectChanged(projectId: string): void {
    this.tables.delete(projectId)
  }

  initializeResult(session: Session, version: string): Record<string, unknown> {
    return {
      protocolVersion: session.protocolVersion,
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
      },
      serverInfo: { name: 'mcpo', version, title: `mcpo project ${session.projectId}` },
      instructions: `Every server of project ${session.projectId}; tools and prompts are named <server>${this.opts.separator}<name>.`,
    }
  }

  async request(session: Session, msg: Request, raw: string, sink: Reply, ex: Exchange): Promise<void> {
    const params = msg.params ?? {}
    const listKey = LIST_METHODS[msg.method]
    if (listKey) {
      if (params.cursor !== undefined)
        return sink.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, 'Invalid cursor'))
      const items = await this.list(session, msg.method, ex)
      return sink.respond(resultMessage(msg.id, { [listKey]: items }))
    }
    switch (msg.method) {
      case 'tools/call':
      case 'prompts/get': {
        const kind = msg.method === 'tools/call' ? 'tools' : 'prompts'
        const exposed = typeof params.name === 'string' ? params.name : ''
        const target = await this.resolveName(session, kind, exposed, ex)
        if (!target) {
          const what = kind === 'tools' ? 'tool' : 'prompt'
          return sink.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, `Unknown ${what}: ${exposed}`))
        }
        const rewritten = { ...msg, params: { ...params, name: target.name } }
        return this.pipeline.toServer(target.rt, session, rewritten, JSON.stringify(rewritten), sink, ex)
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = typeof params.uri === 'string' ? params.uri : ''
        const rt = await this.resolveUri(session, uri, ex)
        if (!rt) return sink.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, `Unknown resource: ${uri}`))
        return this.pipeline.toServer(rt, session, msg, raw, sink, ex)
      }
      case 'completion/complete': {
        const ref = (params.ref ?? {}) as { type?: string; name?: string; uri?: string }
        if (ref.type === 'ref/prompt') {
          const target = await this.resolveName(session, 'prompts', ref.name ?? '', ex)
          if (!target) return sink.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, `Unknown prompt: ${ref.name}`))
          const rewritten = { ...msg, params: { ...params, ref: { ...ref, name: target.name } } }
          return this.pipeline.toServer(target.rt, session, rewritten, JSON.stringify(rewritten), sink, ex)
        }
        const rt = await this.resolveUri(session, ref.uri ?? '', ex)
        if (!rt) return sink.respond(errorMessage(msg.id, RpcCodes.INVALID_PARAMS, `Unknown resource: ${ref.uri}`))
        return this.pipeline.toServer(rt, session, msg, raw, sink, ex)
      }
      default:
        return sink.respond(errorMessage(msg.id, RpcCodes.METHOD_NOT_FOUND, `Method not found: ${msg.method}`))
    }
  }

  /** One merged list. A server that is down is left out (and logged) rather than failing the whole list. */
  async list(session: Session, method: string, ex: Exchange): Promise<unknown[]> {
    const table = this.table(session.projectId)
    const runtimes = this.servers.runtimes(session.projectId)
    const lists = await Promise.all(
      runtimes.map(async (rt) => {
        try {
          const conn = await rt.acquire(session.upstream)
          return await this.pipeline.listFor(conn, method, session, ex, rt.spec.name)
        } catch (err) {
          this.log.warn(
            { server: rt.spec.name, method, reason: (err as Error).message },
            'left a server out of a unified list',
          )
          return []
        }
      }),
    )
    const out: unknown[] = []
    runtimes.forEach((rt, i) => {
      const server = rt.spec.name
      for (const item of lists[i] as Record<string, unknown>[]) {
        if (method === 'tools/list' || method === 'prompts/list') {
          const names = method === 'tools/list' ? table.tools : table.prompts
          const name = String(item.name ?? '')
          let exposed = exposedName(server, name, this.opts)
          const taken = names.get(exposed)
          if (taken && (taken.server !== server || taken.name !== name)) {
            exposed = exposedName(server, `${name}\0collision`, this.opts)
            this.log.warn({ server, name, exposed }, 'renamed a colliding unified name')
          }
          if (exposed.length > 64)
            this.log.warn({ exposed }, 'unified name is longer than 64 characters; some clients refuse it')
          names.set(exposed, { server, name })
          const copy: Record<string, unknown> = { ...item, name: exposed }
          if (exposed !== `${server}${this.opts.separator}${name}` && copy.title === undefined) copy.title = name
          out.push(copy)
        } else if (method === 'resources/list') {
          if (typeof item.uri === 'string') {
            const owner = table.resources.get(item.uri)
            if (owner && owner !== server)
              this.log.warn({ uri: item.uri, servers: [owner, server] }, 'two servers expose one resource URI')
            else table.resources.set(item.uri, server)
          }
          out.push(item)
        } else {
          if (typeof item.uriTemplate === 'string') {
            const prefix = item.uriTemplate.split('{')[0]
            if (!table.templates.some((t) => t.prefix === prefix && t.server === server))
              table.templates.push({ prefix, server })
          }
          out.push(item)
        }
      }
    })
    return out
  }

  /** The server and upstream name behind an exposed tool or prompt name, or null. */
  target(
    session: Session,
    kind: 'tools' | 'prompts',
    exposed: string,
    ex: Exchange,
  ): Promise<{ rt: ServerRuntime; name: string } | null> {
    return this.resolveName(session, kind, exposed, ex)
  }

  /** The server that serves a resource URI, or null. */
  serverOf(session: Session, uri: string, ex: Exchange): Promise<ServerRuntime | null> {
    return this.resolveUri(session, uri, ex)
  }

  private table(projectId: string): ProjectTable {
    let t = this.tables.get(projectId)
    if (!t) {
      t = { tools: new Map(), prompts: new Map(), resources: new Map(), templates: [] }
      this.tables.set(projectId, t)
    }
    return t
  }

  private async resolveName(
    session: Session,
    kind: 'tools' | 'prompts',
    exposed: string,
    ex: Exchange,
  ): Promise<{ rt: ServerRuntime; name: string } | null> {
    let target = this.table(session.projectId)[kind].get(exposed)
    if (!target) {
      // A client may call a name it listed before a gateway restart: rebuild the table once.
      await this.list(session, kind === 'tools' ? 'tools/list' : 'prompts/list', ex)
      target = this.table(session.projectId)[kind].get(exposed)
    }
    if (!target) return null
    const rt = this.servers.runtime(session.projectId, target.server)
    if (!rt?.spec.enabled)
      throw new UpstreamError(RpcCodes.UPSTREAM_UNAVAILABLE, `server "${target.server}" is not available`)
    return { rt, name: target.name }
  }

  private async resolveUri(session: Session, uri: string, ex: Exchange): Promise<ServerRuntime | null> {
    const find = () => {
      const t = this.table(session.projectId)
      const server =
        t.resources.get(uri) ??
        t.templates
          .filter((x) => x.prefix !== '' && uri.startsWith(x.prefix))
          .sort((a, b) => b.prefix.length - a.prefix.length)[0]?.server
      return server ? (this.servers.runtime(session.projectId, server) ?? null) : null
    }
    let rt = find()
    if (!rt) {
      await this.list(session, 'resources/list', ex)
      await this.list(session, 'resources/templates/list', ex)
      rt = find()
    }
    return rt
  }
}
