import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Project, User } from '../api-types.ts'
import {
  connectHref,
  isProjectOwner,
  membersConnected,
  oauthExplanation,
  oauthHeadline,
  oauthRights,
  oauthState,
} from './upstream-oauth.ts'

const user = (isAdmin = false) => ({ isAdmin }) as User
const project = (role: Project['role'], archived = false) => ({ role, archived }) as Project

describe('upstream OAuth block', () => {
  it('the Connect link keeps the API’s URL and adds for=me and the way back', () => {
    const base = 'http://127.0.0.1:8080/api/projects/p/servers/gh/oauth/connect'
    const back = '/admin/projects/p/servers/gh'
    assert.equal(connectHref(base, 'project', back), `${base}?returnTo=${encodeURIComponent(back)}`)
    assert.equal(connectHref(`${base}?for=me`, 'user', back), `${base}?for=me&returnTo=${encodeURIComponent(back)}`)
    assert.equal(connectHref('/api/x/connect', 'user', '/admin'), '/api/x/connect?for=me&returnTo=%2Fadmin')
  })

  it('Owners (and administrators) hold the project’s credentials; every member their own', () => {
    assert.equal(isProjectOwner(user(), project('owner')), true)
    assert.equal(isProjectOwner(user(), project('developer')), false)
    assert.equal(isProjectOwner(user(true), project('reporter')), true)
    assert.equal(isProjectOwner(user(), project('owner', true)), false, 'archived')
    assert.equal(isProjectOwner(null, project('owner')), false)
    assert.deepEqual(oauthRights('project', false), { connect: false, disconnect: false, seeMembers: false })
    assert.deepEqual(oauthRights('project', true), { connect: true, disconnect: true, seeMembers: false })
    assert.deepEqual(oauthRights('user', false), { connect: true, disconnect: true, seeMembers: false })
    assert.deepEqual(oauthRights('user', true), { connect: true, disconnect: true, seeMembers: true })
  })

  it('says what state the connection is in, and what it means for calls', () => {
    const p = { credentials: 'project' as const, issuer: 'https://idp.example' }
    assert.equal(oauthState({ connected: false, status: null }), 'not-connected')
    assert.equal(oauthState({ connected: false, status: 'needs-reauth' }), 'needs-reauth')
    assert.deepEqual(oauthHeadline({ ...p, connected: true, status: 'ok' }), ['Connected to ', 'https://idp.example'])
    assert.deepEqual(oauthHeadline({ ...p, connected: false, status: null }), ['Not connected', null])
    assert.deepEqual(oauthHeadline({ ...p, connected: false, status: 'needs-reauth' }), [
      'Needs re-authorization',
      null,
    ])
    const u = { ...p, credentials: 'user' as const }
    assert.deepEqual(oauthHeadline({ ...u, connected: true, status: 'ok' }), [
      'Your account: connected to ',
      'https://idp.example',
    ])
    assert.deepEqual(oauthHeadline({ ...u, connected: false, status: null }), ['Your account: not connected', null])
    assert.match(oauthExplanation({ ...p, connected: false, status: null }, false), /an Owner must connect this server/)
    assert.match(oauthExplanation({ ...u, connected: false, status: null }, false), /until you do/)
    assert.equal(membersConnected(1), '1 member connected')
    assert.equal(membersConnected(0), '0 members connected')
  })
})
