// U4 (protocol.md §11.2): a 2026-07-28 upstream that needs input answers `input_required` instead of sending requests
// of its own. A 2025-era client cannot read that result, so each input request becomes an ordinary server→client
// request to the client whose call it was (on the call's own stream when it has one, else the session's stream), and
// the answers, once all are in, go back to the connection, which retries upstream with them and the upstream's state.
import { idKey, RpcCodes, type RpcId } from './json-rpc.ts'
import type { ClientSink, InflightRequest, Session } from './session.ts'

/** Rounds of `input_required` one call may take before mcpo gives up on it. */
export const MAX_INPUT_ROUNDS = 10
/** The pause before retrying a round that asked nothing (the SDK clients' pacing of such legs). */
export const STATE_ONLY_PACING_MS = 250

/** The client capability each input request needs; a client that did not declare it is never asked. */
const NEEDS: Readonly<Record<string, string>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
}

export interface InputRound {
  requests: { key: string; method: string; params: unknown }[]
  /** The upstream's state, handed back byte for byte; absent when the upstream keeps none. */
  requestState: string | undefined
}

/** Reads an `input_required` result; a string says what is wrong with it. */
export function readInputRequired(result: unknown): InputRound | string {
  const r = result as { inputRequests?: unknown; requestState?: unknown }
  const asked = r.inputRequests ?? {}
  if (asked === null || typeof asked !== 'object' || Array.isArray(asked)) return 'inputRequests is not an object'
  const requests: InputRound['requests'] = []
  for (const [key, value] of Object.entries(asked)) {
    const method = (value as { method?: unknown } | null)?.method
    if (typeof method !== 'string') return `input request "${key}" names no method`
    requests.push({ key, method, params: (value as { params?: unknown }).params })
  }
  if (r.requestState !== undefined && typeof r.requestState !== 'string') return 'requestState is not a string'
  // A state alone is the upstream shedding load: it wants the same call again later, with nothing to ask.
  if (requests.length === 0 && r.requestState === undefined) return 'it asks for nothing and holds no state'
  return { requests, requestState: r.requestState }
}

/** Client-facing ids of the questions, unique per process, so two upstreams of one unified session never collide. */
let seq = 0

export interface InputAskOptions {
  serverName: string
  session: Session
  sink: ClientSink
  /** The client's id of the call the questions belong to. */
  callId: RpcId
  round: InputRound
  /** How long the client has to answer every question. */
  timeoutMs: number
  answered(responses: Record<string, unknown>): void
  failed(code: number, message: string): void
}

/**
 * One round of questions to a 2025-era client. It stands in the session's in-flight table for the call while the
 * client thinks, so a cancel of the call (or the client leaving) withdraws the questions instead of reaching upstream.
 */
export class InputAsk implements InflightRequest {
  /** Client-facing id → the upstream's key. */
  private readonly waiting = new Map<string, string>()
  private readonly responses: Record<string, unknown> = {}
  private done = false
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly o: InputAskOptions) {}

  /** Sends every question; null when they went out, else why the call cannot go on. */
  start(): string | null {
    const { session, sink, round } = this.o
    for (const q of round.requests) {
      const needs = NEEDS[q.method]
      if (needs === undefined)
        return `upstream "${this.o.serverName}" asked the client for ${q.method}, which is not a request a client answers`
      if (session.clientCapabilities[needs] === undefined) {
        return `upstream "${this.o.serverName}" needs ${q.method}, but the client did not declare the ${needs} capability`
      }
    }
    if (session.closed) return 'the client went away'
    const asked: [string, string][] = []
    for (const q of round.requests) {
      const id = `mcpo-input-${++seq}`
      const msg: Record<string, unknown> = { jsonrpc: '2.0', id, method: q.method }
      if (q.params !== undefined) msg.params = q.params
      const json = JSON.stringify(msg)
      session.serverRequests.set(id, (response) => this.answer(id, response.msg))
      this.waiting.set(id, q.key)
      asked.push([id, json])
    }
    session.inflight.set(idKey(this.o.callId), this)
    for (const [id, json] of asked) {
      const sent = (!sink.closed && sink.request?.(json) === true) || session.notify(json)
      if (!sent) {
        this.withdraw('the client has no open stream')
        this.finish()
        return `upstream "${this.o.serverName}" needs input, but the client has no open stream on which mcpo could ask it (request ${id})`
      }
    }
    this.timer = setTimeout(() => this.expire(), this.o.timeoutMs)
    return null
  }

  private answer(id: string, msg: unknown): void {
    const key = this.waiting.get(id)
    if (this.done || key === undefined) return
    this.waiting.delete(id)
    const m = msg as { result?: unknown; error?: { code?: unknown; message?: unknown } }
    if (m.error !== undefined) {
      this.withdraw('another question of the same call failed')
      this.finish()
      const why = typeof m.error?.message === 'string' ? m.error.message : 'an error'
      this.o.failed(
        RpcCodes.UPSTREAM_UNAVAILABLE,
        `the client could not answer the input "${this.o.serverName}" asked for: ${why}`,
      )
      return
    }
    this.responses[key] = m.result
    if (this.waiting.size > 0) return
    this.finish()
    this.o.answered(this.responses)
  }

  private expire(): void {
    if (this.done) return
    this.withdraw('timed out')
    this.finish()
    this.o.failed(
      RpcCodes.UPSTREAM_TIMEOUT,
      `the client did not answer the input "${this.o.serverName}" asked for within ${this.o.timeoutMs} ms`,
    )
  }

  /** The client cancelled its call (or left): the questions are withdrawn; the upstream holds nothing to cancel. */
  cancel(reason: string): void {
    if (this.done) return
    this.withdraw(reason)
    this.finish()
    this.o.sink.cancelled?.(reason)
  }

  abort(code: number, message: string): void {
    if (this.done) return
    this.withdraw(message)
    this.finish()
    this.o.failed(code, message)
  }

  /** Tells the client to drop the questions still open, on the stream they went to. */
  private withdraw(reason: string): void {
    const { session, sink } = this.o
    for (const id of this.waiting.keys()) {
      session.serverRequests.delete(id)
      if (session.closed) continue
      const json = JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason },
      })
      if (sink.closed) session.notify(json)
      else sink.send(json)
    }
    this.waiting.clear()
  }

  private finish(): void {
    this.done = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const key = idKey(this.o.callId)
    if (this.o.session.inflight.get(key) === this) this.o.session.inflight.delete(key)
  }
}
