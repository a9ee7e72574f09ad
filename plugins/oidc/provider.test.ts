// What the OpenID provider (or whatever answers at its URLs) sends is read up to 1 MiB: a discovery document, key set
// or token answer of 64 MiB is refused with a clear error, and the sender is cut off long before its end.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { isGatewayError } from '../contract.ts'
import { discover, type Provider, redeemCode, validateCallback } from './provider.ts'

const HUGE = 64 * 1024 * 1024
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never

let server: Server
let issuer = ''
const sent: Record<string, number> = {}

/** `{"issuer":"…","x":"xxxx…` for `size` bytes, written with backpressure until the socket closes. */
async function huge(path: string, res: ServerResponse, status = 200): Promise<void> {
  res.writeHead(status, { 'content-type': 'application/json' })
  const chunk = Buffer.alloc(256 * 1024, 'x')
  const closed = once(res, 'close')
  res.write(`{"issuer":"${issuer}","x":"`)
  sent[path] = 0
  while (sent[path] < HUGE && !res.destroyed) {
    sent[path] += chunk.length
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), closed])
  }
  if (!res.destroyed) res.end('"}')
}

before(async () => {
  server = createServer((req, res) => {
    req.resume()
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/.well-known/openid-configuration' || path === '/jwks' || path === '/token') {
      void huge(path, res, path === '/token' ? 400 : 200)
      return
    }
    if (path === '/token-ok') {
      // A token answer whose ID token passes every claim check, so the next step is fetching the key set.
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const now = Math.floor(Date.now() / 1000)
      const claims = { iss: issuer, aud: 'mcpo', sub: 'x', nonce: 'n', iat: now, exp: now + 300 }
      const idToken = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(claims)}.${Buffer.from('sig').toString('base64url')}`
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: 'a', token_type: 'Bearer', id_token: idToken }))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const cutOff = (path: string) => assert.ok(sent[path] < HUGE / 2, `${path}: ${sent[path]} bytes went out`)

describe('answers from the OpenID provider are bounded', () => {
  it('discovery', async () => {
    await assert.rejects(discover(issuer), (err) => isGatewayError(err) && /larger than 1 MiB/.test(err.message))
    cutOff('/.well-known/openid-configuration')
  })

  /** A provider as discovery would answer it, with the token endpoint at `tokenPath`. */
  const provider = (tokenPath: string): Provider => ({
    as: {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}${tokenPath}`,
      jwks_uri: `${issuer}/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
    },
    tokenEndpointAuth: 'client_secret_post',
    insecure: true,
    keys: {},
  })
  const grant = { redirectUri: 'http://127.0.0.1/cb', verifier: 'v'.repeat(43), nonce: 'n', now: Date.now() }
  const callback = (p: Provider) => validateCallback(p, 'mcpo', new URLSearchParams({ code: 'c', state: 's' }), 's')

  it('token answer', async () => {
    const p = provider('/token')
    await assert.rejects(
      redeemCode(p, { id: 'mcpo', secret: 's' }, callback(p), grant, silent),
      (err) => isGatewayError(err) && /token answer is larger than 1 MiB/.test(err.message),
    )
    cutOff('/token')
  })

  it('key set', async () => {
    const p = provider('/token-ok')
    await assert.rejects(
      redeemCode(p, { id: 'mcpo', secret: 's' }, callback(p), grant, silent),
      (err) => isGatewayError(err, 'MCPO_ERR_UPSTREAM_UNAVAILABLE') && /signing keys/.test(err.message),
    )
    cutOff('/jwks')
  })
})
