// The one observer of a client request's answer. Every request gets one `Reply`, which passes messages to the
// transport's sink and, once the answer went out, tells whoever watches: the session tracker (failure counts), the
// server's log (last success and last error), and for `tools/call` the tool-call record that `onToolResult` hooks
// receive (the audit trail and metrics among them). The answer is parsed at most once: the connection hands over the
// message it already parsed, and text built by mcpo itself is only scanned unless it is an error worth describing.
import type { Exchange, Logger, ToolCallRecord } from '../../plugins/contract.ts'
import type { PluginHost } from '../../plugins/host.ts'
import { RpcCodes, type RpcMessage } from './json-rpc.ts'
import type { ServerLog } from './server-log.ts'
import type { ClientSink, Session } from './session.ts'
import type { SessionCounter, SessionTracker } from './session-tracker.ts'

export interface ReplyDeps {
  plugins: PluginHost
  logger: Logger
  tracker: SessionTracker | null
}

/** The parts of an answer the observers need: whether it failed, and if so its code and message. */
interface Outcome {
  failed: boolean
  code: number | null
  message: string | null
  /** A tool result flagged `isError` (not a JSON-RPC error): its first text, for the server log. */
  toolError: string | null
}

/** Where a tools/call is going, for its record. */
interface ToolTarget {
  serverName: string
  toolName: string
  args: unknown
  argsSize: number
  started: number
}

type Parsed = Pick<RpcMessage, 'error' | 'result'>

export class Reply implements ClientSink {
  private settled = false
  private denied = false
  private tool: ToolTarget | null = null
  private log: ServerLog | null = null
  private readonly counter: SessionCounter | null

  constructor(
    private readonly deps: ReplyDeps,
    private readonly sink: ClientSink,
    private readonly session: Session,
    private readonly ex: Exchange,
  ) {
    this.counter = deps.tracker === null ? null : deps.tracker.request(session.upstream, ex)
  }

  /**
   * This request is a `tools/call` of `toolName` on `serverName`: its outcome becomes a tool-call record. Without an
   * `onToolResult` hook nothing is kept, so the record costs nothing.
   */
  observeTool(serverName: string, toolName: string, args: unknown, argsSize: number): void {
    if (this.deps.plugins.hooks.onToolResult === null) return
    this.tool = { serverName, toolName, args, argsSize, started: performance.now() }
  }

  /** This request went to a server: its log learns whether it worked. */
  watchServer(log: ServerLog): void {
    this.log = log
  }

  /** A refusal by a plugin (authorize or onToolCall): recorded as `denied`, not as an error of the server. */
  deny(json: string): void {
    this.denied = true
    this.respond(json)
  }

  send(json: string): void {
    this.sink.send(json)
  }

  request(json: string): boolean {
    return this.sink.request?.(json) ?? false
  }

  respond(json: string, parsed?: Parsed): void {
    if (this.settled) return
    this.settled = true
    this.sink.respond(json, parsed)
    if (this.counter === null && this.log === null && this.tool === null) return
    const outcome = outcomeOf(json, parsed)
    if (outcome.failed && this.counter !== null) this.deps.tracker?.failed(this.counter)
    if (this.log !== null) {
      if (!outcome.failed) this.log.lastSuccessAt = Date.now()
      else if (outcome.toolError !== null) this.log.failed(outcome.toolError)
      else this.log.failed(outcome.message ?? 'unreadable answer')
    }
    if (this.tool !== null) this.record(this.tool, outcome, null)
  }

  cancelled(reason: string): void {
    if (this.settled) return
    this.settled = true
    this.sink.cancelled?.(reason)
    if (this.tool !== null) this.record(this.tool, null, reason)
  }

  get closed(): boolean {
    return this.sink.closed
  }

  private record(tool: ToolTarget, outcome: Outcome | null, cancelReason: string | null): void {
    const { ex, session } = this
    const p = ex.principal
    const record: ToolCallRecord = {
      projectId: session.projectId,
      serverName: tool.serverName,
      toolName: tool.toolName,
      principalKind: p?.kind ?? null,
      principalId: p?.id ?? session.principalId,
      keyId: p?.kind === 'api-key' ? p.id : null,
      sessionId: session.upstream.id,
      clientName: session.clientInfo?.name ?? null,
      status: 'ok',
      errorCode: null,
      errorMessage: null,
      durationMs: Math.round(performance.now() - tool.started),
      argsSize: tool.argsSize,
      at: Date.now(),
      requestId: ex.requestId,
      arguments: tool.args,
    }
    if (outcome === null) {
      record.status = 'cancelled'
      record.errorMessage = cancelReason?.slice(0, 500) ?? null
    } else if (outcome.failed) {
      record.status = this.denied ? 'denied' : outcome.code === RpcCodes.UPSTREAM_TIMEOUT ? 'timeout' : 'error'
      record.errorCode = outcome.code === null ? null : String(outcome.code)
      record.errorMessage = outcome.message?.slice(0, 500) ?? null
    }
    this.deps.logger.debug(
      {
        requestId: ex.requestId,
        project: record.projectId,
        server: record.serverName,
        tool: record.toolName,
        status: record.status,
        ms: record.durationMs,
      },
      'tool call',
    )
    this.deps.plugins.toolResult(record)
  }
}

const OK: Outcome = Object.freeze({ failed: false, code: null, message: null, toolError: null })

/** The outcome of an answer, from the message the connection parsed, or else from its text (parsed only if failed). */
function outcomeOf(json: string, parsed: Parsed | undefined): Outcome {
  if (parsed === undefined) {
    if (!isFailure(json)) return OK
    try {
      parsed = JSON.parse(json) as Parsed
    } catch {
      return { failed: true, code: null, message: 'unreadable answer', toolError: null }
    }
  }
  const error = parsed.error
  if (error !== undefined && error !== null) {
    return {
      failed: true,
      code: typeof error.code === 'number' ? error.code : null,
      message: typeof error.message === 'string' ? error.message : null,
      toolError: null,
    }
  }
  const result = parsed.result as { isError?: unknown; content?: { text?: unknown }[] } | undefined
  if (result?.isError !== true) return OK
  const text = Array.isArray(result.content) ? result.content.find((c) => typeof c?.text === 'string')?.text : null
  return {
    failed: true,
    code: null,
    message: null,
    toolError: typeof text === 'string' ? `tool error: ${text}` : 'tool error',
  }
}

/** A cheap look at the text: an `"error"` member before any `"result"`, or a tool result flagged `isError`. */
export function isFailure(json: string): boolean {
  const e = json.indexOf('"error"')
  if (e !== -1) {
    const r = json.indexOf('"result"')
    if (r === -1 || e < r) return true
  }
  return json.includes('"isError":true')
}
