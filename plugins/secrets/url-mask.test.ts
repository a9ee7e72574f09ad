import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { maskOptionalUrl, maskUrl, URL_MASK, unmaskUrl, urlSecrets } from './url-mask.ts'

describe('maskUrl', () => {
  it('masks a password together with its username', () => {
    assert.equal(maskUrl('https://alice:s3cr3t-pw@mcp.example.com/mcp'), 'https://***:***@mcp.example.com/mcp')
    assert.equal(maskUrl('https://:onlypass@h.example/mcp'), 'https://***:***@h.example/mcp')
  })

  it('masks a lone username that looks like a token, not one that reads as a name', () => {
    assert.equal(maskUrl('https://ghp_abc123XYZ789@api.example/mcp'), 'https://***@api.example/mcp')
    assert.equal(maskUrl('https://git@host.example/mcp'), 'https://git@host.example/mcp')
  })

  it('masks the values of secret-looking query parameters and keeps the others byte for byte', () => {
    assert.equal(
      maskUrl('https://h.example/mcp?api_key=k1&tenant=a%20b&token=t2&access_token=t3&key=k4&X-Api-Key=k5'),
      'https://h.example/mcp?api_key=***&tenant=a%20b&token=***&access_token=***&key=***&X-Api-Key=***',
    )
    assert.equal(
      maskUrl('https://h.example/mcp?client_secret=c&sig=s#frag'),
      'https://h.example/mcp?client_secret=***&sig=***#frag',
    )
    assert.equal(maskUrl('https://u:p@h.example/mcp?apikey=z'), 'https://***:***@h.example/mcp?apikey=***')
  })

  it('leaves a URL with no credential exactly as given', () => {
    for (const u of [
      'https://h.example/mcp',
      'http://127.0.0.1:9000/mcp?tenant=2&monkey=1',
      'https://h.example/mcp?token=',
      'https://h.example/mcp?token',
      'HTTPS://H.Example:443/a/../mcp',
    ]) {
      assert.equal(maskUrl(u), u)
    }
  })

  it('keeps IPv6 hosts and ports', () => {
    assert.equal(maskUrl('http://user:pw@[::1]:8080/mcp?token=abc'), 'http://***:***@[::1]:8080/mcp?token=***')
    assert.equal(maskUrl('http://[fe80::1]/mcp'), 'http://[fe80::1]/mcp')
  })

  it('scrubs a malformed URL as text instead of throwing', () => {
    assert.equal(maskUrl('http://us er:pa ss@bad host/mcp?token=abc&x=1'), 'http://***@bad host/mcp?token=***&x=1')
    assert.equal(maskUrl('not a url ?access_token=zz'), 'not a url ?access_token=***')
    assert.equal(maskUrl('://a:b@'), '://***@')
    assert.equal(maskUrl(''), '')
    assert.equal(maskUrl('%E0%A4%A'), '%E0%A4%A')
    assert.equal(maskUrl('https://h.example/mcp?token=%E0%A4%A'), 'https://h.example/mcp?token=***')
  })

  it('maps null to null', () => {
    assert.equal(maskOptionalUrl(null), null)
    assert.equal(maskOptionalUrl(undefined), null)
    assert.equal(maskOptionalUrl('https://a:b@h/'), 'https://***:***@h/')
  })
})

describe('urlSecrets', () => {
  it('lists each hidden value, raw and decoded', () => {
    const found = urlSecrets('https://alice:p%40ss@h.example/mcp?token=t%2B1&x=plain')
    for (const s of ['p%40ss', 'p@ss', 't%2B1', 't+1']) assert.ok(found.includes(s), s)
    assert.ok(!found.includes('plain'))
    assert.deepEqual(urlSecrets('https://h.example/mcp'), [])
    assert.deepEqual(urlSecrets(null), [])
  })
})

describe('unmaskUrl', () => {
  const stored = 'https://alice:pw@h.example/mcp?token=t1'
  it('the masked form of the stored URL keeps it', () => {
    assert.equal(unmaskUrl(maskUrl(stored), stored), stored)
    assert.equal(unmaskUrl(stored, stored), stored)
  })
  it('anything else is taken as typed, mask included', () => {
    const moved = `https://${URL_MASK}:${URL_MASK}@evil.example/mcp?token=${URL_MASK}`
    assert.equal(unmaskUrl(moved, stored), moved)
    const path = `https://${URL_MASK}:${URL_MASK}@h.example/other?token=${URL_MASK}`
    assert.equal(unmaskUrl(path, stored), path)
    assert.equal(unmaskUrl('https://h.example/mcp', stored), 'https://h.example/mcp')
    assert.equal(unmaskUrl('https://***@h.example/', null), 'https://***@h.example/')
  })
})
