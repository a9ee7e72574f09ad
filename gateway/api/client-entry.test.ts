// The name and transport an imported client config entry gets; the import route and the admin UI preview share them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { importName, remoteTransport } from './client-entry.ts'

describe('importName', () => {
  it('maps any entry name into the server name alphabet', () => {
    assert.equal(importName('GitHub Server'), 'github-server')
    assert.equal(importName('--a__b--'), 'a-b')
    assert.equal(importName('x'.repeat(60)), 'x'.repeat(48))
    assert.equal(importName('Ünïcode tool'), 'n-code-tool')
    // Cut at 48, then no trailing dash.
    assert.equal(importName('a-'.repeat(30)), 'a-'.repeat(23) + 'a')
    assert.equal(importName('ü'), '')
  })
})

describe('remoteTransport', () => {
  it('follows the declared type, else the url', () => {
    assert.equal(remoteTransport('sse', 'https://x.example/mcp'), 'sse')
    assert.equal(remoteTransport('streamableHttp', 'https://x.example/sse'), 'streamable-http')
    assert.equal(remoteTransport('', 'https://x.example/mcp'), 'streamable-http')
    assert.equal(remoteTransport('', 'https://x.example/mcp/?a=1'), 'streamable-http')
    assert.equal(remoteTransport('', 'https://x.example/events'), 'sse')
    assert.equal(remoteTransport('constructor', 'https://x.example/events'), 'sse')
  })
})
