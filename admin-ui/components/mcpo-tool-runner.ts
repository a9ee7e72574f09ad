// <mcpo-tool-runner>: a form generated from a tool's input schema (lib/schema-form.ts), checked before it is sent.
// Properties in: `tool` ({ name, description, inputSchema }), `result` (the test-call answer), `busy`, `error`.
// Event out: `tool-run` { arguments } for the container to send through the API.
import { css, html, LitElement, nothing, type TemplateResult } from 'lit'
import { formatDuration } from '../lib/activity.ts'
import {
  describeSchema,
  type FieldDescriptor,
  type FormValues,
  initialValues,
  optionLabel,
  toArguments,
} from '../lib/schema-form.ts'
import { base } from '../styles.ts'
import { fieldError } from './template-pieces.ts'
import { shared } from './view-support.ts'

export interface RunnableTool {
  name: string
  description?: string
  inputSchema?: unknown
}

export interface TestCallResult {
  ok: boolean
  durationMs: number
  result?: {
    content?: { type: string; text?: string; mimeType?: string; data?: string }[]
    structuredContent?: unknown
    isError?: boolean
  }
  error?: { code: number; message: string; data?: unknown }
}

export class McpoToolRunner extends LitElement {
  static override properties = {
    tool: { attribute: false },
    result: { attribute: false },
    busy: { type: Boolean },
    error: {},
    values: { state: true },
    errors: { state: true },
  }
  static override styles = [
    base,
    shared,
    css`
      :host {
        display: block;
      }
      form {
        display: grid;
        gap: 12px;
      }
      fieldset {
        border: 1px solid var(--border);
        border-radius: var(--radius);
        padding: 10px 12px 12px;
        margin: 0;
        display: grid;
        gap: 10px;
      }
      legend {
        font-size: 0.8125rem;
        font-weight: 500;
        padding: 0 4px;
      }
      .req {
        color: var(--danger);
      }
      .array-item {
        display: flex;
        gap: 6px;
        margin-bottom: 6px;
      }
      .result {
        margin-top: 14px;
        display: grid;
        gap: 8px;
      }
      .result pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      img {
        max-width: 240px;
        border: 1px solid var(--border);
        border-radius: var(--radius);
      }
    `,
  ]
  declare tool: RunnableTool | null
  declare result: TestCallResult | null
  declare busy: boolean
  declare error: string | null
  declare values: FormValues
  declare errors: Record<string, string>
  private fields: FieldDescriptor[] = []
  private schemaOf: unknown = undefined

  constructor() {
    super()
    this.tool = null
    this.result = null
    this.busy = false
    this.error = null
    this.values = {}
    this.errors = {}
  }

  protected override willUpdate(): void {
    // A new tool (not a re-render of the same one) starts a fresh form.
    if (this.tool?.inputSchema !== this.schemaOf) {
      this.schemaOf = this.tool?.inputSchema
      this.fields = describeSchema(this.schemaOf)
      this.values = initialValues(this.fields)
      this.errors = {}
    }
  }

  private set(path: string, v: FormValues[string]) {
    this.values = { ...this.values, [path]: v }
    if (this.errors[path]) {
      const { [path]: _gone, ...rest } = this.errors
      this.errors = rest
    }
  }

  private run(e: Event) {
    e.preventDefault()
    const r = toArguments(this.fields, this.values)
    if (!r.ok) {
      this.errors = r.errors
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus())
      return
    }
    this.errors = {}
    this.dispatchEvent(new CustomEvent('tool-run', { detail: { arguments: r.args } }))
  }

  private fieldId(path: string) {
    return `f-${path.replace(/[^A-Za-z0-9_-]/g, '_')}`
  }

  private field(f: FieldDescriptor): TemplateResult {
    const id = this.fieldId(f.path)
    const err = this.errors[f.path] ?? null
    const label = html`<label for=${id}>${f.label}${f.required ? html` <span class="req" aria-hidden="true">*</span>` : nothing}</label>`
    const hintText = [f.description, f.pattern ? `Must match ${f.pattern}` : ''].filter(Boolean).join(' · ')
    const hint = hintText ? html`<span class="hint" id="${id}-hint">${hintText}</span>` : nothing
    const described = `${id}-error ${hintText ? `${id}-hint` : ''}`
    const v = this.values[f.path]
    switch (f.kind) {
      case 'object':
        return html`<fieldset>
          <legend>${f.label}</legend>
          ${f.description ? html`<span class="hint muted small">${f.description}</span>` : nothing}
          ${(f.fields ?? []).map((c) => this.field(c))}
        </fieldset>`
      case 'boolean':
        if (f.required || f.default !== undefined) {
          return html`<div class="field">
            <label class="check"><input id=${id} type="checkbox" .checked=${v === true}
              @change=${(e: Event) => this.set(f.path, (e.target as HTMLInputElement).checked)} />${f.label}</label>
            ${hint} ${fieldError(id, err)}
          </div>`
        }
        return html`<div class="field">
          ${label}
          <select id=${id} aria-describedby=${described} @change=${(e: Event) => {
            const s = (e.target as HTMLSelectElement).value
            this.set(f.path, s === '' ? '' : s === 'true')
          }}>
            <option value="" ?selected=${v === ''}>(not set)</option>
            <option value="true" ?selected=${v === true}>true</option>
            <option value="false" ?selected=${v === false}>false</option>
          </select>
          ${hint} ${fieldError(id, err)}
        </div>`
      case 'enum':
        return html`<div class="field">
          ${label}
          <select id=${id} aria-invalid=${Boolean(err)} aria-describedby=${described}
            @change=${(e: Event) => this.set(f.path, (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${v === ''}>${f.required ? 'Choose…' : '(not set)'}</option>
            ${(f.options ?? []).map((o, i) => html`<option value=${String(i)} ?selected=${v === String(i)}>${optionLabel(o)}</option>`)}
          </select>
          ${hint} ${fieldError(id, err)}
        </div>`
      case 'array': {
        const items = Array.isArray(v) ? v : []
        return html`<div class="field">
          <span class="small"><b>${f.label}</b>${f.required ? html` <span class="req">*</span>` : nothing}</span>
          ${items.map(
            (item, i) => html`<div class="array-item">
              <input aria-label="${f.label} item ${i + 1}" .value=${item} aria-invalid=${Boolean(err)}
                @input=${(e: Event) =>
                  this.set(
                    f.path,
                    items.map((x, j) => (j === i ? (e.target as HTMLInputElement).value : x)),
                  )} />
              <button class="small" type="button" aria-label="Remove item ${i + 1}"
                @click=${() =>
                  this.set(
                    f.path,
                    items.filter((_, j) => j !== i),
                  )}>Remove</button>
            </div>`,
          )}
          <div><button class="small" type="button" @click=${() => this.set(f.path, [...items, ''])}>Add item</button></div>
          ${hint} ${fieldError(id, err)}
        </div>`
      }
      case 'json':
        return html`<div class="field">
          ${label}
          <textarea id=${id} spellcheck="false" placeholder=${f.jsonType === 'array' ? '[ ]' : '{ }'} .value=${String(v ?? '')}
            aria-invalid=${Boolean(err)} aria-describedby=${described}
            @input=${(e: Event) => this.set(f.path, (e.target as HTMLTextAreaElement).value)}></textarea>
          <span class="hint">JSON</span> ${hint} ${fieldError(id, err)}
        </div>`
      default: {
        const type = f.kind === 'string' ? (f.inputType ?? 'text') : 'text'
        const input = f.multiline
          ? html`<textarea id=${id} .value=${String(v ?? '')} aria-invalid=${Boolean(err)} aria-describedby=${described}
              @input=${(e: Event) => this.set(f.path, (e.target as HTMLTextAreaElement).value)}></textarea>`
          : html`<input id=${id} type=${type} inputmode=${f.kind === 'string' ? 'text' : 'decimal'} .value=${String(v ?? '')}
              aria-invalid=${Boolean(err)} aria-describedby=${described}
              @input=${(e: Event) => this.set(f.path, (e.target as HTMLInputElement).value)} />`
        return html`<div class="field">${label} ${input} ${hint} ${fieldError(id, err)}</div>`
      }
    }
  }

  override render() {
    if (!this.tool) return nothing
    return html`<form @submit=${this.run} novalidate aria-label="Test ${this.tool.name}">
        ${this.fields.length === 0 ? html`<p class="muted small">This tool takes no arguments.</p>` : this.fields.map((f) => this.field(f))}
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Running…' : 'Run tool'}</button>
          <span class="muted small">Runs as you, through the project's policies; it shows up in Activity.</span>
        </div>
      </form>
      ${this.error ? html`<div class="alert error result" role="alert">${this.error}</div>` : nothing}
      ${this.result && !this.error ? this.renderResult(this.result) : nothing}`
  }

  private renderResult(r: TestCallResult) {
    const content = r.result?.content ?? []
    return html`<div class="result" role="status" aria-live="polite">
      <div class="row">
        <span class="badge ${r.ok ? 'ok' : 'bad'}">${r.ok ? 'success' : r.error ? `error ${r.error.code}` : 'tool error'}</span>
        <span class="muted small">${formatDuration(r.durationMs)}</span>
      </div>
      ${r.error ? html`<div class="alert error">${r.error.message}</div>` : nothing}
      ${content.map((c) =>
        c.type === 'text'
          ? html`<pre>${c.text}</pre>`
          : c.type === 'image' && c.data && /^image\/(png|jpeg|gif|webp)$/.test(c.mimeType ?? '')
            ? html`<img alt="Image returned by the tool" src="data:${c.mimeType};base64,${c.data}" />`
            : html`<pre>${JSON.stringify(c, null, 2)}</pre>`,
      )}
      ${
        r.result?.structuredContent !== undefined
          ? html`<details><summary class="small">Structured content</summary><pre>${JSON.stringify(r.result.structuredContent, null, 2)}</pre></details>`
          : nothing
      }
    </div>`
  }
}

customElements.define('mcpo-tool-runner', McpoToolRunner)
