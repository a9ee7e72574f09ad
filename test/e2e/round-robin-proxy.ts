// A small round-robin HTTP load balancer for cluster tests: no sticky sessions, bodies buffered so that a backend
// refusing the connection is skipped (as nginx's proxy_next_upstream does), answers streamed back with backpressure.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http'

export interface RoundRobinProxy {
  url: string
  /** Backend URLs, in rotation order; replace to add or remove nodes. */
  backends: string[]
  /** How many requests each backend answered. */
  served: Map<string, number>
  close(): Promise<void>
}

export async function startProxy(backends: string[]): Promise<RoundRobinProxy> {
  let next = 0
  const served = new Map<string, number>()
  const proxy: RoundRobinProxy = { url: '', backends, served, close: async () => {} }

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const order = proxy.backends.map((_, i) => proxy.backends[(next + i) % proxy.backends.length])
    next = (next + 1) % Math.max(1, proxy.backends.length)
    const attempt = (i: number): void => {
      if (i >= order.length) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('no backend answered')
        return
      }
      const target = new URL(req.url ?? '/', order[i])
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host }
      if (body.length > 0) headers['content-length'] = String(body.length)
      let answered = false
      const up = request(target, { method: req.method, headers }, (upRes) => {
        answered = true
        served.set(order[i], (served.get(order[i]) ?? 0) + 1)
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        res.flushHeaders()
        upRes.pipe(res)
        // A backend dying mid-answer ends the client's connection abruptly, as a real balancer does.
        upRes.on('error', () => res.destroy())
        upRes.on('aborted', () => res.destroy())
      })
      up.on('error', () => {
        if (!answered) attempt(i + 1)
        else res.destroy()
      })
      res.on('close', () => up.destroy())
      up.end(body)
    }
    attempt(0)
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('proxy did not bind')
  proxy.url = `http://127.0.0.1:${address.port}`
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return proxy
}
