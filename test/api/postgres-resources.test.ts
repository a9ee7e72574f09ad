// The server, key, client-config and activity API tests again, on PostgreSQL (a fresh schema per gateway), so the
// REST API is proven end to end on both storage adapters. Unreachable PostgreSQL fails under CI=true.
import { onPostgres } from '../harness.ts'

await onPostgres([import.meta.resolve('./servers-keys.test.ts'), import.meta.resolve('./configs-activity.test.ts')])
