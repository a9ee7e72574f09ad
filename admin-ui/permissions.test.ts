// The UI's permission checks follow the gateway's matrix: reporters see read-only views, developers manage servers,
// owners everything in their project, administrators everything.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Project, Role, User } from './api-types.ts'
import { canProject, canTeam } from './permissions.ts'

const user = (isAdmin = false) => ({ id: 'u', email: 'u@x', name: '', isAdmin }) as User
const project = (role: Role | null) => ({ id: 'p', role }) as Project

describe('canProject / canTeam', () => {
  it('reporters only view and keep their own keys; developers manage servers; owners manage members and settings', () => {
    assert.equal(canProject(user(), project('reporter'), 'project.view'), true)
    assert.equal(canProject(user(), project('reporter'), 'keys.own'), true)
    assert.equal(canProject(user(), project('reporter'), 'servers.manage'), false)
    assert.equal(canProject(user(), project('developer'), 'servers.manage'), true)
    assert.equal(canProject(user(), project('developer'), 'members.manage'), false)
    assert.equal(canProject(user(), project('owner'), 'project.settings'), true)
    assert.equal(canProject(user(), project('owner'), 'servers.defineStdio'), false)
    assert.equal(canProject(user(true), project(null), 'servers.defineStdio'), true)
    assert.equal(canProject(null, project('owner'), 'project.view'), false)
  })
  it('team rights', () => {
    const team = (role: Role | null) => ({ id: 't', role }) as never
    assert.equal(canTeam(user(), team('developer'), 'team.createProject'), true)
    assert.equal(canTeam(user(), team('reporter'), 'team.createProject'), false)
    assert.equal(canTeam(user(), team('owner'), 'team.manage'), true)
    assert.equal(canTeam(user(), team(null), 'team.view'), false)
  })
})
