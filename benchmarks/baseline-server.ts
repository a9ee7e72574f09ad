// The no-gateway baseline: an MCP SDK server served directly over HTTP on 127.0.0.1, with the same tools the
// gateway relays (`echo` → "Echo: <message>"), both transports, one McpServer per session (the SDK's usual pattern).
// Run: node --import tsx benchmarks/baseline-server.ts [--port 0] [--servers N]
//   --servers N  instead of `echo`, expose s000__echo … s(N-1)__echo: the names mcpo's unified endpoint shows for a
//                project of N fast upstreams, so `tools/list` carries the same number of tools.
// Prints one JSON line {"listening":"http://127.0.0.1:<port>"} on stdout when ready.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import * as z from 'zod'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}

const port = Number(arg('--port') ?? 0)
const servers = Number(arg('--servers') ?? 0)
const toolNames =
  servers > 0 ? Array.from({ length: servers }, (_, i) => `s${String(i).padStart(3, '0')}__echo`) : ['echo']

function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'mcpo-bench-baseline', version: '1.0.0' }, { capabilities: { tools: {} } })
  for (const name of toolNames) {
    server.registerTool(
      name,
      { description: 'Echoes back the input', inputSchema: { message: z.string().describe('Message to echo') } },
      ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }),
    )
  }
  return server
}

interface Session {
  server: McpServer
  transport: SSEServerTransport | StreamableHTTPServerTransport
}
const sessions = new Map<string, Session>()

function end(id: string): void {
  const s = sessions.get(id)
  if (!s) return
  sessions.delete(id)
  s.server.close().catch(() => {})
}

async function handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/readyz')) {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    return
  }
  if (url.pathname === '/sse' && req.method === 'GET') {
    const transport = new SSEServerTransport('/messages', res)
    const server = createMcpServer()
    sessions.set(transport.sessionId, { server, transport })
    transport.onclose = () => end(transport.sessionId)
    await server.connect(transport)
    return
  }
  if (url.pathname === '/messages' && req.method === 'POST') {
    const s = sessions.get(url.searchParams.get('sessionId') ?? '')
    if (!s || !(s.transport instanceof SSEServerTransport)) return void res.writeHead(404).end('unknown session')
    await s.transport.handlePostMessage(req, res, body)
    return
  }
  if (url.pathname === '/mcp') {
    const id = req.headers['mcp-session-id']
    if (typeof id === 'string') {
      const s = sessions.get(id)
      if (!s || !(s.transport instanceof StreamableHTTPServerTransport)) {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}')
        return
      }
      await s.transport.handleRequest(req, res, body)
      return
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => void sessions.set(sid, created),
    })
    const created: Session = { server: createMcpServer(), transport }
    transport.onclose = () => transport.sessionId && end(transport.sessionId)
    await created.server.connect(transport)
    await transport.handleRequest(req, res, body)
    if (transport.sessionId === undefined) await created.server.close()
    return
  }
  res.writeHead(404).end()
}

const http = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    let body: unknown
    if (req.method === 'POST') {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        res.writeHead(400).end('invalid JSON')
        return
      }
    }
    handle(req, res, body).catch((err) => {
      process.stderr.write(`baseline: ${err instanceof Error ? err.stack : String(err)}\n`)
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
})
http.listen(port, '127.0.0.1', () => {
  const { port: bound } = http.address() as AddressInfo
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${bound}` })}\n`)
})
const stop = () => {
  for (const id of [...sessions.keys()]) end(id)
  http.closeAllConnections()
  http.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
