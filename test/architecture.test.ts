// The layering rules of the code base, checked on the import graph (every import, export-from, dynamic import() and
// require(), type-only ones included) and on reads of the environment, as the TypeScript parser sees them.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import ts from 'typescript'

const root = resolve(import.meta.dirname, '..')
const SCANNED_DIRS = ['admin-ui', 'benchmarks', 'bin', 'config', 'deploy', 'gateway', 'plugins', 'test']
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'data', '.git'])
const SOURCE = /\.(ts|mts|cts|mjs|cjs|js)$/

/**
 * Plugin-level shared libraries any plugin may import: the contract (the one seam to the gateway) and pure helpers
 * with no state and no I/O. Each must itself import only node built-ins and the entries of `SEAM_IMPORTS`.
 */
const SHARED_PLUGIN_MODULES = ['plugins/contract.ts', 'plugins/glob.ts', 'plugins/cookies.ts']

/** The contract re-exports the storage port's types: the store a plugin gets in its context is part of the seam. */
const SEAM_IMPORTS: Record<string, string[]> = {
  'plugins/contract.ts': ['plugins/storage/port.ts'],
  'plugins/host.ts': ['plugins/contract.ts'],
}

/** Server modules the admin UI bundles: pure, so the browser gets the same rules the server applies. */
const ADMIN_UI_SHARED = ['plugins/rbac/matrix.ts', 'gateway/api/client-entry.ts']

/**
 * Reads of `process.env` outside config/ not moved there yet. Every entry is a known debt, not a permission: delete
 * the line once the file reads its setting from the resolved config.
 */
const ENV_KNOWN_OFFENDERS: string[] = []

/** Imports of the PostgreSQL drivers outside the storage plugin not moved there yet (same rule as above). */
const DRIVER_KNOWN_OFFENDERS: string[] = []

interface Parsed {
  /** Module specifiers, as written. `null` for a dynamic import() whose argument is not a string literal. */
  imports: (string | null)[]
  /** 1-based lines where the environment is read. */
  envReads: number[]
  /** 1-based lines comparing a `.name` with a `…_PLUGIN` constant: finding a plugin by its name. */
  nameLookups: number[]
}

/** Every module a source file names, and every place it reads the environment. */
export function parseSource(fileName: string, text: string): Parsed {
  const kind = fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind)
  const imports: (string | null)[] = []
  const envReads: number[] = []
  const nameLookups: number[] = []
  const isPluginName = (node: ts.Node) => ts.isIdentifier(node) && node.text.endsWith('_PLUGIN')
  const isNameField = (node: ts.Node) => ts.isPropertyAccessExpression(node) && node.name.text === 'name'
  const line = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1
  const isProcess = (node: ts.Node) => ts.isIdentifier(node) && node.text === 'process'
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) imports.push(node.moduleSpecifier.text)
      if (
        ts.isImportDeclaration(node) &&
        ts.isStringLiteral(node.moduleSpecifier) &&
        /^(node:)?process$/.test(node.moduleSpecifier.text)
      ) {
        // `import { env } from 'node:process'` and `import process from 'node:process'` (then `process.env` below).
        const named = node.importClause?.namedBindings
        if (named && ts.isNamedImports(named) && named.elements.some((e) => (e.propertyName ?? e.name).text === 'env'))
          envReads.push(line(node))
      }
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const ref = node.moduleReference.expression
      imports.push(ts.isStringLiteral(ref) ? ref.text : null)
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require' && node.arguments.length === 1
      if (isDynamicImport || isRequire) {
        const arg = node.arguments[0]
        imports.push(arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) ? arg.text : null)
      }
    } else if (ts.isPropertyAccessExpression(node) && isProcess(node.expression) && node.name.text === 'env') {
      envReads.push(line(node))
    } else if (
      ts.isElementAccessExpression(node) &&
      isProcess(node.expression) &&
      ts.isStringLiteral(node.argumentExpression) &&
      node.argumentExpression.text === 'env'
    ) {
      envReads.push(line(node))
    } else if (
      ts.isVariableDeclaration(node) &&
      node.initializer &&
      isProcess(node.initializer) &&
      ts.isObjectBindingPattern(node.name) &&
      node.name.elements.some((e) => (e.propertyName ?? e.name).getText(sf) === 'env')
    ) {
      // `const { env } = process`
      envReads.push(line(node))
    } else if (
      ts.isBinaryExpression(node) &&
      [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(
        node.operatorToken.kind,
      ) &&
      ((isPluginName(node.left) && isNameField(node.right)) || (isPluginName(node.right) && isNameField(node.left)))
    ) {
      nameLookups.push(line(node))
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return { imports, envReads, nameLookups }
}

interface SourceFile {
  /** Path from the repository root, with forward slashes. */
  path: string
  parsed: Parsed
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name), out)
    } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(join(dir, entry.name))
    }
  }
}

function loadSources(): SourceFile[] {
  const files: string[] = []
  for (const d of SCANNED_DIRS) walk(join(root, d), files)
  for (const entry of readdirSync(root)) if (SOURCE.test(entry)) files.push(join(root, entry))
  return files.map((abs) => ({
    path: relative(root, abs).split('\\').join('/'),
    parsed: parseSource(abs, readFileSync(abs, 'utf8')),
  }))
}

/** A relative specifier as a repository path; bare specifiers (packages, node built-ins) as written. */
function target(from: string, spec: string): { local: string | null; bare: string | null } {
  if (!spec.startsWith('.')) return { local: null, bare: spec }
  return {
    local: relative(root, resolve(root, dirname(from), spec))
      .split('\\')
      .join('/'),
    bare: null,
  }
}

/** Test code: test/ and every *.test.ts. Fixtures may set up what production code must not (databases, env). */
const isTest = (path: string) => path.startsWith('test/') || /\.test\.[cm]?[jt]s$/.test(path)
const isBenchmark = (path: string) => path.startsWith('benchmarks/')
/** Deployment config files are configuration: they read secrets from the environment, as the README shows. */
const isUserConfig = (path: string) => /(^|\/)mcpo\.config\.ts$/.test(path)
/** `plugins/<folder>/…` → folder; top-level plugin files → null. */
const pluginFolder = (path: string) => /^plugins\/([^/]+)\//.exec(path)?.[1] ?? null
const packageName = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec)

const sources = loadSources()

/** Every edge `from → spec` of the graph, for one rule to judge; returns the violations as readable lines. */
function violations(judge: (from: string, spec: string | null, t: ReturnType<typeof target> | null) => string | null) {
  const out: string[] = []
  for (const f of sources) {
    for (const spec of f.parsed.imports) {
      const problem = judge(f.path, spec, spec === null ? null : target(f.path, spec))
      if (problem) out.push(`${f.path}: ${problem}`)
    }
  }
  return out
}

describe('architecture', () => {
  it('the parser sees imports of every kind and reads of the environment', () => {
    const parsed = parseSource(
      'x.ts',
      [
        "import a from './a.ts'",
        "import type { B } from '../b.ts'",
        "export { c } from './c.ts'",
        "export * from './d.ts'",
        "const e = await import('./e.ts')",
        'const f = await import(name)',
        "const g = require('g')",
        '// process.env.IN_A_COMMENT',
        "const s = 'process.env.IN_A_STRING'",
        'const h = process.env.H',
        "const i = process['env']",
        'const { env } = process',
        "import { env as j } from 'node:process'",
        'const k = plugins.find((p) => p.name === AUDIT_PLUGIN)',
      ].join('\n'),
    )
    assert.deepEqual(parsed.nameLookups, [14])
    assert.deepEqual(parsed.imports, ['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', null, 'g', 'node:process'])
    assert.deepEqual(parsed.envReads, [10, 11, 12, 13])
    // The scan found the code base, not an empty directory.
    assert.ok(sources.length > 200, `only ${sources.length} source files found`)
    const server = sources.find((f) => f.path === 'gateway/server.ts')
    assert.ok(server?.parsed.imports.includes('uWebSockets.js'), 'gateway/server.ts imports uWebSockets.js')
  })

  it('plugins never import the gateway', () => {
    const found = violations((from, spec, t) =>
      from.startsWith('plugins/') && t?.local?.startsWith('gateway/') ? `imports ${spec}` : null,
    )
    assert.deepEqual(found, [], 'plugins reach the gateway only through plugins/contract.ts')
  })

  it('plugins never import another plugin, only the contract and the shared pure libraries', () => {
    const found = violations((from, spec, t) => {
      if (!from.startsWith('plugins/')) return null
      if (spec === null) return 'imports a module whose name is computed (the import graph cannot check it)'
      const local = t?.local
      // The gateway is the rule above.
      if (!local || local.startsWith('gateway/')) return null
      const folder = pluginFolder(from)
      if (folder !== null && pluginFolder(local) === folder) return null
      if (SHARED_PLUGIN_MODULES.includes(local)) {
        // Top-level plugin files are the contract and the shared libraries: they may use one another only as listed.
        if (folder !== null || isTest(from) || SEAM_IMPORTS[from]?.includes(local)) return null
        return `imports ${spec}: add it to SEAM_IMPORTS only if it keeps the shared module pure`
      }
      if (SEAM_IMPORTS[from]?.includes(local)) return null
      // A plugin's tests may use the test kit and a real store.
      if (isTest(from) && (local.startsWith('test/') || local.startsWith('plugins/storage/'))) return null
      if (from === 'plugins/host.test.ts' && local === 'plugins/host.ts') return null
      return `imports ${spec}`
    })
    assert.deepEqual(found, [], 'a plugin uses another one through a service declared in plugins/contract.ts')
  })

  it('the admin UI bundles only the server modules listed as pure and shared', () => {
    for (const shared of ADMIN_UI_SHARED) {
      const f = sources.find((s) => s.path === shared)
      assert.ok(f, `${shared} exists`)
      const local = f.parsed.imports.filter((spec) => spec === null || spec.startsWith('.'))
      assert.deepEqual(local, [], `${shared} is shared with the browser: it must not import other modules`)
    }
    const found = violations((from, spec, t) => {
      // The UI's tests compare it with the server (the same schemas, the same masks): they run in Node, not the bundle.
      if (!from.startsWith('admin-ui/') || isTest(from)) return null
      if (spec === null) return 'imports a module whose name is computed'
      const local = t?.local
      if (!local || local.startsWith('admin-ui/') || ADMIN_UI_SHARED.includes(local)) return null
      return `imports ${spec}`
    })
    assert.deepEqual(found, [], 'the admin UI talks to the server over HTTP; shared pure modules go in ADMIN_UI_SHARED')
  })

  it('the shared plugin libraries are pure', () => {
    for (const shared of SHARED_PLUGIN_MODULES) {
      const f = sources.find((s) => s.path === shared)
      assert.ok(f, `${shared} exists`)
      for (const spec of f.parsed.imports) {
        assert.ok(spec !== null, `${shared} imports a computed module name`)
        const t = target(shared, spec)
        const ok = t.bare?.startsWith('node:') || (t.local !== null && SEAM_IMPORTS[shared]?.includes(t.local))
        assert.ok(ok, `${shared} imports ${spec}`)
      }
      assert.deepEqual(f.parsed.envReads, [], `${shared} reads the environment`)
    }
  })

  it('the gateway uses plugins through their services, never by looking one up by name', () => {
    const found = sources
      .filter((f) => !isTest(f.path) && f.parsed.nameLookups.length > 0)
      .map((f) => `${f.path}: line ${f.parsed.nameLookups.join(', ')}`)
    assert.deepEqual(
      found,
      [],
      'a plugin offers a service (plugins/contract.ts defineService/offer) for what others use',
    )
  })

  it('uWebSockets.js is imported only by gateway/server.ts', () => {
    const found = violations((from, spec, t) =>
      t?.bare && packageName(t.bare) === 'uWebSockets.js' && from !== 'gateway/server.ts' ? `imports ${spec}` : null,
    )
    assert.deepEqual(found, [], 'the HTTP edge is the one place that knows the server library')
  })

  it('the PostgreSQL and PGlite drivers are imported only by the storage plugin', () => {
    const drivers = new Set(['postgres', '@electric-sql/pglite'])
    const found = violations((from, spec, t) => {
      if (!t?.bare || !drivers.has(packageName(t.bare))) return null
      // Tests and benchmarks create, inspect and drop their databases directly.
      if (from.startsWith('plugins/storage/') || isTest(from) || isBenchmark(from)) return null
      if (DRIVER_KNOWN_OFFENDERS.includes(from)) return null
      return `imports ${spec}`
    })
    assert.deepEqual(found, [], 'SQL and database connections belong to the storage plugin')
  })

  it('the environment is read only in config/', () => {
    const found: string[] = []
    for (const f of sources) {
      if (f.path.startsWith('config/') || f.parsed.envReads.length === 0) continue
      // Tests and benchmarks set up processes through the environment; they are not the product.
      if (isTest(f.path) || isBenchmark(f.path) || isUserConfig(f.path) || ENV_KNOWN_OFFENDERS.includes(f.path))
        continue
      found.push(`${f.path}: line ${f.parsed.envReads.join(', ')}`)
    }
    assert.deepEqual(found, [], 'settings come from the resolved config; config/ reads the environment')
  })

  it('the known offenders lists hold only files that still offend', () => {
    const stale = [
      ...ENV_KNOWN_OFFENDERS.filter((p) => !sources.find((f) => f.path === p)?.parsed.envReads.length),
      ...DRIVER_KNOWN_OFFENDERS.filter(
        (p) =>
          !sources
            .find((f) => f.path === p)
            ?.parsed.imports.some((s) => s && ['postgres', '@electric-sql/pglite'].includes(packageName(s))),
      ),
    ]
    assert.deepEqual(stale, [], 'remove these from the known offenders: they no longer break the rule')
  })
})
