// The server form's logic: masked secrets stay masked (sent back as the mask, so the API keeps them), the checks
// match the API's, and API field errors find their form row.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serverNamePattern, serverSchema } from '../config/schema.ts'
import { MASK as SERVER_MASK } from '../plugins/secrets/cipher.ts'
import type { Server } from './api-types.ts'
import {
  connectionChanged,
  emptyServerForm,
  formField,
  hasProtocolChoice,
  MASK,
  PROTOCOL_CHOICES,
  protocolLabel,
  SERVER_NAME,
  serverBody,
  serverFormFrom,
  validateServerForm,
} from './server-form.ts'

const saved: Server = {
  id: '1',
  name: 'github',
  description: 'GitHub',
  transport: 'streamable-http',
  command: null,
  args: [],
  env: {},
  cwd: null,
  url: 'https://mcp.example.com/mcp',
  headers: { Authorization: SERVER_MASK, 'X-Team': SERVER_MASK },
  timeoutMs: 60_000,
  isolation: null,
  enabled: true,
  autoStart: false,
  toolToggles: {},
  source: 'ui',
  healthCheckIntervalMs: null,
  protocol: null,
  auth: null,
  status: {
    state: 'stopped',
    health: 'unknown',
    pid: null,
    restarts: 0,
    lastError: null,
    lastErrorAt: null,
    lastOkAt: null,
    era: null,
  },
  createdAt: '',
  updatedAt: '',
}

describe('server form', () => {
  it('uses the gateway’s mask and name rule', () => {
    assert.equal(MASK, SERVER_MASK)
    assert.equal(SERVER_NAME.source, serverNamePattern.source)
  })

  it('an edit keeps stored secrets by sending the mask, replaces the ones typed, drops removed rows', () => {
    const s = serverFormFrom(saved)
    assert.deepEqual(
      s.headers.map((h) => [h.key, h.value, h.stored]),
      [
        ['Authorization', '', true],
        ['X-Team', '', true],
      ],
    )
    s.headers[1].value = 'platform'
    s.headers.push({ key: 'X-New', value: 'v', stored: false })
    s.headers.splice(0, 1)
    const body = serverBody(s, true)
    assert.deepEqual(body.headers, { 'X-Team': 'platform', 'X-New': 'v' })
    assert.equal(body.name, undefined, 'the name is in the URL of a PUT')
    assert.equal(body.timeoutMs, 60_000)
    s.headers.unshift({ key: 'Authorization', value: '', stored: true })
    assert.equal((serverBody(s, true).headers as Record<string, string>).Authorization, MASK)
  })

  it('a new stdio server: args one per line, env, and a body the API schema accepts', () => {
    const s = emptyServerForm('stdio')
    Object.assign(s, { name: 'everything', command: 'node', args: 'dist/index.js\n\nstdio\n', timeoutS: '60' })
    s.env.push({ key: 'API_TOKEN', value: 'secret value', stored: false })
    assert.deepEqual(validateServerForm(s, { canStdio: true, editing: false }), {})
    const body = serverBody(s, false)
    assert.deepEqual(body.args, ['dist/index.js', 'stdio'])
    assert.deepEqual(body.env, { API_TOKEN: 'secret value' })
    assert.ok(serverSchema.safeParse(body).success, 'the API would accept it')
  })

  it('reports what the API would refuse, next to the field', () => {
    const s = emptyServerForm('stdio')
    Object.assign(s, { name: 'Bad Name', timeoutS: '0' })
    s.env.push({ key: '1X', value: 'v', stored: false }, { key: 'OK', value: '', stored: false })
    const errors = validateServerForm(s, { canStdio: false, editing: false })
    assert.deepEqual(Object.keys(errors).sort(), ['command', 'env.0', 'env.1', 'name', 'timeoutMs', 'transport'])
    const remote = emptyServerForm('sse')
    Object.assign(remote, { name: 'r', url: 'ftp://x' })
    assert.equal(
      validateServerForm(remote, { canStdio: false, editing: false }).url,
      'must be an http:// or https:// URL',
    )
    remote.url = 'http://127.0.0.1:9000/sse'
    assert.deepEqual(validateServerForm(remote, { canStdio: false, editing: false }), {})
    assert.ok(serverSchema.safeParse(serverBody(remote, false)).success)
  })

  it('sends the health check interval in ms, null for the default on an edit, and checks it like the API', () => {
    const s = serverFormFrom(saved)
    assert.equal(s.healthCheckS, '')
    assert.equal(serverBody(s, true).healthCheckIntervalMs, null, 'empty: back to the gateway default')
    assert.equal('healthCheckIntervalMs' in serverBody(s, false), false, 'a new server leaves it out')
    s.healthCheckS = '30'
    assert.equal(serverBody(s, true).healthCheckIntervalMs, 30_000)
    s.healthCheckS = '0'
    assert.equal(serverBody(s, true).healthCheckIntervalMs, 0, '0 turns it off')
    assert.ok(serverSchema.safeParse({ ...serverBody(s, false), name: 'github' }).success)
    s.healthCheckS = '1.5'
    assert.ok(validateServerForm(s, { canStdio: false, editing: true }).healthCheckIntervalMs)
    assert.equal(serverFormFrom({ ...saved, healthCheckIntervalMs: 60_000 }).healthCheckS, '60')
  })

  it('sends the protocol era, null for the default on an edit, and only legacy for legacy SSE', () => {
    const s = serverFormFrom(saved)
    assert.equal(s.protocol, '')
    assert.equal(serverBody(s, true).protocol, null, 'default: back to the gateway setting')
    assert.equal('protocol' in serverBody(s, false), false, 'a new server leaves it out')
    for (const [value] of PROTOCOL_CHOICES.filter(([v]) => v !== '')) {
      s.protocol = value
      assert.equal(serverBody(s, true).protocol, value)
      assert.ok(serverSchema.safeParse({ ...serverBody(s, false), name: 'github' }).success, value)
    }
    assert.equal(serverFormFrom({ ...saved, protocol: 'auto' }).protocol, 'auto')

    // The select is hidden for SSE: an earlier choice must not make the API refuse the save.
    s.protocol = 'modern'
    Object.assign(s, { transport: 'sse', url: 'http://127.0.0.1:9000/sse' })
    assert.equal(hasProtocolChoice('sse'), false)
    assert.equal(serverBody(s, true).protocol, null)
    assert.equal('protocol' in serverBody(s, false), false)
    assert.ok(serverSchema.safeParse({ ...serverBody(s, false), name: 'old' }).success)
    s.protocol = 'legacy'
    assert.equal(serverBody(s, true).protocol, 'legacy')
    assert.ok(hasProtocolChoice('stdio') && hasProtocolChoice('streamable-http'))
  })

  it('labels the configured protocol era', () => {
    assert.equal(protocolLabel(saved), 'gateway default')
    assert.equal(protocolLabel({ ...saved, protocol: 'modern' }), '2026-07-28 (stateless)')
    assert.equal(protocolLabel({ ...saved, protocol: 'auto' }), 'Auto-detect')
    assert.equal(protocolLabel({ transport: 'sse', protocol: null }), '2025 (legacy SSE)')
  })

  it('calls for a connection test when a save changes where the server connects, not for other fields', () => {
    assert.equal(connectionChanged(emptyServerForm(), null), true, 'a new server')
    const s = serverFormFrom(saved)
    assert.equal(connectionChanged(s, saved), false)
    Object.assign(s, { description: 'new words', timeoutS: '90', healthCheckS: '30', enabled: false })
    assert.equal(connectionChanged(s, saved), false, 'description, timeout, probe and switches')
    assert.equal(connectionChanged({ ...s, url: 'https://other.example.com/mcp' }, saved), true)
    const typed = serverFormFrom(saved)
    typed.headers[0].value = 'Bearer new'
    assert.equal(connectionChanged(typed, saved), true, 'a secret typed again')
    assert.equal(connectionChanged({ ...s, transport: 'sse' }, saved), true)
    assert.equal(connectionChanged({ ...s, protocol: 'modern' }, saved), true, 'another era, another handshake')
  })

  it('maps API field paths onto form rows', () => {
    const s = serverFormFrom(saved)
    assert.equal(formField('headers.X-Team', s), 'headers.1')
    assert.equal(formField('headers.Gone', s), 'headers')
    assert.equal(formField('url', s), 'url')
  })
})
