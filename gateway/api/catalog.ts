// A server made from a catalog template: the template fixes transport, command and URL; the user fills only the
// variables it declares. Used by POST .../servers/from-template and by projects made from a project template.
import type { Template } from '../../plugins/storage/port.ts'
import { GatewayError } from '../errors.ts'
import { type ServerInput, validateServer } from './server-model.ts'

export interface CatalogServerFields {
  name: string
  description?: string
  env: Record<string, string>
  headers: Record<string, string>
  timeoutMs?: number
  enabled: boolean
  autoStart: boolean
}

/** `field` prefixes error paths, so a project template reports `variables.github.env.X`. */
export function catalogServerInput(template: Template, body: CatalogServerFields, field = ''): ServerInput {
  // Only the variables the template declares: an arbitrary variable (NODE_OPTIONS, LD_PRELOAD) could run code.
  const extra = [
    ...Object.keys(body.env)
      .filter((k) => !Object.hasOwn(template.envTemplate, k))
      .map((k) => `${field}env.${k}`),
    ...Object.keys(body.headers)
      .filter((k) => !Object.hasOwn(template.headersTemplate, k))
      .map((k) => `${field}headers.${k}`),
  ]
  if (extra.length) {
    throw new GatewayError('MCPO_ERR_VALIDATION', `${extra.join(', ')}: not a variable of the template`, {
      details: { fields: extra.map((f) => ({ field: f, message: 'is not a variable of the template' })) },
    })
  }
  return validateServer({
    name: body.name,
    description: body.description ?? template.description,
    transport: template.transport,
    ...(template.transport === 'stdio'
      ? { command: template.command ?? undefined, args: template.args, env: body.env }
      : { url: template.url ?? undefined, headers: body.headers }),
    timeoutMs: body.timeoutMs,
    enabled: body.enabled,
    autoStart: body.autoStart,
  })
}
