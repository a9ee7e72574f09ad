// The admin UI's API types are derived from the routes' zod schemas (through /api/openapi.json): a schema change that
// is not carried into admin-ui/api-types.ts fails here, with the command that carries it.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { it } from 'node:test'
import { adminUiTypesFile } from '../../gateway/api/admin-ui-types.ts'

const root = join(import.meta.dirname, '../..')

it('admin-ui/api-types.ts is what the API schemas make', () => {
  const written = readFileSync(join(root, 'admin-ui/api-types.ts'), 'utf8')
  assert.equal(
    written,
    adminUiTypesFile(root),
    'admin-ui/api-types.ts differs from the API schemas: run `npx tsx gateway/api/admin-ui-types.ts`',
  )
})
