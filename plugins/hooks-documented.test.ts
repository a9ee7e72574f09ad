// The README's list of plugin hooks is the contract's: both are parsed, so a hook added to (or dropped from)
// `McpoPlugin` without the README following fails here.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import ts from 'typescript'

const root = join(import.meta.dirname, '..')

/** Members of `McpoPlugin` that the host calls: methods, and properties typed as a function or a hook. */
function contractHooks(): string[] {
  const file = join(root, 'plugins/contract.ts')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const plugin = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'McpoPlugin',
  )
  assert.ok(plugin, 'plugins/contract.ts declares McpoPlugin')
  const hooks: string[] = []
  for (const m of plugin.members) {
    const name = m.name && ts.isIdentifier(m.name) ? m.name.text : null
    if (name === null) continue
    const callable =
      ts.isMethodSignature(m) ||
      (ts.isPropertySignature(m) &&
        m.type !== undefined &&
        (ts.isFunctionTypeNode(m.type) || /Hook\b/.test(m.type.getText(source))))
    if (callable) hooks.push(name)
  }
  return hooks.sort()
}

/** The backticked names in the README's "hooks it needs (…; see …)" sentence. */
function readmeHooks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ')
  const list = /hooks it needs \(([^;]+);/.exec(readme)
  assert.ok(list, 'README.md lists the plugin hooks')
  return [...list[1].matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]).sort()
}

describe('plugin hooks', () => {
  it('the README names exactly the hooks of the contract', () => {
    const hooks = contractHooks()
    assert.ok(hooks.includes('onToolCall') && hooks.includes('setup'), `parsed hooks: ${hooks}`)
    assert.deepEqual(readmeHooks(), hooks)
  })
})
