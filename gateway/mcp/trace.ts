// W3C Trace Context through the relay: a client's `traceparent` (HTTP header, or `_meta.traceparent` in the request
// params) reaches the upstream unchanged, as an HTTP header for remote servers and in `_meta` for stdio ones. mcpo
// starts no spans of its own, so it passes the context through as a proxy that does not take part in tracing.
import type { Exchange } from '../../plugins/contract.ts'
import type { SendOptions } from '../upstream/transport.ts'

const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/
const TRACESTATE_MAX = 512

export interface TraceContext {
  traceparent: string
  tracestate?: string
}

/** The request's trace context, or null; a malformed value is ignored rather than passed on (W3C §4.3). */
export function traceContext(ex: Exchange, params: Record<string, unknown>): TraceContext | null {
  const meta = params._meta as { traceparent?: unknown; tracestate?: unknown } | undefined
  const fromMeta = typeof meta?.traceparent === 'string' ? meta.traceparent : undefined
  const raw = (fromMeta ?? ex.headers.traceparent)?.trim().toLowerCase()
  if (!raw || !TRACEPARENT.test(raw) || raw.startsWith('ff')) return null
  const state = fromMeta !== undefined ? meta?.tracestate : ex.headers.tracestate
  return typeof state === 'string' && state.length <= TRACESTATE_MAX
    ? { traceparent: raw, tracestate: state }
    : { traceparent: raw }
}

/** For remote upstreams: the headers of this message's POST. */
export function traceHeaders(t: TraceContext): SendOptions {
  return {
    headers: t.tracestate ? { traceparent: t.traceparent, tracestate: t.tracestate } : { traceparent: t.traceparent },
  }
}

/** For stdio upstreams: the message with the context in `params._meta` (unchanged when it is already there). */
export function withTraceMeta<M extends { params?: Record<string, unknown> }>(msg: M, t: TraceContext): M | null {
  const params = msg.params ?? {}
  const meta = (params._meta ?? {}) as Record<string, unknown>
  if (meta.traceparent === t.traceparent) return null
  const next = t.tracestate
    ? { ...meta, traceparent: t.traceparent, tracestate: t.tracestate }
    : { ...meta, traceparent: t.traceparent }
  return { ...msg, params: { ...params, _meta: next } }
}
