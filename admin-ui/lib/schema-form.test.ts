// The test runner's form: real input schemas (server-everything's, and what zod emits) become fields, and typed
// values become arguments of the right types, with one error per field.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeSchema, initialValues, optionLabel, toArguments } from './schema-form.ts'

// Copied from server-everything 2026.8.31's tools/list.
const echo = {
  type: 'object',
  properties: { message: { type: 'string', description: 'Message to echo' } },
  required: ['message'],
  $schema: 'http://json-schema.org/draft-07/schema#',
}
const annotated = {
  type: 'object',
  properties: {
    messageType: { type: 'string', enum: ['error', 'success', 'debug'], description: 'Type of message' },
    includeImage: { default: false, description: 'Whether to include an example image', type: 'boolean' },
  },
  required: ['messageType'],
}
const resourceLinks = {
  type: 'object',
  properties: { count: { default: 3, type: 'number', minimum: 1, maximum: 10 } },
}

describe('describeSchema', () => {
  it('describes a required string with its description', () => {
    assert.deepEqual(describeSchema(echo), [
      {
        name: 'message',
        path: 'message',
        label: 'message',
        kind: 'string',
        required: true,
        description: 'Message to echo',
      },
    ])
  })

  it('reads enums, booleans with defaults and number limits', () => {
    const [kind, image] = describeSchema(annotated)
    assert.deepEqual([kind.kind, kind.options, kind.required], ['enum', ['error', 'success', 'debug'], true])
    assert.deepEqual([image.kind, image.default, image.required], ['boolean', false, false])
    const [count] = describeSchema(resourceLinks)
    assert.deepEqual([count.kind, count.minimum, count.maximum, count.default], ['number', 1, 10, 3])
  })

  it('nests objects, lists primitive arrays and falls back to JSON for what a form cannot express', () => {
    const fields = describeSchema({
      type: 'object',
      properties: {
        filter: {
          type: 'object',
          title: 'Filter',
          properties: { limit: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
          required: ['limit'],
        },
        rows: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
        meta: { type: 'object', additionalProperties: { type: 'string' } },
        either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        mode: { anyOf: [{ const: 'fast' }, { const: 'safe' }] },
        maybe: { type: ['string', 'null'], format: 'uri' },
      },
    })
    const [filter, rows, meta, either, mode, maybe] = fields
    assert.equal(filter.kind, 'object')
    assert.equal(filter.label, 'Filter')
    assert.deepEqual(
      filter.fields?.map((f) => [f.path, f.kind, f.required]),
      [
        ['filter.limit', 'integer', true],
        ['filter.tags', 'array', false],
      ],
    )
    assert.equal(filter.fields?.[1].items?.kind, 'string')
    assert.deepEqual([rows.kind, rows.jsonType], ['json', 'array'])
    assert.deepEqual([meta.kind, meta.jsonType], ['json', 'object'])
    assert.equal(either.kind, 'json')
    assert.deepEqual([mode.kind, mode.options], ['enum', ['fast', 'safe']])
    assert.deepEqual([maybe.kind, maybe.inputType], ['string', 'url'])
  })

  it('gives no fields for a schema without properties (a tool without arguments)', () => {
    assert.deepEqual(describeSchema({ type: 'object', properties: {} }), [])
    assert.deepEqual(describeSchema(undefined), [])
    assert.deepEqual(describeSchema('nonsense'), [])
  })
})

describe('initialValues and toArguments', () => {
  it('starts from the defaults and sends typed arguments', () => {
    const fields = describeSchema(annotated)
    const values = initialValues(fields)
    assert.deepEqual(values, { messageType: '', includeImage: false })
    values.messageType = '1'
    assert.deepEqual(toArguments(fields, values), { ok: true, args: { messageType: 'success', includeImage: false } })
  })

  it('names each field that is missing or wrong', () => {
    const fields = describeSchema({
      type: 'object',
      properties: {
        a: { type: 'number' },
        b: { type: 'integer', minimum: 0 },
        c: { type: 'string', minLength: 3, pattern: '^[a-z]+$' },
        d: { type: 'object', additionalProperties: true },
        e: { type: 'array', items: { type: 'number' } },
        f: { type: 'number', exclusiveMaximum: 5 },
      },
      required: ['a'],
    })
    const r = toArguments(fields, { a: '', b: '1.5', c: 'AB', d: '[1]', e: ['1', 'x'], f: '5' })
    assert.deepEqual(r, {
      ok: false,
      errors: {
        a: 'is required',
        b: 'must be a whole number',
        c: 'must be at least 3 characters',
        d: 'must be a JSON object',
        e: 'item 2: must be a number',
        f: 'must be less than 5',
      },
    })
    // A schema's pattern is the upstream's to check: running an upstream's regular expression here could backtrack.
    const bad = toArguments(fields, { a: 'abc', c: 'abc1' })
    assert.deepEqual(bad, { ok: false, errors: { a: 'must be a number' } })
  })

  it('omits optional fields left empty, and builds nested objects', () => {
    const fields = describeSchema({
      type: 'object',
      properties: {
        q: { type: 'string' },
        opts: { type: 'object', properties: { limit: { type: 'integer' }, exact: { type: 'boolean' } } },
        tags: { type: 'array', items: { type: 'string' } },
        extra: { type: 'object', additionalProperties: true },
      },
    })
    assert.deepEqual(initialValues(fields), { q: '', 'opts.limit': '', 'opts.exact': '', tags: [], extra: '' })
    assert.deepEqual(toArguments(fields, initialValues(fields)), { ok: true, args: {} })
    const r = toArguments(fields, {
      q: 'hi',
      'opts.limit': ' 10 ',
      'opts.exact': true,
      tags: ['a', 'b'],
      extra: '{"k": 1}',
    })
    assert.deepEqual(r, {
      ok: true,
      args: { q: 'hi', opts: { limit: 10, exact: true }, tags: ['a', 'b'], extra: { k: 1 } },
    })
  })

  it('reports a required nested field under its dotted path', () => {
    const fields = describeSchema({
      type: 'object',
      properties: { opts: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
      required: ['opts'],
    })
    assert.deepEqual(toArguments(fields, {}), { ok: false, errors: { 'opts.id': 'is required', opts: 'is required' } })
  })

  it('keeps non-string enum values and shows them readably', () => {
    const fields = describeSchema({ type: 'object', properties: { n: { enum: [1, 2, null] } } })
    assert.deepEqual(initialValues(fields), { n: '' })
    assert.deepEqual(toArguments(fields, { n: '2' }), { ok: true, args: { n: null } })
    assert.deepEqual(toArguments(fields, { n: '7' }), { ok: false, errors: { n: 'choose one of the options' } })
    assert.deepEqual([optionLabel('x'), optionLabel(1), optionLabel(null)], ['x', '1', 'null'])
  })
})
