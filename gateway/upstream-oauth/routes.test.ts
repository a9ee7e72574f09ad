import assert from 'node:assert/strict'
import { it } from 'node:test'
import { safeReturn } from './routes.ts'

it('sends the browser back only to a path of this gateway', () => {
  for (const ok of ['/projects/demo', '/admin/projects/p/servers/s?tab=overview', '/']) assert.equal(safeReturn(ok), ok)
  for (const bad of [
    '//evil.example',
    '/\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    'https://evil.example',
    'evil',
    '/ /evil',
    '',
    undefined,
  ]) {
    assert.equal(safeReturn(bad), null, JSON.stringify(bad))
  }
})
