// A test gateway whose every log line (at `trace`) is kept, so a test can prove what was, and was not, written.
import { Writable } from 'node:stream'
import type { UserConfig } from '../../config/define-config.ts'
import { createLogger } from '../../gateway/logger.ts'
import { apiKeys } from '../../plugins/api-keys/index.ts'
import { startTestGateway, type TestGateway } from '../harness.ts'

export interface CapturingGateway extends TestGateway {
  /** Every log line the gateway wrote, as raw JSON text. */
  logs: string[]
}

/** Like `startTestGateway` (API keys only unless `user` says otherwise), with its log lines in `logs`. */
export async function startCapturingGateway(user: UserConfig = {}): Promise<CapturingGateway> {
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const gw = await startTestGateway(
    { logLevel: 'trace', plugins: [apiKeys()], ...user },
    { logger: createLogger('trace', sink) },
  )
  return Object.assign(gw, { logs })
}
