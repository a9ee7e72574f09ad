// <mcpo-embed-activity api-base token project-id>: the Activity tab (tool calls, audit events, filters, metrics,
// export) outside the console. No API link: a plain link cannot carry the bearer token.
import { html } from 'lit'
import { EmbedBase } from './embed-base.ts'
import './mcpo-activity-tab.ts'

export class McpoEmbedActivity extends EmbedBase {
  override render() {
    return this.frame(
      'Activity',
      html`<mcpo-activity-tab .projectId=${this.projectId} .apiLink=${false}></mcpo-activity-tab>`,
    )
  }
}

customElements.define('mcpo-embed-activity', McpoEmbedActivity)
