// Runs one user action (a form submit, a button): busy while it runs, the API error it ended with (field errors
// included) for the template to show next to the right field, and no double submits.
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import { ApiError } from '../api-client.ts'

export class Action implements ReactiveController {
  busy = false
  error: ApiError | null = null
  /** Which item the running action is about (a row id), so only its button shows the spinner. */
  subject: string | null = null

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this)
  }

  hostConnected(): void {}

  /** Runs `fn`; answers its value, or undefined when it failed (the error is in `error`) or one was running. */
  async run<T>(fn: () => Promise<T>, subject: string | null = null): Promise<T | undefined> {
    if (this.busy) return undefined
    this.busy = true
    this.subject = subject
    this.error = null
    this.host.requestUpdate()
    try {
      return await fn()
    } catch (err) {
      this.error = err instanceof ApiError ? err : new ApiError(0, 'MCPO_ERR_CLIENT', (err as Error).message)
      return undefined
    } finally {
      this.busy = false
      this.host.requestUpdate()
    }
  }

  /** The error of one field, or null. */
  field(name: string): string | null {
    return this.error?.fieldError(name) ?? null
  }

  /**
   * The message to show above the form: the whole error unless one of the `shown` fields displays it (a conflict,
   * a permission problem or a network failure has no field).
   */
  general(shown: readonly string[] = []): string | null {
    if (!this.error) return null
    const fields = Object.keys(this.error.fields)
    const displayed = fields.some((f) => shown.some((s) => f === s || f.startsWith(`${s}.`)))
    return displayed ? null : this.error.message
  }

  /**
   * Shows problems found before any request (a required field left empty) the same way as the API's field errors.
   * Answers true when there were any, so a submit handler can stop: `if (action.invalid({ name: ... })) return`.
   */
  invalid(problems: Record<string, string | null | false>): boolean {
    const fields = Object.entries(problems)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([field, message]) => ({ field, message }))
    if (!fields.length) return false
    this.error = new ApiError(
      400,
      'MCPO_ERR_VALIDATION',
      fields.map((f) => `${f.field}: ${f.message}`).join('; '),
      fields,
    )
    this.host.requestUpdate()
    return true
  }

  clear(): void {
    this.error = null
    this.host.requestUpdate()
  }
}
