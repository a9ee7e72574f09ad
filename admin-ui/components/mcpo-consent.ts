// The OAuth consent page (/oauth/interaction/:uid): what an MCP client asks for (which project and server, as whom,
// where the code goes) and how the gateway knows the client, then Allow or Deny. Either answer sends the browser back
// to the client. A signed-out visitor never gets here: the app sends them to sign-in, which returns to this URL.
import { ContextConsumer } from '@lit/context'
import { css, html, LitElement, nothing, type TemplateResult } from 'lit'
import type { User } from '../api-types.ts'
import { apiContext } from '../contexts.ts'
import { Action } from '../controllers/action.ts'
import { Resource } from '../controllers/resource.ts'
import { type ConsentDetails, clientLabel, identityLine, roleWord, sentence } from '../oauth.ts'
import { base } from '../styles.ts'
import { authLayout } from './auth-layout.ts'
import { errorAlert, loading } from './template-pieces.ts'

export class McpoConsent extends LitElement {
  static override properties = { uid: {}, user: { attribute: false }, leaving: { state: true } }
  static override styles = [
    base,
    authLayout,
    css`
      .panel {
        max-width: 540px;
      }
      h1 {
        overflow-wrap: anywhere;
      }
      .identity {
        display: flex;
        align-items: flex-start;
        gap: 8px;
        font-size: 0.8125rem;
        color: var(--muted);
        margin: 6px 0 18px;
        overflow-wrap: anywhere;
      }
      .identity .badge {
        flex: none;
      }
      dl {
        display: grid;
        grid-template-columns: max-content minmax(0, 1fr);
        gap: 10px 16px;
        margin: 0 0 18px;
        font-size: 0.875rem;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .card > .alert {
        margin-bottom: 18px;
      }
      .actions {
        display: flex;
        gap: 10px;
        justify-content: flex-end;
        flex-wrap: wrap;
      }
      .actions button {
        min-width: 110px;
        min-height: 38px;
      }
      .fine {
        margin-top: 16px;
        font-size: 0.8125rem;
        color: var(--muted);
      }
      @media (max-width: 480px) {
        dl {
          grid-template-columns: 1fr;
          gap: 2px;
        }
        dd + dt {
          margin-top: 10px;
        }
        .actions button {
          flex: 1;
        }
      }
    `,
  ]

  declare uid: string
  declare user: User
  /** Set once the decision is sent and the browser is on its way back to the client. */
  declare leaving: boolean

  private readonly api = new ContextConsumer(this, { context: apiContext })
  private readonly decide = new Action(this)
  private readonly details = new Resource(this, {
    load: (signal) => this.api.value!.get<ConsentDetails>(`${this.path}/details`, { signal }),
    deps: () => [this.uid],
  })

  constructor() {
    super()
    this.leaving = false
  }

  private get path(): string {
    return `/oauth/interaction/${encodeURIComponent(this.uid)}`
  }

  private async answer(allow: boolean): Promise<void> {
    const result = await this.decide.run(() =>
      this.api.value!.post<{ redirectTo: string }>(`${this.path}/decision`, { allow }),
    )
    if (!result) return
    this.leaving = true
    // A full navigation: the authorization server finishes the request and redirects to the client from there.
    location.assign(result.redirectTo)
  }

  override render(): TemplateResult {
    const r = this.details
    let body: TemplateResult
    if (r.error && !r.value) body = this.failed(r.error.message)
    else if (!r.value) body = html`<div class="card">${loading('Loading the request')}</div>`
    else body = this.request(r.value)
    return html`<div class="panel">
      <div class="brand"><span class="logo" aria-hidden="true">m</span>mcpo</div>
      ${body}
    </div>`
  }

  private failed(message: string): TemplateResult {
    return html`<section class="card" aria-labelledby="failed-title">
      <h1 id="failed-title">This request cannot be completed</h1>
      <p class="lead" role="alert">${sentence(message)}</p>
      <p class="small muted">Go back to your app and connect again; it opens a new request.</p>
    </section>`
  }

  private request(d: ConsentDetails): TemplateResult {
    const name = clientLabel(d.client)
    const identity = identityLine(d.client)
    const project = d.project.name ?? d.project.id
    const you = d.user.name ? html`${d.user.name} <span class="muted">(${d.user.email})</span>` : d.user.email
    const busy = this.decide.busy || this.leaving
    return html`<section class="card" aria-labelledby="consent-title">
      <h1 id="consent-title">${d.canGrant ? html`Allow ${name} to use ${project}?` : html`${name} wants to use ${project}`}</h1>
      <p class="identity" data-identity>
        <span class="badge ${identity.verified ? 'ok' : 'warn'}">${identity.verified ? 'verified' : 'unverified'}</span>
        <span>${identity.text}</span>
      </p>
      ${
        d.canGrant
          ? nothing
          : html`<div class="alert warn" role="note" data-not-member>
              Only members of the project can connect apps to it, and ${d.user.email ?? 'you'} is not a member of
              ${project}. Ask one of its Owners to add you, or sign in with another account.
            </div>`
      }
      <dl>
        <dt>Project</dt><dd><strong>${project}</strong> <code>${d.project.id}</code></dd>
        <dt>Server</dt><dd>${d.server ? html`<code>${d.server}</code>` : 'all servers of the project'}</dd>
        ${
          d.canGrant && d.role
            ? html`<dt>It may</dt><dd>call the project's tools as you, with your role <strong>${roleWord(d.role)}</strong></dd>`
            : nothing
        }
        <dt>Sends you back to</dt><dd><code>${d.client.redirectHost ?? 'the app'}</code></dd>
        <dt>Signed in as</dt><dd>${you}</dd>
      </dl>
      ${errorAlert(this.decide.error)}
      <div class="actions">
        ${
          d.canGrant
            ? html`<button type="button" ?disabled=${busy} @click=${() => this.answer(false)}>Deny</button>
                <button type="button" class="primary" ?disabled=${busy} @click=${() => this.answer(true)}>${this.leaving ? 'Returning…' : 'Allow'}</button>`
            : html`<button type="button" class="primary" ?disabled=${busy} @click=${() => this.answer(false)}>Cancel and return to the app</button>`
        }
      </div>
      ${
        d.canGrant
          ? html`<p class="fine">You can disconnect ${name} at any time from your profile's Connected apps.</p>`
          : nothing
      }
    </section>`
  }
}

customElements.define('mcpo-consent', McpoConsent)
