// Add or edit one server: transport-specific fields, env and header rows whose stored values stay masked, a remote
// server's Authorization (none, or OAuth with a write-only client secret), checks at once next to each field
// (server-form.ts), the API's own field errors after submit, and "Test connection". Saving a new server, or an edit of
// where one connects, runs the test first (unless the form was just tested as it is, or the server is behind OAuth,
// which connects only once someone signed in at its provider); when it fails the error is shown with "Save anyway"
// and "Keep editing", and a server saved anyway is recorded as down with that error (gateway/api/server-checks.ts).
// Sends `mcpo-server-saved` with the server, `mcpo-cancel` on Cancel.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing } from 'lit'
import type { Server, Transport } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import {
  type AuthForm,
  emptyServerForm,
  type FormErrors,
  formField,
  hasProtocolChoice,
  PROTOCOL_CHOICES,
  type ProtocolChoice,
  type SecretRow,
  type ServerFormState,
  serverBody,
  serverFormFrom,
  testsOnSave,
  validateServerForm,
} from '../server-form.ts'
import { base } from '../styles.ts'
import { errorAlert, fieldError } from './template-pieces.ts'

interface TestAnswer {
  ok: boolean
  durationMs: number
  toolCount?: number
  serverInfo?: { name?: string; version?: string } | null
  error?: string
  stderr?: string[]
}

export class McpoServerForm extends LitElement {
  static override properties = {
    projectId: {},
    server: { attribute: false },
    canStdio: { type: Boolean },
    state: { state: true },
    errors: { state: true },
    tested: { state: true },
    confirming: { state: true },
  }
  static override styles = [
    base,
    css`
      .rows {
        display: flex;
        flex-direction: column;
        gap: 6px;
      }
      .secret {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr) auto;
        gap: 6px;
      }
      .one-secret {
        display: flex;
        gap: 6px;
      }
      .one-secret input {
        flex: 1;
        min-width: 0;
      }
      .secret input:first-child {
        font-family: var(--mono);
      }
      fieldset {
        border: 0;
        padding: 0;
        margin: 0;
      }
      legend {
        font-size: 0.8125rem;
        font-weight: 500;
        margin-bottom: 4px;
        padding: 0;
      }
      .seg {
        display: inline-flex;
        border: 1px solid var(--border-strong);
        border-radius: var(--radius);
        overflow: hidden;
      }
      .seg label {
        position: relative;
        margin: 0;
        padding: 6px 12px;
        cursor: pointer;
        font-weight: 400;
        border-right: 1px solid var(--border-strong);
      }
      .seg label:last-child {
        border-right: 0;
      }
      /* Hidden but focusable; the base width: 100% would make an absolute input as wide as the page (sideways scroll). */
      .seg input {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        margin: 0;
        opacity: 0;
        pointer-events: none;
      }
      .seg label:has(input:checked) {
        background: var(--accent-bg);
        color: var(--accent);
        font-weight: 500;
      }
      .seg label:has(input:focus-visible) {
        outline: 2px solid var(--focus);
      }
      .test-result {
        font-size: 0.875rem;
        overflow-wrap: anywhere;
      }
      .test-result pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        max-height: 12rem;
        overflow: auto;
      }
      .confirm {
        display: flex;
        flex-direction: column;
        gap: 8px;
        margin-top: 8px;
      }
    `,
  ]

  declare projectId: string
  declare server: Server | null
  declare canStdio: boolean
  declare state: ServerFormState
  declare errors: FormErrors
  declare tested: TestAnswer | null
  /** The test run on save failed: "Save anyway" or "Keep editing" is asked. */
  declare confirming: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly save = new Action(this)
  private readonly test = new Action(this)
  private touched = false
  /** The test request `tested` answered, so a save of the same form does not test again. */
  private testedBody: string | null = null

  constructor() {
    super()
    this.projectId = ''
    this.server = null
    this.canStdio = false
    this.state = emptyServerForm()
    this.errors = {}
    this.tested = null
    this.confirming = false
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('server') || (changed.has('canStdio') && !this.server && !this.touched)) {
      this.state = this.server
        ? serverFormFrom(this.server)
        : emptyServerForm(this.canStdio ? 'stdio' : 'streamable-http')
      this.errors = {}
    }
  }

  private get editing(): boolean {
    return this.server !== null
  }

  private set(patch: Partial<ServerFormState>): void {
    this.touched = true
    this.confirming = false
    this.state = { ...this.state, ...patch }
    // Once the user submitted, keep the shown errors in step with what they type.
    if (Object.keys(this.errors).length) this.errors = this.check()
  }

  private check(): FormErrors {
    return validateServerForm(this.state, {
      canStdio: this.canStdio || this.server?.transport === 'stdio',
      editing: this.editing,
    })
  }

  /** Client-side errors first; then the API's, mapped onto the form's rows. */
  private error(field: string): string | null {
    if (this.errors[field]) return this.errors[field]
    const api = this.save.error ?? this.test.error
    if (!api) return null
    for (const [f, m] of Object.entries(api.fields)) if (formField(f, this.state) === field) return m
    return null
  }

  private async onSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    this.errors = this.check()
    if (Object.keys(this.errors).length) return this.focusFirstError()
    if (testsOnSave(this.state, this.server)) {
      const fresh = this.tested && this.testedBody === JSON.stringify(this.testBody()) ? this.tested : null
      const answer = fresh ?? (await this.onTest())
      if (!answer) return this.focusFirstError()
      if (!answer.ok) {
        this.confirming = true
        await this.updateComplete
        this.renderRoot.querySelector<HTMLElement>('[data-save-anyway]')?.focus()
        return
      }
    }
    await this.store()
  }

  private async store(): Promise<void> {
    this.confirming = false
    const path = `/api/projects/${encodeURIComponent(this.projectId)}/servers`
    const body = serverBody(this.state, this.editing)
    const saved = await this.save.run(() =>
      this.editing
        ? this.api.value!.put<Server>(`${path}/${encodeURIComponent(this.server!.name)}`, body)
        : this.api.value!.post<Server>(path, body),
    )
    if (saved) this.dispatchEvent(new CustomEvent('mcpo-server-saved', { detail: saved }))
    else this.focusFirstError()
  }

  private testBody(): Record<string, unknown> {
    return { ...serverBody(this.state, false), name: this.server?.name ?? (this.state.name || undefined) }
  }

  private async onTest(): Promise<TestAnswer | null> {
    this.errors = this.check()
    if (Object.keys(this.errors).length) {
      await this.focusFirstError()
      return null
    }
    this.tested = null
    this.confirming = false
    const body = this.testBody()
    this.tested =
      (await this.test.run(() =>
        this.api.value!.post<TestAnswer>(`/api/projects/${encodeURIComponent(this.projectId)}/servers/test`, body),
      )) ?? null
    this.testedBody = this.tested ? JSON.stringify(body) : null
    return this.tested
  }

  private async focusFirstError(): Promise<void> {
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }

  private input(
    field: keyof ServerFormState,
    label: string,
    opts: {
      hint?: string
      type?: string
      wide?: boolean
      mono?: boolean
      placeholder?: string
      errorField?: string
    } = {},
  ) {
    const err = this.error(opts.errorField ?? field)
    const id = `s-${field}`
    return html`<div class="field ${opts.wide ? 'wide' : ''}">
      <label for=${id}>${label}</label>
      <input id=${id} type=${opts.type ?? 'text'} class=${opts.mono ? 'mono' : ''} placeholder=${opts.placeholder ?? ''}
        .value=${String(this.state[field])} aria-invalid=${err ? 'true' : 'false'} aria-describedby="${id}-error ${id}-hint"
        @input=${(e: Event) => this.set({ [field]: (e.target as HTMLInputElement).value })} />
      ${opts.hint ? html`<div class="hint" id="${id}-hint">${opts.hint}</div>` : nothing}
      ${fieldError(id, err)}
    </div>`
  }

  private protocolSelect() {
    const err = this.error('protocol')
    return html`<div class="field">
      <label for="s-protocol">Protocol era</label>
      <select id="s-protocol" aria-invalid=${err ? 'true' : 'false'} aria-describedby="s-protocol-error s-protocol-hint"
        @change=${(e: Event) => this.set({ protocol: (e.target as HTMLSelectElement).value as ProtocolChoice })}>
        ${PROTOCOL_CHOICES.map(([value, label]) => html`<option .value=${value} ?selected=${this.state.protocol === value}>${label}</option>`)}
      </select>
      <div class="hint" id="s-protocol-hint">Auto-detect asks the server (server/discover) and falls back to 2025.</div>
      ${fieldError('s-protocol', err)}
    </div>`
  }

  private secrets(field: 'env' | 'headers', label: string, keyHint: string) {
    const list = this.state[field]
    const update = (i: number, patch: Partial<SecretRow>) =>
      this.set({ [field]: list.map((r, j) => (j === i ? { ...r, ...patch } : r)) })
    return html`<fieldset class="wide">
      <legend>${label}</legend>
      <div class="rows">
        ${list.map((r, i) => {
          const err = this.error(`${field}.${i}`)
          return html`<div>
            <div class="secret">
              <input aria-label="${label} name ${i + 1}" placeholder=${keyHint} .value=${r.key} ?readonly=${r.stored}
                aria-invalid=${err ? 'true' : 'false'} @input=${(e: Event) => update(i, { key: (e.target as HTMLInputElement).value })} />
              <input aria-label="${label} value ${i + 1}" type="password" autocomplete="off" .value=${r.value}
                placeholder=${r.stored ? 'stored · leave empty to keep' : 'value'}
                @input=${(e: Event) => update(i, { value: (e.target as HTMLInputElement).value })} />
              <button type="button" class="ghost small" aria-label="Remove ${r.key || `row ${i + 1}`}"
                @click=${() => this.set({ [field]: list.filter((_, j) => j !== i) })}>✕</button>
            </div>
            ${fieldError(`${field}-${i}`, err)}
          </div>`
        })}
        ${fieldError(field, this.error(field))}
        <div><button type="button" class="small" @click=${() => this.set({ [field]: [...list, { key: '', value: '', stored: false }] })}>
          Add ${field === 'env' ? 'variable' : 'header'}</button></div>
        <div class="hint">Values are encrypted at rest and never shown again.</div>
      </div>
    </fieldset>`
  }

  private setAuth(patch: Partial<AuthForm>): void {
    this.set({ auth: { ...this.state.auth, ...patch } })
  }

  private authInput(field: 'clientId' | 'scopes', label: string, hint: string, placeholder: string) {
    const err = this.error(`auth.${field}`)
    const id = `s-auth-${field}`
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} class="mono" placeholder=${placeholder} autocomplete="off" .value=${this.state.auth[field]}
        aria-invalid=${err ? 'true' : 'false'} aria-describedby="${id}-error ${id}-hint"
        @input=${(e: Event) => this.setAuth({ [field]: (e.target as HTMLInputElement).value })} />
      <div class="hint" id="${id}-hint">${hint}</div>
      ${fieldError(id, err)}
    </div>`
  }

  /** Remote servers: none (headers carry any static credential) or OAuth, where mcpo holds the tokens. */
  private authFields() {
    const a = this.state.auth
    const choice = <T extends string>(name: string, value: T, current: T, label: string, patch: Partial<AuthForm>) =>
      html`<label><input type="radio" name=${name} .value=${value} .checked=${current === value}
        @change=${() => this.setAuth(patch)} />${label}</label>`
    const secretErr = this.error('auth.clientSecret')
    return html`<fieldset class="wide">
        <legend>Authorization</legend>
        <div class="seg" role="radiogroup" aria-label="Authorization">
          ${choice('auth', 'none', a.type, 'None or headers', { type: 'none' })}
          ${choice('auth', 'oauth', a.type, 'OAuth', { type: 'oauth' })}
        </div>
        <div class="hint">${
          a.type === 'oauth'
            ? 'mcpo signs in at the server’s authorization server and sends its tokens. After saving, connect it in the server’s Overview.'
            : 'An API key or token goes in a header above.'
        }</div>
        ${fieldError('s-auth', this.error('auth'))}
      </fieldset>
      ${
        a.type === 'oauth'
          ? html`<fieldset class="wide">
              <legend>Credentials</legend>
              <div class="seg" role="radiogroup" aria-label="Credentials">
                ${choice('auth-credentials', 'project', a.credentials, 'Project', { credentials: 'project' })}
                ${choice('auth-credentials', 'user', a.credentials, 'Each member', { credentials: 'user' })}
              </div>
              <div class="hint">${
                a.credentials === 'project'
                  ? 'An Owner connects once; every call uses that account.'
                  : 'Each member connects their own account and calls as themselves.'
              }</div>
            </fieldset>
            ${this.authInput('clientId', 'Client ID', 'Optional: a client registered at the provider. Empty: mcpo registers itself.', 'optional')}
            <div class="field">
              <label for="s-auth-secret">Client secret</label>
              <div class="one-secret">
                <input id="s-auth-secret" type="password" autocomplete="off" .value=${a.clientSecret}
                  placeholder=${a.secretStored ? 'stored · leave empty to keep' : 'optional'}
                  aria-invalid=${secretErr ? 'true' : 'false'} aria-describedby="s-auth-secret-error s-auth-secret-hint"
                  @input=${(e: Event) => this.setAuth({ clientSecret: (e.target as HTMLInputElement).value })} />
                ${
                  a.secretStored
                    ? html`<button type="button" class="ghost small" aria-label="Remove the stored client secret"
                      @click=${() => this.setAuth({ secretStored: false, clientSecret: '' })}>✕</button>`
                    : nothing
                }
              </div>
              <div class="hint" id="s-auth-secret-hint">Encrypted at rest and never shown again.</div>
              ${fieldError('s-auth-secret', secretErr)}
            </div>
            ${this.authInput('scopes', 'Scopes', 'Space-separated. Empty: what the server asks for.', 'e.g. repo read:user')}`
          : nothing
      }`
  }

  override render() {
    const s = this.state
    const transports: [Transport, string][] = [
      ['streamable-http', 'Streamable HTTP'],
      ['sse', 'SSE'],
    ]
    if (this.canStdio || s.transport === 'stdio') transports.unshift(['stdio', 'stdio (local command)'])
    const t = this.tested
    return html`<form class="card stack" @submit=${this.onSubmit} novalidate aria-labelledby="server-form-title">
      <h2 id="server-form-title">${this.editing ? `Edit ${this.server!.name}` : 'Add a server'}</h2>
      ${errorAlert(this.save.general(['name', 'description', 'transport', 'command', 'args', 'cwd', 'env', 'url', 'headers', 'timeoutMs', 'healthCheckIntervalMs', 'protocol', 'auth']))}
      <div class="form-grid">
        ${this.editing ? nothing : this.input('name', 'Name', { mono: true, placeholder: 'e.g. github', hint: 'Part of the endpoint URL; a-z, 0-9 and -.' })}
        ${this.input('description', 'Description', { wide: this.editing })}
        <fieldset class="wide">
          <legend>Transport</legend>
          <div class="seg" role="radiogroup" aria-label="Transport">
            ${transports.map(
              ([
                value,
                label,
              ]) => html`<label><input type="radio" name="transport" .value=${value} .checked=${s.transport === value}
                @change=${() => this.set({ transport: value })} />${label}</label>`,
            )}
          </div>
          ${fieldError('s-transport', this.error('transport'))}
        </fieldset>
        ${
          s.transport === 'stdio'
            ? html`${this.input('command', 'Command', { mono: true, placeholder: 'e.g. npx or /usr/bin/node' })}
                ${this.input('cwd', 'Working directory', { mono: true, placeholder: 'optional' })}
                <div class="field wide">
                  <label for="s-args">Arguments <span class="muted">(one per line)</span></label>
                  <textarea id="s-args" .value=${s.args} rows="3"
                    @input=${(e: Event) => this.set({ args: (e.target as HTMLTextAreaElement).value })}></textarea>
                </div>
                ${this.secrets('env', 'Environment variables', 'NAME')}`
            : html`${this.input('url', 'URL', { wide: true, mono: true, type: 'url', placeholder: s.transport === 'sse' ? 'https://example.com/sse' : 'https://example.com/mcp' })}
                ${this.secrets('headers', 'Headers', 'Authorization')}
                ${this.authFields()}`
        }
        ${this.input('timeoutS', 'Timeout (seconds)', { type: 'number', errorField: 'timeoutMs', hint: 'How long one request may take upstream.' })}
        ${this.input('healthCheckS', 'Health check every (seconds)', {
          type: 'number',
          errorField: 'healthCheckIntervalMs',
          placeholder: 'default',
          hint: 'Pings the server while it runs (a remote one also while idle). Empty: the gateway default; 0: off.',
        })}
        ${hasProtocolChoice(s.transport) ? this.protocolSelect() : nothing}
        <div class="field">
          <span class="hint">&nbsp;</span>
          <label class="check"><input type="checkbox" .checked=${s.enabled} @change=${(e: Event) => this.set({ enabled: (e.target as HTMLInputElement).checked })} />Enabled</label>
          <label class="check"><input type="checkbox" .checked=${s.autoStart} @change=${(e: Event) => this.set({ autoStart: (e.target as HTMLInputElement).checked })} />Start with the gateway</label>
        </div>
      </div>
      ${
        t
          ? html`<div class="alert ${t.ok ? 'info' : 'error'} test-result" role="status">
              ${
                t.ok
                  ? html`Connected in ${t.durationMs} ms${t.serverInfo?.name ? html` to <strong>${t.serverInfo.name}</strong>` : nothing}: ${t.toolCount} tools.`
                  : html`<strong>Connection failed:</strong> ${t.error}${t.stderr?.length ? html`<pre>${t.stderr.join('\n')}</pre>` : nothing}`
              }
              ${
                this.confirming
                  ? html`<div class="confirm">
                      <span>Save anyway? The server is saved marked as failing, with this error, and left out of
                        client configs until it connects.</span>
                      <div class="row">
                        <button type="button" class="danger" data-save-anyway ?disabled=${this.save.busy}
                          @click=${() => this.store()}>${this.save.busy ? 'Saving…' : 'Save anyway'}</button>
                        <button type="button" @click=${() => (this.confirming = false)}>Keep editing</button>
                      </div>
                    </div>`
                  : nothing
              }
            </div>`
          : errorAlert(
              this.test.general([
                'name',
                'url',
                'command',
                'env',
                'headers',
                'timeoutMs',
                'healthCheckIntervalMs',
                'protocol',
                'transport',
                'auth',
              ]),
            )
      }
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this.save.busy || this.test.busy}>${this.save.busy ? 'Saving…' : this.editing ? 'Save changes' : 'Add server'}</button>
        <button type="button" ?disabled=${this.test.busy} @click=${this.onTest}>${this.test.busy ? 'Testing…' : 'Test connection'}</button>
        <button type="button" class="ghost" @click=${() => this.dispatchEvent(new Event('mcpo-cancel'))}>Cancel</button>
      </div>
    </form>`
  }
}

customElements.define('mcpo-server-form', McpoServerForm)
