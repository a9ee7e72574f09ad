// The authorization server's bad-input and attack tests again on PostgreSQL. Unreachable PostgreSQL fails under
// CI=true.
import { onPostgres } from '../harness.ts'

await onPostgres([import.meta.resolve('./oauth-attacks.test.ts')])
