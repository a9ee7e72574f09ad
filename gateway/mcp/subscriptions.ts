// Resource subscriptions on a shared upstream: one upstream subscription per URI however many sessions asked, and
// `notifications/resources/updated` delivered only to the sessions subscribed to that URI (protocol.md §4.6).
import type { Session } from './session.ts'

export class Subscriptions {
  private readonly byUri = new Map<string, Set<Session>>()

  /** Adds `session`; true when it is the URI's first subscriber, so the upstream must be asked. */
  add(session: Session, uri: string): boolean {
    let subs = this.byUri.get(uri)
    if (!subs) {
      subs = new Set()
      this.byUri.set(uri, subs)
    }
    const first = subs.size === 0
    subs.add(session)
    return first
  }

  /** Removes `session`; true when it was the URI's last subscriber, so the upstream subscription can end. */
  remove(session: Session, uri: string): boolean {
    const subs = this.byUri.get(uri)
    if (!subs?.delete(session)) return false
    if (subs.size > 0) return false
    this.byUri.delete(uri)
    return true
  }

  subscribers(uri: string): Iterable<Session> {
    return this.byUri.get(uri) ?? []
  }

  /** Every URI someone is subscribed to (a 2026-07-28 upstream takes them all in one `subscriptions/listen`). */
  uris(): string[] {
    return [...this.byUri.keys()]
  }
}
