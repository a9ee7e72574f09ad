import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { IncomingRequest } from './http.ts'
import { ownOrigins, publicBaseUrl, type WebSecurityOptions } from './web-security.ts'

function req(headers: Record<string, string>): IncomingRequest {
  return { method: 'GET', path: '/', query: '', headers, ip: '127.0.0.1', body: null }
}
const plain: WebSecurityOptions = { trustProxy: false, frameAncestors: [], corsOrigins: [] }
const proxied: WebSecurityOptions = { ...plain, trustProxy: true }

describe('publicBaseUrl', () => {
  it('takes listen.publicBaseUrl over every header', () => {
    const r = req({ host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' })
    assert.equal(
      publicBaseUrl(r, { ...proxied, publicBaseUrl: 'https://mcp.example.com/' }, 'x'),
      'https://mcp.example.com',
    )
  })

  it('keeps the port of the Host header', () => {
    assert.equal(publicBaseUrl(req({ host: 'localhost:8080' }), plain, 'x'), 'http://localhost:8080')
    assert.equal(publicBaseUrl(req({ host: '[::1]:8080' }), plain, 'x'), 'http://[::1]:8080')
  })

  it('ignores forwarded headers unless the proxy is trusted', () => {
    const r = req({ host: 'node1:8080', 'x-forwarded-host': 'mcp.example.com', 'x-forwarded-proto': 'https' })
    assert.equal(publicBaseUrl(r, plain, 'x'), 'http://node1:8080')
    assert.equal(publicBaseUrl(r, proxied, 'x'), 'https://mcp.example.com')
  })

  it('adds a forwarded port that is not the scheme default, takes the first of repeated values', () => {
    const r = (h: Record<string, string>) => publicBaseUrl(req({ host: 'node1:8080', ...h }), proxied, 'x')
    assert.equal(
      r({ 'x-forwarded-host': 'gw.local', 'x-forwarded-port': '9443', 'x-forwarded-proto': 'https' }),
      'https://gw.local:9443',
    )
    assert.equal(
      r({ 'x-forwarded-host': 'gw.local', 'x-forwarded-port': '443', 'x-forwarded-proto': 'https' }),
      'https://gw.local',
    )
    assert.equal(r({ 'x-forwarded-host': 'gw.local:8443', 'x-forwarded-port': '9443' }), 'http://gw.local:8443')
    assert.equal(
      r({ 'x-forwarded-host': 'a.example, b.example', 'x-forwarded-proto': 'https, http' }),
      'https://a.example',
    )
  })

  it('falls back when the host is missing or not a plain name', () => {
    assert.equal(publicBaseUrl(req({}), plain, 'localhost:8080'), 'http://localhost:8080')
    assert.equal(publicBaseUrl(req({ host: 'a.example/evil?' }), plain, 'localhost:8080'), 'http://localhost:8080')
    assert.equal(publicBaseUrl(req({ host: 'ok', 'x-forwarded-host': 'bad host' }), proxied, 'fb'), 'http://fb')
  })

  it('gives CSRF checks the same origin', () => {
    assert.deepEqual(ownOrigins(req({ host: 'localhost:8080' }), plain), ['http://localhost:8080'])
    assert.deepEqual(ownOrigins(req({}), plain), [])
    assert.deepEqual(ownOrigins(req({ host: 'node1:8080' }), { ...plain, publicBaseUrl: 'https://mcp.example.com' }), [
      'https://mcp.example.com',
      'http://node1:8080',
    ])
  })
})
