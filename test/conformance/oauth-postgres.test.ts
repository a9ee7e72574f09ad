// The OAuth flows again on PostgreSQL (a fresh schema per gateway), so the authorization server's storage is proven
// end to end on both adapters. Unreachable PostgreSQL fails under CI=true.
import { onPostgres } from '../harness.ts'

await onPostgres([import.meta.resolve('./oauth.test.ts')])
