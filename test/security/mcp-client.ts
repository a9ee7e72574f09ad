// A minimal Streamable HTTP client over fetch for the fault tests: it sees raw statuses and JSON-RPC errors that an
// SDK client would turn into exceptions, and it can hold hundreds of sessions cheaply.
export const ACCEPT = 'application/json, text/event-stream'

export interface RpcReply {
  status: number
  /** Every JSON-RPC message of the answer (one for JSON, all `data:` lines for SSE). */
  messages: { id?: unknown; method?: string; result?: unknown; error?: { code: number; message: string } }[]
  text: string
}

export class McpHttp {
  sessionId: string | null = null

  constructor(
    readonly url: string,
    readonly key: string,
  ) {}

  async post(body: unknown, signal?: AbortSignal): Promise<RpcReply> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.key}`,
      'content-type': 'application/json',
      accept: ACCEPT,
    }
    if (this.sessionId) headers['mcp-session-id'] = this.sessionId
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body), signal })
    const text = await res.text()
    const session = res.headers.get('mcp-session-id')
    if (session) this.sessionId = session
    const type = res.headers.get('content-type') ?? ''
    const lines = type.startsWith('text/event-stream')
      ? [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1])
      : text
        ? [text]
        : []
    return { status: res.status, messages: lines.map((l) => JSON.parse(l)), text }
  }

  async initialize(): Promise<RpcReply> {
    const reply = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'faults', version: '1' } },
    })
    // A failed initialize is a 200 with a JSON-RPC error, and the gateway drops that session at once.
    if (reply.messages[0]?.error) this.sessionId = null
    else if (reply.status === 200) await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    return reply
  }

  /** tools/call; resolves with the final message (result or error). */
  async call(id: number | string, name: string, args: Record<string, unknown> = {}, signal?: AbortSignal) {
    const reply = await this.post(
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
      signal,
    )
    const final = reply.messages.find((m) => m.id === id)
    return { reply, final }
  }

  async close(): Promise<void> {
    if (!this.sessionId) return
    const res = await fetch(this.url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${this.key}`, 'mcp-session-id': this.sessionId },
    }).catch(() => null)
    await res?.arrayBuffer()
    this.sessionId = null
  }
}

export function textOf(result: unknown): string | undefined {
  return (result as { content?: { text?: string }[] } | undefined)?.content?.[0]?.text
}
