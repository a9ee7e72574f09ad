// Every cell of product.md §2's matrices, written out independently of matrix.ts so a slip in either shows.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  canInProject,
  canInTeam,
  type ProjectAction,
  ProjectActions,
  stronger,
  type TeamAction,
  TeamActions,
  weaker,
} from './matrix.ts'

// From product.md §2, row by row: [owner, developer, reporter].
const project: Record<ProjectAction, [boolean, boolean, boolean]> = {
  'project.view': [true, true, true],
  'tools.call': [true, true, true],
  'keys.own': [true, true, true],
  'servers.manage': [true, true, false],
  'servers.addFromCatalog': [true, true, false],
  'policies.edit': [true, false, false],
  'keys.manageAll': [true, false, false],
  'members.manage': [true, false, false],
  'project.settings': [true, false, false],
  'servers.defineStdio': [false, false, false],
}
const team: Record<TeamAction, [boolean, boolean, boolean]> = {
  'team.view': [true, true, true],
  'team.createProject': [true, true, false],
  'team.manage': [true, false, false],
}
const roles = ['owner', 'developer', 'reporter'] as const

describe('role matrix', () => {
  it('lists exactly the actions of product.md', () => {
    assert.deepEqual(Object.keys(ProjectActions).sort(), Object.keys(project).sort())
    assert.deepEqual(Object.keys(TeamActions).sort(), Object.keys(team).sort())
  })

  for (const [action, cells] of Object.entries(project) as [ProjectAction, boolean[]][]) {
    roles.forEach((role, i) => {
      it(`project: ${role} ${cells[i] ? 'may' : 'may not'} ${action}`, () => {
        assert.equal(canInProject({ isAdmin: false, role }, action), cells[i])
      })
    })
    it(`project: an admin may ${action}; a non-member may not`, () => {
      assert.equal(canInProject({ isAdmin: true, role: null }, action), true)
      assert.equal(canInProject({ isAdmin: false, role: null }, action), false)
    })
  }

  for (const [action, cells] of Object.entries(team) as [TeamAction, boolean[]][]) {
    roles.forEach((role, i) => {
      it(`team: ${role} ${cells[i] ? 'may' : 'may not'} ${action}`, () => {
        assert.equal(canInTeam({ isAdmin: false, role }, action), cells[i])
      })
    })
    it(`team: an admin may ${action}; a non-member may not`, () => {
      assert.equal(canInTeam({ isAdmin: true, role: null }, action), true)
      assert.equal(canInTeam({ isAdmin: false, role: null }, action), false)
    })
  }

  it('a key is capped by its creator (weaker) and roles combine to the stronger', () => {
    assert.equal(weaker('owner', 'reporter'), 'reporter')
    assert.equal(weaker('developer', 'owner'), 'developer')
    assert.equal(stronger('reporter', 'developer'), 'developer')
    assert.equal(stronger(null, 'reporter'), 'reporter')
    assert.equal(stronger(null, null), null)
  })
})
