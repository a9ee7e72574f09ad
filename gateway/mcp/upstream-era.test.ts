import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  encodeHeaderValue,
  identityFromDiscovery,
  isModernRefusal,
  modernDiscovery,
  modernRequestHeaders,
  withEnvelope,
} from './upstream-era.ts'

describe('mcpo as a 2026-07-28 client: pure rules', () => {
  it('a DiscoverResult counts only when it offers a revision mcpo speaks', () => {
    assert.ok(modernDiscovery({ supportedVersions: ['2026-07-28'], capabilities: {} }))
    assert.equal(modernDiscovery({ supportedVersions: ['2027-01-01'] }), null)
    assert.equal(modernDiscovery({ protocolVersion: '2025-11-25' }), null)
    assert.equal(modernDiscovery(null), null)
    assert.ok(isModernRefusal(-32022) && isModernRefusal(-32020) && !isModernRefusal(-32601))
  })

  it('the identity 2025-era clients see comes from serverInfo in _meta, then the body', () => {
    const id = identityFromDiscovery({
      supportedVersions: ['2026-07-28'],
      capabilities: { tools: {} },
      instructions: 'be nice',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'up', version: '3' } },
    })
    assert.deepEqual(id.serverInfo, { name: 'up', version: '3' })
    assert.deepEqual(id.capabilities, { tools: {} })
    assert.equal(id.instructions, 'be nice')
    assert.equal(identityFromDiscovery({ supportedVersions: [] }).serverInfo.name, 'unknown')
  })

  it("the envelope replaces the client's envelope keys and keeps its other _meta keys", () => {
    const env = { version: '2026-07-28', capabilities: { sampling: {} }, clientInfo: { name: 'mcpo', version: '1' } }
    const out = withEnvelope(
      { name: 'x', _meta: { progressToken: 7, 'io.modelcontextprotocol/protocolVersion': 'old' } },
      env,
      'debug',
    )
    assert.deepEqual(out._meta, {
      progressToken: 7,
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
      'io.modelcontextprotocol/clientInfo': { name: 'mcpo', version: '1' },
      'io.modelcontextprotocol/logLevel': 'debug',
    })
    assert.equal(out.name, 'x')
  })

  it('headers: method, name, declared parameters; non-ASCII and edge spaces in base64', () => {
    assert.equal(encodeHeaderValue('plain value'), 'plain value')
    assert.equal(encodeHeaderValue('zürich'), `=?base64?${Buffer.from('zürich').toString('base64')}?=`)
    assert.equal(encodeHeaderValue(' padded'), `=?base64?${Buffer.from(' padded').toString('base64')}?=`)
    const h = modernRequestHeaders(
      '2026-07-28',
      'tools/call',
      { name: 'route', arguments: { region: 'eu', nested: { zone: 3 }, skip: { a: 1 } } },
      [
        { path: ['region'], header: 'Region', type: 'string' },
        { path: ['nested', 'zone'], header: 'Zone', type: 'integer' },
        { path: ['missing'], header: 'Missing', type: 'string' },
      ],
    )
    assert.deepEqual(h, {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'route',
      'mcp-param-region': 'eu',
      'mcp-param-zone': '3',
    })
    assert.equal(modernRequestHeaders('2026-07-28', 'resources/read', { uri: 'file:///a' })['mcp-name'], 'file:///a')
    assert.equal(modernRequestHeaders('2026-07-28', 'tools/list', {})['mcp-name'], undefined)
  })
})
