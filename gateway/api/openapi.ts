// /api/openapi.json, generated from the same route definitions and zod schemas that validate requests.
import { z } from 'zod'
import { GATEWAY_VERSION } from '../version.ts'
import { type RouteDef, route } from './define.ts'

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
})

export function openApiDocument(routes: readonly RouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    if (r.query) {
      const schema = z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, unknown>
        required?: string[]
      }
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        params.push({
          name,
          in: 'query',
          required: schema.required?.includes(name) ?? false,
          schema: s as { type: string },
        })
      }
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      security:
        r.auth === 'public' ? [] : [{ bearer: [] }, { cookie: [] }, ...(r.projectKeys ? [{ projectKey: [] }] : [])],
      responses: {
        [String(r.status ?? 200)]: {
          description: 'success',
          ...(r.produces
            ? { content: Object.fromEntries(r.produces.map((t) => [t, { schema: { type: 'string' } }])) }
            : r.response
              ? { content: { 'application/json': { schema: z.toJSONSchema(r.response, { unrepresentable: 'any' }) } } }
              : {}),
        },
        default: { description: 'error', content: { 'application/json': { schema: z.toJSONSchema(errorSchema) } } },
      },
    }
    if (params.length) op.parameters = params
    if (r.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } },
      }
    }
    paths[path] ??= {}
    paths[path][r.method.toLowerCase()] = op
  }
  return {
    openapi: '3.1.0',
    info: { title: 'mcpo management API', version: GATEWAY_VERSION },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'mcpo_session' },
        projectKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A project API key (mcp_proj_…): MCP endpoints, and only the operations that list it here',
        },
      },
    },
    paths,
  }
}

export function openApiRoute(all: () => readonly RouteDef[]) {
  let doc: Record<string, unknown> | null = null
  return route({
    method: 'GET',
    path: '/api/openapi.json',
    tag: 'meta',
    summary: 'This document',
    auth: 'public',
    handler: () => {
      doc ??= openApiDocument(all())
      return doc
    },
  })
}
