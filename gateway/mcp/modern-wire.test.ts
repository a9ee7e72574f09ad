import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  checkParamHeaders,
  checkStandardHeaders,
  decodeHeaderValue,
  headerParams,
  isModernMessage,
  isRefusal,
  META,
  ModernCodes,
  modernResult,
  readEnvelope,
  withoutEnvelope,
} from './modern-wire.ts'

const meta = {
  [META.protocolVersion]: '2026-07-28',
  [META.clientCapabilities]: { sampling: {} },
  [META.clientInfo]: { name: 'c', version: '1' },
}
const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`

describe('2026-07-28 wire rules', () => {
  it('tells modern messages from 2025-era ones: envelope claim, or a modern header on anything but initialize', () => {
    assert.equal(isModernMessage({ method: 'tools/list', params: { _meta: meta } }, undefined), true)
    assert.equal(isModernMessage({ method: 'tools/list' }, '2026-07-28'), true)
    assert.equal(isModernMessage({ method: 'tools/list' }, '2025-11-25'), false)
    assert.equal(isModernMessage({ method: 'initialize', params: {} }, '2026-07-28'), false)
    assert.equal(isModernMessage({ id: 1, result: {} }, '2026-07-28'), false, 'a posted response is session traffic')
  })

  it('reads the envelope, and refuses it in the order of the ladder', () => {
    const ok = readEnvelope({ _meta: meta }, '2026-07-28', 'tools/list', 'tools/list')
    assert.ok(!isRefusal(ok))
    assert.deepEqual(ok.clientCapabilities, { sampling: {} })
    const missing = readEnvelope({}, '2026-07-28', 'tools/list', 'tools/list')
    assert.ok(isRefusal(missing) && missing.code === -32602 && missing.status === 400)
    const noCaps = readEnvelope(
      { _meta: { [META.protocolVersion]: '2026-07-28' } },
      '2026-07-28',
      undefined,
      'tools/list',
    )
    assert.ok(isRefusal(noCaps) && noCaps.code === -32602 && /clientCapabilities/.test(noCaps.message))
    const mismatch = readEnvelope({ _meta: meta }, '2025-11-25', undefined, 'tools/list')
    assert.ok(isRefusal(mismatch) && mismatch.code === ModernCodes.HEADER_MISMATCH)
    const method = readEnvelope({ _meta: meta }, '2026-07-28', 'tools/call', 'tools/list')
    assert.ok(isRefusal(method) && method.code === ModernCodes.HEADER_MISMATCH)
    const future = readEnvelope({ _meta: { ...meta, [META.protocolVersion]: 'v9' } }, 'v9', undefined, 'x')
    assert.ok(isRefusal(future) && future.code === ModernCodes.UNSUPPORTED_VERSION)
    assert.deepEqual(future.data, { supported: ['2026-07-28'], requested: 'v9' })
    const level = readEnvelope({ _meta: { ...meta, [META.logLevel]: 'loud' } }, undefined, undefined, 'x')
    assert.ok(isRefusal(level) && level.code === -32602)
  })

  it('decodes base64 header values and refuses broken sentinels', () => {
    assert.equal(decodeHeaderValue('plain'), 'plain')
    assert.equal(decodeHeaderValue(b64('Grüße, 世界')), 'Grüße, 世界')
    assert.equal(decodeHeaderValue('=?base64?not base64!?='), undefined)
    assert.equal(decodeHeaderValue(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`), undefined)
  })

  it('checks Mcp-Method and Mcp-Name against the body', () => {
    const h = (extra: Record<string, string>) => ({ 'mcp-protocol-version': '2026-07-28', ...extra })
    assert.equal(
      checkStandardHeaders('tools/call', { name: 'echo' }, h({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' })),
      null,
    )
    assert.equal(
      checkStandardHeaders('tools/call', { name: 'é' }, h({ 'mcp-method': 'tools/call', 'mcp-name': b64('é') })),
      null,
    )
    assert.equal(checkStandardHeaders('tools/call', { name: 'echo' }, h({ 'mcp-name': 'echo' }))?.code, -32020)
    assert.equal(checkStandardHeaders('tools/call', { name: 'echo' }, h({ 'mcp-method': 'tools/call' }))?.code, -32020)
    assert.equal(
      checkStandardHeaders(
        'resources/read',
        { uri: 'a://b' },
        h({ 'mcp-method': 'resources/read', 'mcp-name': 'a://c' }),
      )?.code,
      -32020,
    )
    assert.equal(checkStandardHeaders('tools/list', {}, { 'mcp-method': 'tools/list' })?.code, -32020)
  })

  it('finds x-mcp-header declarations and refuses invalid ones', () => {
    const schema = {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        opts: { type: 'object', properties: { n: { type: 'integer', 'x-mcp-header': 'Count' } } },
      },
    }
    const found = headerParams(schema)
    assert.ok(found.ok)
    assert.deepEqual(
      found.params.map((p) => [p.path.join('.'), p.header]),
      [
        ['region', 'Region'],
        ['opts.n', 'Count'],
      ],
    )
    assert.equal(headerParams({ properties: { a: { type: 'object', 'x-mcp-header': 'A' } } }).ok, false)
    assert.equal(headerParams({ properties: { a: { type: 'string', 'x-mcp-header': 'bad name' } } }).ok, false)
    assert.equal(
      headerParams({ anyOf: [{ properties: { a: { type: 'string', 'x-mcp-header': 'A' } } }] }).ok,
      false,
      'a declaration under a combinator is not reachable',
    )
    assert.equal(
      headerParams({
        properties: { a: { type: 'string', 'x-mcp-header': 'X' }, b: { type: 'string', 'x-mcp-header': 'x' } },
      }).ok,
      false,
      'names are unique case-insensitively',
    )
  })

  it('checks Mcp-Param-* headers against the arguments', () => {
    const found = headerParams({
      properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, n: { type: 'number', 'x-mcp-header': 'N' } },
    })
    assert.ok(found.ok)
    const args = { region: 'us west', n: 1.5 }
    assert.equal(checkParamHeaders(found.params, args, { 'mcp-param-region': 'us west', 'mcp-param-n': '1.50' }), null)
    assert.equal(checkParamHeaders(found.params, args, { 'mcp-param-n': '1.5' })?.code, -32020)
    assert.equal(
      checkParamHeaders(found.params, args, { 'mcp-param-region': 'eu', 'mcp-param-n': '1.5' })?.code,
      -32020,
    )
    assert.equal(
      checkParamHeaders(found.params, { region: '世界' }, { 'mcp-param-region': b64('世界') }),
      null,
      'non-ASCII values come base64-encoded',
    )
    assert.equal(checkParamHeaders(found.params, {}, {}), null, 'absent arguments need no header')
  })

  it('keeps trace keys and the progress token but strips the envelope for a 2025-era upstream', () => {
    const out = withoutEnvelope({
      name: 'x',
      _meta: { ...meta, traceparent: '00-abc-def-01', progressToken: 3 },
    })
    assert.deepEqual(out, { name: 'x', _meta: { traceparent: '00-abc-def-01', progressToken: 3 } })
    assert.deepEqual(withoutEnvelope({ _meta: meta }), {})
  })

  it('dresses results: resultType, cache hints on cacheable results only, and the server identity', () => {
    const id = { name: 'up', version: '1' }
    const list = modernResult('tools/list', { tools: [] }, id, { ttlMs: 0 })
    assert.equal(list.resultType, 'complete')
    assert.equal(list.cacheScope, 'private')
    assert.equal(list.ttlMs, 0)
    assert.deepEqual((list._meta as Record<string, unknown>)[META.serverInfo], id)
    const call = modernResult('tools/call', { content: [], _meta: { x: 1 } }, id, { ttlMs: 0 })
    assert.equal(call.ttlMs, undefined)
    assert.equal((call._meta as Record<string, unknown>).x, 1)
    const pending = modernResult('tools/call', { resultType: 'input_required' }, id, { ttlMs: 0 })
    assert.equal(pending.resultType, 'input_required')
  })
})
