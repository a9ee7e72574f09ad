// The minimal stdio MCP upstream of the benchmarks: newline-delimited JSON-RPC, no SDK, no dependencies. It answers
// initialize, ping, tools/list and tools/call `echo` (exactly like server-everything: "Echo: <message>"), so the
// benchmarks measure the gateway's own overhead rather than the upstream's.
//
// It is plain JavaScript in a .ts file, so tsc and biome check it with the rest; Node 20 refuses the .ts extension,
// so the benchmarks run a .mjs copy of this file with `node` (never tsx: start-up and per-line cost stay minimal).
// Usage: node fast-upstream.mjs [--tools N]   (N echo tools named echo, echo-1 … echo-(N-1); default 1)

const VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']
const toolsArg = process.argv.indexOf('--tools')
const toolCount = toolsArg > 0 ? Math.max(1, Number(process.argv[toolsArg + 1]) || 1) : 1

const echoSchema = {
  type: 'object',
  properties: { message: { type: 'string', description: 'Message to echo' } },
  required: ['message'],
}
const tools = Array.from({ length: toolCount }, (_, i) => ({
  name: i === 0 ? 'echo' : `echo-${i}`,
  description: 'Echoes back the input',
  inputSchema: echoSchema,
}))
const toolNames = new Set(tools.map((t) => t.name))

/** One JSON-RPC response line. */
const result = (id = null, value = {}) => `${JSON.stringify({ jsonrpc: '2.0', id, result: value })}\n`
const failure = (id = null, code = 0, message = '') =>
  `${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`

/** The answer to one input line ('' for notifications, responses and junk). */
function handle(line = '') {
  let msg = null
  try {
    msg = JSON.parse(line)
  } catch {
    return failure(null, -32700, 'Parse error')
  }
  if (msg === null || typeof msg !== 'object' || typeof msg.method !== 'string' || msg.id === undefined) return ''
  const params = msg.params ?? {}
  switch (msg.method) {
    case 'initialize':
      return result(msg.id, {
        protocolVersion: VERSIONS.includes(params.protocolVersion) ? params.protocolVersion : '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'mcpo-bench-fast-upstream', version: '1.0.0' },
      })
    case 'ping':
      return result(msg.id, {})
    case 'tools/list':
      return result(msg.id, { tools })
    case 'tools/call': {
      if (!toolNames.has(params.name)) return failure(msg.id, -32602, `Unknown tool: ${params.name}`)
      const message = params.arguments?.message
      if (typeof message !== 'string') return failure(msg.id, -32602, 'message must be a string')
      return result(msg.id, { content: [{ type: 'text', text: `Echo: ${message}` }] })
    }
    default:
      return failure(msg.id, -32601, `Method not found: ${msg.method}`)
  }
}

let pending = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  const lines = (pending + chunk).split('\n')
  pending = lines.pop() ?? ''
  // One write per chunk: under load a chunk holds many requests.
  let out = ''
  for (const line of lines) if (line.trim() !== '') out += handle(line)
  if (out) process.stdout.write(out)
})
process.stdin.on('end', () => process.exit(0))
process.stdout.on('error', () => process.exit(0))
