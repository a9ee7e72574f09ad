// The minimal remote upstream of scenario i: Streamable HTTP on 127.0.0.1 with no SDK, answering the benchmarks'
// `echo` exactly like fast-upstream.ts, in one era per process, every answer one JSON body. What is left of a call's
// cost is the gateway's, so the 2025 and 2026-07-28 rows differ only in how mcpo speaks each era.
//   --era legacy  2025-era: initialize assigns an Mcp-Session-Id that later requests must carry (unknown: 404); no
//                 GET stream (405); DELETE ends the session
//   --era modern  2026-07-28 only: server/discover, no session; every request must carry MCP-Protocol-Version and the
//                 _meta envelope with the revision, or it is refused as the SDK v2 server refuses it (-32022, HTTP 400)
// Run: node --import tsx benchmarks/fast-http-upstream.ts --era legacy|modern [--port 0]
// Prints one JSON line {"listening":"http://127.0.0.1:<port>/mcp"} on stdout when ready; GET /healthz answers 200.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}

const era = arg('--era')
if (era !== 'modern' && era !== 'legacy') throw new Error('--era: expected modern or legacy')
const port = Number(arg('--port') ?? 0)

const MODERN = '2026-07-28'
const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']
const SERVER_INFO = { name: 'mcpo-bench-fast-http-upstream', version: '1.0.0' }
const tools = [
  {
    name: 'echo',
    description: 'Echoes back the input',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'Message to echo' } },
      required: ['message'],
    },
  },
]
const sessions = new Set<string>()

interface Msg {
  id?: string | number | null
  method?: unknown
  params?: { name?: unknown; arguments?: { message?: unknown }; protocolVersion?: unknown; _meta?: unknown }
}

function send(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body)
}

function result(id: Msg['id'], value: Record<string, unknown>): string {
  // A 2026-07-28 result says it is complete (not input_required), as the SDK v2 server's do.
  return JSON.stringify({ jsonrpc: '2.0', id, result: era === 'modern' ? { ...value, resultType: 'complete' } : value })
}

function failure(id: Msg['id'], code: number, message: string, data?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: { code, message, data } })
}

function answer(msg: Msg): string {
  const params = msg.params ?? {}
  switch (msg.method) {
    case 'tools/call': {
      if (params.name !== 'echo') return failure(msg.id, -32602, `Unknown tool: ${params.name}`)
      const message = params.arguments?.message
      if (typeof message !== 'string') return failure(msg.id, -32602, 'message must be a string')
      return result(msg.id, { content: [{ type: 'text', text: `Echo: ${message}` }] })
    }
    case 'tools/list':
      return result(msg.id, { tools })
    case 'ping':
      return result(msg.id, {})
    default:
      return failure(msg.id, -32601, `Method not found: ${msg.method}`)
  }
}

function handleModern(req: IncomingMessage, res: ServerResponse, msg: Msg): void {
  const meta = msg.params?._meta as Record<string, unknown> | undefined
  const claimed = meta?.['io.modelcontextprotocol/protocolVersion']
  if (req.headers['mcp-protocol-version'] !== MODERN || claimed !== MODERN) {
    const requested = typeof claimed === 'string' ? claimed : String(msg.params?.protocolVersion ?? 'unknown')
    const data = { supported: [MODERN], requested }
    return void send(res, 400, failure(msg.id, -32022, `Unsupported protocol version: ${requested}`, data))
  }
  if (msg.method === 'server/discover') {
    const discovered = { supportedVersions: [MODERN], capabilities: { tools: {} }, serverInfo: SERVER_INFO }
    return void send(res, 200, result(msg.id, discovered))
  }
  send(res, 200, answer(msg))
}

function handleLegacy(req: IncomingMessage, res: ServerResponse, msg: Msg): void {
  if (msg.method === 'initialize') {
    const asked = msg.params?.protocolVersion
    const protocolVersion = typeof asked === 'string' && LEGACY_VERSIONS.includes(asked) ? asked : '2025-11-25'
    const id = randomUUID()
    sessions.add(id)
    const body = result(msg.id, { protocolVersion, capabilities: { tools: {} }, serverInfo: SERVER_INFO })
    return void send(res, 200, body, { 'mcp-session-id': id })
  }
  const session = req.headers['mcp-session-id']
  if (typeof session !== 'string' || !sessions.has(session))
    return void send(res, 404, failure(msg.id, -32001, 'Session not found'))
  if (msg.id === undefined) return void res.writeHead(202).end()
  send(res, 200, answer(msg))
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method === 'DELETE' && era === 'legacy') {
    const session = req.headers['mcp-session-id']
    if (typeof session === 'string') sessions.delete(session)
    return void res.writeHead(200).end()
  }
  if (req.method !== 'POST') return void send(res, 405, failure(null, -32000, 'Method not allowed.'))
  let msg: Msg
  try {
    msg = JSON.parse(body) as Msg
  } catch {
    return void send(res, 400, failure(null, -32700, 'Parse error'))
  }
  if (era === 'modern') handleModern(req, res, msg)
  else handleLegacy(req, res, msg)
}

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return void send(res, 200, '{"status":"ok"}')
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => {
    body += chunk
  })
  req.on('end', () => handle(req, res, body))
})
// Gateways keep their connections alive between POSTs; Node's 5 s default would close idle ones mid-run.
http.keepAliveTimeout = 60_000
http.listen(port, '127.0.0.1', () => {
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  process.stdout.write(`${JSON.stringify({ listening: `${base}/mcp` })}\n`)
})
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0))
