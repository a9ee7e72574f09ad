// The user, tool/policy, project-template, observability and invitation-mail API tests again, on PostgreSQL (a fresh
// schema per gateway), so the REST API is proven end to end on both storage adapters. Fails under CI=true when
// PostgreSQL is unreachable.
import { onPostgres } from '../harness.ts'

await onPostgres([
  import.meta.resolve('./users.test.ts'),
  import.meta.resolve('./tools-policies.test.ts'),
  import.meta.resolve('./project-templates.test.ts'),
  import.meta.resolve('./observability.test.ts'),
  import.meta.resolve('./invitation-mail.test.ts'),
])
