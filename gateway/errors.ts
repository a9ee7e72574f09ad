// Errors at the edge: the code table and `GatewayError` live in the plugin contract (plugins raise the same errors the
// gateway answers); this module turns them into response bodies.
import { GatewayError } from '../plugins/contract.ts'

export { type ErrorCode, ErrorCodes, GatewayError, isGatewayError } from '../plugins/contract.ts'

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
