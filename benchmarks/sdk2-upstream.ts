// The remote upstream of scenario i: the SDK v2 server (`createMcpHandler`) with the benchmarks' `echo` tool on
// 127.0.0.1, one program for both eras so the two rows differ only in the revision spoken to it.
//   --era modern  2026-07-28 only (2025-era requests refused, as test/fixtures/modern-server.ts does)
//   --era legacy  the same handler with its stateless 2025-era serving, which is what it offers for that era
// Run: node --import tsx benchmarks/sdk2-upstream.ts --era modern|legacy [--port 0]
// Prints one JSON line {"listening":"http://127.0.0.1:<port>/mcp"} on stdout when ready; GET /healthz answers 200.
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}

const era = arg('--era')
if (era !== 'modern' && era !== 'legacy') throw new Error('--era: expected modern or legacy')
const port = Number(arg('--port') ?? 0)

// The schema of fast-upstream.ts's echo, so every row validates and answers the same call.
const echoSchema = fromJsonSchema({
  type: 'object',
  properties: { message: { type: 'string', description: 'Message to echo' } },
  required: ['message'],
} as never)

function build(): McpServer {
  const server = new McpServer({ name: 'mcpo-bench-sdk2-upstream', version: '1.0.0' })
  ;(server.registerTool as (...a: unknown[]) => unknown)(
    'echo',
    { description: 'Echoes back the input', inputSchema: echoSchema },
    async (a: { message?: unknown }) => ({ content: [{ type: 'text', text: `Echo: ${a.message}` }] }),
  )
  return server
}

const handler = createMcpHandler(build, { legacy: era === 'modern' ? 'reject' : 'stateless' })
let base = ''

function toRequest(req: IncomingMessage, body: Buffer): Request {
  const headers = new Headers()
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers.set(k, v)
    else if (Array.isArray(v)) for (const x of v) headers.append(k, x)
  }
  const method = req.method ?? 'GET'
  return new Request(new URL(req.url ?? '/', base), {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(body),
  })
}

const http = createServer(async (req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    return
  }
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  try {
    const answer = await handler.fetch(toRequest(req, Buffer.concat(chunks)))
    const out: Record<string, string> = {}
    answer.headers.forEach((v, k) => {
      out[k] = v
    })
    res.writeHead(answer.status, out)
    if (!answer.body) return void res.end()
    const reader = answer.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      res.write(value)
    }
    res.end()
  } catch (err) {
    process.stderr.write(`sdk2-upstream: ${err instanceof Error ? err.message : String(err)}\n`)
    res.destroy()
  }
})
// Gateways keep their connections alive between POSTs; Node's 5 s default would close idle ones mid-run.
http.keepAliveTimeout = 60_000
http.listen(port, '127.0.0.1', () => {
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  process.stdout.write(`${JSON.stringify({ listening: `${base}/mcp` })}\n`)
})
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0))
