// Tool policies filter prompts and resources too: a denied prompt or resource is left out of its list and its
// get/read answers a JSON-RPC error, by the same decision that guards tools/call.
import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { TOOL_POLICIES_PLUGIN, type ToolPoliciesPlugin } from '../../plugins/rbac/policies.ts'
import { fixtureServer, startTestGateway, TEST_KEY, type TestGateway } from '../harness.ts'

let gw: TestGateway
before(async () => {
  gw = await startTestGateway({
    projects: [{ id: 'pol', name: 'Pol', servers: [fixtureServer('fx')], apiKeys: [{ name: 'k', key: TEST_KEY }] }],
  })
})
after(() => gw?.close())

it('leaves denied prompts and resources out of their lists and refuses get and read', async () => {
  const client = new Client({ name: 'pol', version: '1' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/projects/pol/servers/fx/mcp`), {
      requestInit: { headers: gw.auth },
    }),
  )
  try {
    assert.ok((await client.listPrompts()).prompts.some((p) => p.name === 'greet'))
    assert.ok((await client.listResources()).resources.some((r) => r.uri === 'fixture://hello'))
    for (const toolPattern of ['greet', 'fixture://*']) {
      await gw.gateway.store.toolPolicies.create({ projectId: 'pol', effect: 'deny', serverPattern: '*', toolPattern })
    }
    const plugin = gw.gateway.plugins.plugins.find((p) => p.name === TOOL_POLICIES_PLUGIN) as ToolPoliciesPlugin
    await plugin.refresh('pol')
    assert.ok(!(await client.listPrompts()).prompts.some((p) => p.name === 'greet'))
    assert.ok(!(await client.listResources()).resources.some((r) => r.uri === 'fixture://hello'))
    await assert.rejects(client.getPrompt({ name: 'greet', arguments: { name: 'x' } }), /Prompt greet is not available/)
    await assert.rejects(client.readResource({ uri: 'fixture://hello' }), /Resource fixture:\/\/hello is not available/)
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'still allowed' } })
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: still allowed' }])
  } finally {
    await client.close()
  }
})
