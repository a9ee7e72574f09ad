// The one table of mcpo's error codes: each maps to an HTTP status and a JSON-RPC code, applied once at the edge.

export const ErrorCodes = {
  MCPO_ERR_NOT_FOUND: { http: 404, rpc: -32602 },
  MCPO_ERR_CONFLICT: { http: 409, rpc: -32600 },
  MCPO_ERR_VALIDATION: { http: 400, rpc: -32602 },
  MCPO_ERR_BAD_REQUEST: { http: 400, rpc: -32600 },
  MCPO_ERR_PARSE: { http: 400, rpc: -32700 },
  MCPO_ERR_UNAUTHENTICATED: { http: 401, rpc: -32000 },
  MCPO_ERR_FORBIDDEN: { http: 403, rpc: -32000 },
  MCPO_ERR_METHOD_NOT_ALLOWED: { http: 405, rpc: -32000 },
  MCPO_ERR_NOT_ACCEPTABLE: { http: 406, rpc: -32000 },
  MCPO_ERR_PAYLOAD_TOO_LARGE: { http: 413, rpc: -32600 },
  MCPO_ERR_HEADERS_TOO_LARGE: { http: 431, rpc: -32600 },
  MCPO_ERR_UNSUPPORTED_MEDIA_TYPE: { http: 415, rpc: -32000 },
  MCPO_ERR_RATE_LIMITED: { http: 429, rpc: -32000 },
  MCPO_ERR_LIMIT_REACHED: { http: 429, rpc: -32000 },
  MCPO_ERR_STORAGE_UNAVAILABLE: { http: 503, rpc: -32603 },
  MCPO_ERR_STORAGE_TIMEOUT: { http: 503, rpc: -32603 },
  MCPO_ERR_UPSTREAM_UNAVAILABLE: { http: 502, rpc: -32010 },
  MCPO_ERR_UPSTREAM_TIMEOUT: { http: 504, rpc: -32011 },
  MCPO_ERR_UPSTREAM_CLOSED: { http: 502, rpc: -32012 },
  MCPO_ERR_SHUTTING_DOWN: { http: 503, rpc: -32013 },
  MCPO_ERR_CONFIG: { http: 500, rpc: -32603 },
  MCPO_ERR_PLUGIN: { http: 500, rpc: -32603 },
  MCPO_ERR_INTERNAL: { http: 500, rpc: -32603 },
} as const satisfies Record<string, { http: number; rpc: number }>

export type ErrorCode = keyof typeof ErrorCodes

/**
 * An error mcpo raises on purpose. The edge turns it into an HTTP status or a JSON-RPC error.
 * @example throw new GatewayError('MCPO_ERR_CONFLICT', 'a server named "github" already exists')
 */
export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined
  /** Set on refusals worth an audit event of their own (see gateway/refusals.ts); never sent to the client. */
  readonly refusal: { action: string; subject?: string } | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown
      details?: Record<string, unknown>
      refusal?: { action: string; subject?: string }
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GatewayError'
    this.code = code
    this.details = options?.details
    this.refusal = options?.refusal
  }

  get httpStatus(): number {
    return ErrorCodes[this.code].http
  }

  get rpcCode(): number {
    return ErrorCodes[this.code].rpc
  }
}

export function isGatewayError(err: unknown, code?: ErrorCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code)
}

/** The JSON body of a control-plane error; internal errors never carry their message or stack. */
export function errorBody(err: unknown): { status: number; body: string } {
  if (err instanceof GatewayError) {
    const error: Record<string, unknown> = { code: err.code, message: err.message }
    if (err.details) error.details = err.details
    return { status: err.httpStatus, body: JSON.stringify({ error }) }
  }
  return {
    status: 500,
    body: JSON.stringify({ error: { code: 'MCPO_ERR_INTERNAL', message: 'internal error' } }),
  }
}
