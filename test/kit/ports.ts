import { createServer } from 'node:net'

/**
 * A loopback port free right now: bound, then released. For a server started later on it, or, left alone, a port
 * where connections are refused.
 */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address() as { port: number }
  await new Promise((r) => srv.close(r))
  return port
}
