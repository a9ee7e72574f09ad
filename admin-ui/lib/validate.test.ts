// Form checks before the API is called: pasted client configs of every shape, policies, templates and users.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  checkNewUser,
  checkPolicy,
  checkServerName,
  checkTemplate,
  emptyPolicy,
  formatVars,
  parseImport,
  parseVars,
  type TemplateForm,
} from './validate.ts'

describe('parseImport', () => {
  it('reads a Claude/Cline mcpServers JSON and previews each entry', () => {
    const text = JSON.stringify({
      mcpServers: {
        'GitHub Server': {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-github'],
          env: { GITHUB_TOKEN: 'x' },
        },
        search: { type: 'streamableHttp', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer y' } },
        legacy: { url: 'https://old.example.com/sse' },
      },
    })
    const r = parseImport(text)
    assert.ok(r.ok)
    assert.deepEqual(Object.keys(r.body.mcpServers), ['GitHub Server', 'search', 'legacy'])
    assert.deepEqual(
      r.preview.map((p) => [p.name, p.transport, p.target, p.secrets, p.problems]),
      [
        ['github-server', 'stdio', 'npx -y @modelcontextprotocol/server-github', 1, []],
        ['search', 'streamable-http', 'https://mcp.example.com/mcp', 1, []],
        ['legacy', 'sse', 'https://old.example.com/sse', 0, []],
      ],
    )
  })

  it('accepts VS Code’s servers key and a bare map, and flags bad entries and taken names', () => {
    const vs = parseImport('{"servers": {"a": {"type": "http", "url": "http://127.0.0.1:9/mcp"}}}')
    assert.ok(vs.ok)
    assert.equal(vs.preview[0].transport, 'streamable-http')
    const bare = parseImport('{"one": {"command": "node"}, "two": {"url": "ftp://x"}, "!!!": {}}', ['one'])
    assert.ok(bare.ok)
    assert.deepEqual(
      bare.preview.map((p) => p.problems),
      [
        ['a server named "one" already exists'],
        ['url: must start with http:// or https://'],
        ['the name has no usable characters', 'needs a "command" (stdio) or a "url" (remote)'],
      ],
    )
  })

  it('says where the JSON is broken and what shape it expected', () => {
    const broken = parseImport('{\n  "mcpServers": {\n    "a": { "command": "x", }\n  }\n}')
    assert.equal(broken.ok, false)
    assert.match((broken as { error: string }).error, /line 3, column \d+/)
    assert.deepEqual(parseImport('  '), { ok: false, error: 'paste a JSON object with "mcpServers"' })
    assert.match((parseImport('[1]') as { error: string }).error, /must be an object/)
    assert.match((parseImport('{"command": "npx"}') as { error: string }).error, /one server/)
    assert.match((parseImport('{"mcpServers": {}}') as { error: string }).error, /empty/)
    assert.match((parseImport('{"x": 1}') as { error: string }).error, /no "mcpServers"/)
  })
})

describe('checkPolicy', () => {
  it('builds the API body from a valid form', () => {
    const r = checkPolicy({ ...emptyPolicy(), toolPattern: ' get-* ', roles: ['reporter'], priority: '5' })
    assert.deepEqual(r, {
      ok: true,
      value: {
        effect: 'deny',
        serverPattern: '*',
        toolPattern: 'get-*',
        roles: ['reporter'],
        keyIds: [],
        priority: 5,
        description: '',
      },
    })
  })

  it('reports every bad field', () => {
    const r = checkPolicy({
      effect: 'maybe',
      serverPattern: '',
      toolPattern: 'a b',
      roles: ['admin'],
      keyIds: ['nope'],
      priority: '1.5',
      description: 'x'.repeat(501),
    })
    assert.equal(r.ok, false)
    assert.deepEqual(Object.keys((r as { errors: object }).errors).sort(), [
      'description',
      'effect',
      'keyIds',
      'priority',
      'roles',
      'serverPattern',
      'toolPattern',
    ])
  })
})

describe('checkTemplate and variables', () => {
  const base: TemplateForm = {
    name: 'GitHub',
    description: '',
    transport: 'stdio',
    command: 'npx',
    args: '-y\n@modelcontextprotocol/server-github\n',
    env: 'GITHUB_TOKEN=\n\nLOG_LEVEL=info',
    headers: '',
    url: '',
    approved: true,
  }

  it('turns lines into args and variable templates', () => {
    const r = checkTemplate(base)
    assert.ok(r.ok)
    assert.deepEqual(r.value.args, ['-y', '@modelcontextprotocol/server-github'])
    assert.deepEqual(r.value.envTemplate, { GITHUB_TOKEN: '', LOG_LEVEL: 'info' })
    assert.equal(formatVars(r.value.envTemplate as Record<string, string>), 'GITHUB_TOKEN=\nLOG_LEVEL=info')
  })

  it('needs a command for stdio and an http(s) URL for remote templates', () => {
    assert.deepEqual(checkTemplate({ ...base, command: ' ' }), {
      ok: false,
      errors: { command: 'is required for stdio templates' },
    })
    const remote = checkTemplate({ ...base, transport: 'sse', url: 'mcp.example.com', headers: '1bad=x' })
    assert.deepEqual(remote, {
      ok: false,
      errors: { url: 'must be an http:// or https:// URL', headersTemplate: 'line 1: "1bad" is not a variable name' },
    })
    const errors: Record<string, string> = {}
    assert.deepEqual(parseVars('A=1=2\nB', 'env', errors), { A: '1=2', B: '' })
    assert.deepEqual(errors, {})
  })
})

describe('users and server names', () => {
  it('checks email and password length', () => {
    assert.deepEqual(checkNewUser({ email: 'x', name: '', password: 'short', isAdmin: false }), {
      ok: false,
      errors: { email: 'must be an email address', password: 'must be at least 12 characters' },
    })
    assert.ok(checkNewUser({ email: ' a@b.io ', name: 'A', password: 'long enough pw', isAdmin: true }).ok)
  })

  it('accepts the server name alphabet only', () => {
    assert.equal(checkServerName('github-2'), null)
    assert.match(checkServerName('GitHub') ?? '', /lower-case/)
    assert.match(checkServerName('x'.repeat(49)) ?? '', /48/)
  })
})
