// The UI's OAuth words and modes: the same modes as the server accepts, and identity lines that never call an
// unverified client verified.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AUTH_MODES, authModeOf as serverAuthModeOf } from '../gateway/oauth/resources.ts'
import {
  AUTH_MODE_CHOICES,
  authModeOf,
  clientLabel,
  identityLine,
  registrationLabel,
  sentence,
  serversOf,
} from './oauth.ts'

describe('admin-ui/oauth', () => {
  it('offers exactly the modes the server accepts, and reads settings as the server does', () => {
    assert.deepEqual(
      AUTH_MODE_CHOICES.map((c) => c.mode),
      [...AUTH_MODES],
    )
    for (const settings of [{}, { authMode: 'oauth' }, { authMode: 'both' }, { authMode: 'x' }, null]) {
      assert.equal(authModeOf(settings), serverAuthModeOf(settings))
    }
  })

  it('names a client and says how far to trust it', () => {
    assert.equal(clientLabel({ id: 'abc', name: null }), 'abc')
    assert.equal(clientLabel({ id: 'abc', name: ' Claude ' }), 'Claude')
    const doc = identityLine({ id: 'https://app.example/client.json', registration: 'metadata-document' })
    assert.deepEqual(doc, {
      text: 'Identity: verified from https://app.example/client.json (metadata document)',
      verified: true,
    })
    assert.equal(identityLine({ id: 'x', registration: 'dynamic' }).verified, false)
    assert.match(identityLine({ id: 'x', registration: 'dynamic' }).text, /unverified/)
    assert.match(registrationLabel('dynamic'), /unverified/)
    assert.equal(sentence('this request has expired; start again'), 'This request has expired; start again.')
    assert.equal(sentence('Done.'), 'Done.')
  })

  it('reads the servers of a grant, or null when it covers the whole project', () => {
    assert.deepEqual(serversOf(['http://gw/projects/p/servers/every-thing']), ['every-thing'])
    assert.equal(serversOf(['http://gw/projects/p']), null)
    assert.equal(serversOf([]), null)
  })
})
