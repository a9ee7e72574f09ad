// Turns a tool's JSON Schema `inputSchema` into form field descriptors, and the values typed into that form back
// into `tools/call` arguments with one error per field. No DOM here: the test runner renders what this describes.

/** How a field is edited. `json` is the fallback for shapes a form cannot express (unions, $ref, free maps). */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'array' | 'object' | 'json'

export interface FieldDescriptor {
  /** Property name in its parent object. */
  name: string
  /** Dotted path from the root (`filter.limit`): the key of the field's value and of its error. */
  path: string
  label: string
  kind: FieldKind
  required: boolean
  description?: string
  /** The schema's default, already in argument form (not a string). */
  default?: unknown
  /** `enum` fields: the allowed values, in schema order. */
  options?: unknown[]
  /** Long strings get a textarea. */
  multiline?: boolean
  /** `string` fields: an HTML input type matching the schema's format (url, email, date, …). */
  inputType?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  /** `array` fields of primitives: how each item is edited. */
  items?: FieldDescriptor
  /** `object` fields with declared properties. */
  fields?: FieldDescriptor[]
  /** `json` fields: the JSON type the value must have, when the schema names one. */
  jsonType?: 'object' | 'array'
}

/**
 * What a form holds: one entry per field path. Strings for text, number and enum inputs (an enum holds the index
 * of its option, '' for none), booleans for checkboxes ('' for "not set" on optional ones), string arrays for arrays.
 */
export type FormValue = string | boolean | string[]
export type FormValues = Record<string, FormValue>

export type ArgumentsResult =
  | { ok: true; args: Record<string, unknown> }
  | { ok: false; errors: Record<string, string> }

type Schema = Record<string, unknown>
/** Deeper objects are edited as JSON: a form nested further is harder to use than the JSON itself. */
const MAX_DEPTH = 3
const FORMAT_INPUT: Record<string, string> = {
  uri: 'url',
  url: 'url',
  email: 'email',
  date: 'date',
  'date-time': 'datetime-local',
  time: 'time',
}

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The single non-null type of a schema (`["string","null"]` is a string), or null when it is a real union. */
function typeOf(s: Schema): string | null {
  const t = s.type
  if (typeof t === 'string') return t
  if (Array.isArray(t)) {
    const real = t.filter((x) => x !== 'null')
    return real.length === 1 ? String(real[0]) : null
  }
  if (isSchema(s.properties)) return 'object'
  if (Array.isArray(s.enum)) return 'enum'
  return null
}

/** `anyOf`/`oneOf` of constants (what zod emits for literal unions) reads as an enum. */
function constOptions(s: Schema): unknown[] | null {
  const branches = (s.anyOf ?? s.oneOf) as unknown
  if (!Array.isArray(branches) || branches.length === 0) return null
  const out: unknown[] = []
  for (const b of branches) {
    if (!isSchema(b)) return null
    if ('const' in b) out.push(b.const)
    else if (Array.isArray(b.enum)) out.push(...b.enum)
    else return null
  }
  return out
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function describeField(name: string, path: string, s: Schema, required: boolean, depth: number): FieldDescriptor {
  const f = fieldOf(name, path, s, required, depth)
  // Unset limits stay absent rather than `undefined`, so descriptors compare and serialise cleanly.
  for (const k of Object.keys(f) as (keyof FieldDescriptor)[]) if (f[k] === undefined) delete f[k]
  return f
}

function fieldOf(name: string, path: string, s: Schema, required: boolean, depth: number): FieldDescriptor {
  const base: FieldDescriptor = {
    name,
    path,
    label: typeof s.title === 'string' && s.title ? s.title : name,
    kind: 'json',
    required,
  }
  if (typeof s.description === 'string' && s.description) base.description = s.description
  if ('default' in s) base.default = s.default
  const options = Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : constOptions(s)
  if (options) return { ...base, kind: 'enum', options }
  const type = typeOf(s)
  switch (type) {
    case 'string': {
      const f: FieldDescriptor = { ...base, kind: 'string' }
      f.minLength = num(s.minLength)
      f.maxLength = num(s.maxLength)
      if (typeof s.pattern === 'string') f.pattern = s.pattern
      const input = typeof s.format === 'string' ? FORMAT_INPUT[s.format] : undefined
      if (input) f.inputType = input
      if ((f.maxLength ?? 0) > 200 || s.format === 'textarea' || s.contentMediaType !== undefined) f.multiline = true
      return f
    }
    case 'number':
    case 'integer': {
      const f: FieldDescriptor = { ...base, kind: type }
      f.minimum = num(s.minimum)
      f.maximum = num(s.maximum)
      f.exclusiveMinimum = num(s.exclusiveMinimum)
      f.exclusiveMaximum = num(s.exclusiveMaximum)
      return f
    }
    case 'boolean':
      return { ...base, kind: 'boolean' }
    case 'array': {
      const items = isSchema(s.items) ? s.items : {}
      const itemType = typeOf(items)
      if (itemType === 'string' || itemType === 'number' || itemType === 'integer' || Array.isArray(items.enum)) {
        return { ...base, kind: 'array', items: describeField('item', `${path}[]`, items, true, depth + 1) }
      }
      return { ...base, kind: 'json', jsonType: 'array' }
    }
    case 'object': {
      if (!isSchema(s.properties) || Object.keys(s.properties).length === 0 || depth >= MAX_DEPTH) {
        return { ...base, kind: 'json', jsonType: 'object' }
      }
      return { ...base, kind: 'object', fields: describeProperties(s, path, depth + 1) }
    }
    default:
      return base
  }
}

function describeProperties(s: Schema, prefix: string, depth: number): FieldDescriptor[] {
  const props = isSchema(s.properties) ? s.properties : {}
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : [])
  return Object.entries(props).map(([name, sub]) =>
    describeField(name, prefix ? `${prefix}.${name}` : name, isSchema(sub) ? sub : {}, required.has(name), depth),
  )
}

/**
 * The fields of a tool's input form. A schema that is not an object with properties gives no fields: such tools
 * take no arguments (`{}`), which is what MCP requires `inputSchema` to describe.
 * @example describeSchema({ type: 'object', properties: { message: { type: 'string' } }, required: ['message'] })
 * // → [{ name: 'message', path: 'message', label: 'message', kind: 'string', required: true }]
 */
export function describeSchema(schema: unknown): FieldDescriptor[] {
  if (!isSchema(schema)) return []
  return describeProperties(schema, '', 0)
}

function walk(fields: readonly FieldDescriptor[], fn: (f: FieldDescriptor) => void): void {
  for (const f of fields) {
    fn(f)
    if (f.fields) walk(f.fields, fn)
  }
}

/** The form's starting values: each field's default, shown the way its input holds it. */
export function initialValues(fields: readonly FieldDescriptor[]): FormValues {
  const out: FormValues = {}
  walk(fields, (f) => {
    if (f.kind === 'object') return
    out[f.path] = toFormValue(f, f.default)
  })
  return out
}

function toFormValue(f: FieldDescriptor, v: unknown): FormValue {
  switch (f.kind) {
    case 'boolean':
      return typeof v === 'boolean' ? v : f.required ? false : ''
    case 'enum': {
      const i = v === undefined ? -1 : (f.options ?? []).findIndex((o) => JSON.stringify(o) === JSON.stringify(v))
      return i < 0 ? '' : String(i)
    }
    case 'array':
      return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : []
    case 'json':
      return v === undefined ? '' : JSON.stringify(v, null, 2)
    default:
      return v === undefined || v === null ? '' : String(v)
  }
}

/** Absent and empty mean "not given": optional fields are then left out of the arguments. */
const UNSET = Symbol('unset')

function coerce(f: FieldDescriptor, raw: FormValue | undefined, errors: Record<string, string>): unknown {
  const fail = (message: string) => {
    errors[f.path] = message
    return UNSET
  }
  switch (f.kind) {
    case 'boolean':
      return raw === true || raw === false ? raw : UNSET
    case 'enum': {
      if (raw === '' || raw === undefined || typeof raw !== 'string') return UNSET
      const opts = f.options ?? []
      const i = Number(raw)
      return Number.isInteger(i) && i >= 0 && i < opts.length ? opts[i] : fail('choose one of the options')
    }
    case 'array': {
      const items = Array.isArray(raw) ? raw : []
      if (items.length === 0) return UNSET
      const itemField = f.items as FieldDescriptor
      const out: unknown[] = []
      for (const [i, item] of items.entries()) {
        const itemErrors: Record<string, string> = {}
        const v = coerce(itemField, item, itemErrors)
        const msg = Object.values(itemErrors)[0]
        if (msg) return fail(`item ${i + 1}: ${msg}`)
        if (v === UNSET) return fail(`item ${i + 1}: is empty`)
        out.push(v)
      }
      return out
    }
    case 'json': {
      const text = typeof raw === 'string' ? raw.trim() : ''
      if (text === '') return UNSET
      let v: unknown
      try {
        v = JSON.parse(text)
      } catch {
        return fail('must be valid JSON')
      }
      if (f.jsonType === 'array' && !Array.isArray(v)) return fail('must be a JSON array')
      if (f.jsonType === 'object' && (typeof v !== 'object' || v === null || Array.isArray(v)))
        return fail('must be a JSON object')
      return v
    }
    case 'number':
    case 'integer': {
      const text = typeof raw === 'string' ? raw.trim() : ''
      if (text === '') return UNSET
      const n = Number(text)
      if (!Number.isFinite(n)) return fail('must be a number')
      if (f.kind === 'integer' && !Number.isInteger(n)) return fail('must be a whole number')
      if (f.minimum !== undefined && n < f.minimum) return fail(`must be at least ${f.minimum}`)
      if (f.maximum !== undefined && n > f.maximum) return fail(`must be at most ${f.maximum}`)
      if (f.exclusiveMinimum !== undefined && n <= f.exclusiveMinimum)
        return fail(`must be more than ${f.exclusiveMinimum}`)
      if (f.exclusiveMaximum !== undefined && n >= f.exclusiveMaximum)
        return fail(`must be less than ${f.exclusiveMaximum}`)
      return n
    }
    default: {
      const text = typeof raw === 'string' ? raw : ''
      if (text === '') return UNSET
      if (f.minLength !== undefined && text.length < f.minLength)
        return fail(`must be at least ${f.minLength} characters`)
      if (f.maxLength !== undefined && text.length > f.maxLength)
        return fail(`must be at most ${f.maxLength} characters`)
      // `pattern` comes from the upstream's tool schema: a regular expression written to backtrack would freeze this
      // tab on each keystroke. The upstream checks it when the tool is called; the form only shows it as a hint.
      return text
    }
  }
}

function collect(
  fields: readonly FieldDescriptor[],
  values: FormValues,
  errors: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    let v: unknown
    if (f.kind === 'object') {
      const nested = collect(f.fields ?? [], values, errors)
      v = Object.keys(nested).length > 0 ? nested : UNSET
    } else {
      v = coerce(f, values[f.path], errors)
    }
    if (v !== UNSET) out[f.name] = v
    else if (f.required && !errors[f.path]) errors[f.path] = 'is required'
  }
  return out
}

/**
 * The `tools/call` arguments for what was typed, or an error per field path. Optional fields left empty are
 * omitted (the tool applies its own defaults); numbers, booleans, enums and JSON are turned into their types.
 */
export function toArguments(fields: readonly FieldDescriptor[], values: FormValues): ArgumentsResult {
  const errors: Record<string, string> = {}
  const args = collect(fields, values, errors)
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, args }
}

/** How an enum option is shown in a select. */
export function optionLabel(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}
