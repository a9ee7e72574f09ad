import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under the system's temp dir that `cleanup()` removes. */
export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `mcpo-${prefix}-`))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}
