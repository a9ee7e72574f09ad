// The team, project, member/invitation and config-owned API tests again, on PostgreSQL (a fresh schema per
// gateway), so the REST API is proven end to end on both storage adapters. Unreachable PostgreSQL fails under CI=true.
import { onPostgres } from '../harness.ts'

await onPostgres([
  import.meta.resolve('./teams-projects.test.ts'),
  import.meta.resolve('./members-invitations.test.ts'),
  import.meta.resolve('./config-owned.test.ts'),
])
