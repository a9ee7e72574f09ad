// One source: every API route is in /api/openapi.json, and every documented operation is a real route.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { apiRoutes } from '../../gateway/api/index.ts'
import { openApiDocument } from '../../gateway/api/openapi.ts'
import { Router } from '../../gateway/router.ts'

it('documents each route and routes each documented operation', () => {
  const routes = apiRoutes()
  const doc = openApiDocument(routes) as { paths: Record<string, Record<string, { summary?: string }>> }
  const router = new Router()
  for (const r of routes) router.add(r.method, r.path, () => {})

  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const op = doc.paths[path]?.[r.method.toLowerCase()]
    assert.ok(op, `${r.method} ${r.path} is missing from the document`)
    assert.ok(op.summary, `${r.method} ${r.path} has no summary`)
  }
  let operations = 0
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const method of Object.keys(methods)) {
      operations++
      const concrete = path.replace(/\{[^}]+\}/g, 'x1')
      const m = router.match(method.toUpperCase(), concrete)
      assert.ok(m && 'handler' in m, `documented ${method.toUpperCase()} ${path} has no route`)
    }
  }
  assert.equal(operations, routes.length, 'no two routes share a method and path')
  assert.ok(routes.length > 60, `only ${routes.length} routes`)
})
