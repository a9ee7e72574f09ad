// The admin UI's only way to the gateway: a typed fetch wrapper over /api with the session cookie (or a bearer token
// for embedded views), the CSRF header cookie sessions need, and one error type that carries the API's field errors.
// It touches no DOM: the cookie reader and fetch are injected, so it runs under node:test as it does in a browser.

/** A field the API rejected and why, as `details.fields` of a 400 answer lists them. */
export interface FieldError {
  field: string
  message: string
}

/** Any non-2xx answer (or a network failure, status 0). `fields` maps a field path ("url", "env.TOKEN") to a message. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: Record<string, string>
  readonly retryAfterS: number | null

  constructor(
    status: number,
    code: string,
    message: string,
    fields: FieldError[] = [],
    retryAfterS: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = {}
    for (const f of fields) this.fields[f.field] ??= f.message
    this.retryAfterS = retryAfterS
  }

  /** The message for one field, also matching nested paths ("env" finds "env.TOKEN"). */
  fieldError(field: string): string | null {
    if (this.fields[field]) return this.fields[field]
    for (const [k, v] of Object.entries(this.fields)) if (k.startsWith(`${field}.`)) return v
    return null
  }
}

export function isApiError(err: unknown, status?: number): err is ApiError {
  return err instanceof ApiError && (status === undefined || err.status === status)
}

/** True for a fetch aborted through its AbortSignal: a controller cancelled it on purpose, nothing to show. */
export function isAbort(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError')
  )
}

export interface ApiClientOptions {
  /** Origin (and optional prefix) of the gateway; '' means the page's own origin. */
  baseUrl?: string
  /** A session token or API token sent as `Authorization: Bearer`; without it the session cookie is used. */
  token?: string | null
  fetch?: typeof fetch
  /** Reads the CSRF cookie the gateway set at sign-in; cookie sessions echo it on state-changing requests. */
  csrfToken?: () => string | null
  /** Called on every 401, e.g. to show the sign-in page. */
  onUnauthenticated?: () => void
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  signal?: AbortSignal
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The `mcpo_csrf` cookie from a `document.cookie` string. */
export function csrfFromCookie(cookie: string): string | null {
  const m = /(?:^|;\s*)mcpo_csrf=([^;]*)/.exec(cookie)
  return m?.[1] ? decodeURIComponent(m[1]) : null
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  const s = params.toString()
  return s ? `?${s}` : ''
}

/**
 * @example
 * const api = new ApiClient({ onUnauthenticated: () => router.navigate('/admin/signin') })
 * const projects = await api.get<Page<Project>>('/api/projects', { signal })
 */
export class ApiClient {
  readonly baseUrl: string
  private token: string | null
  private readonly fetchImpl: typeof fetch
  private readonly csrf: () => string | null
  private readonly onUnauthenticated: (() => void) | undefined

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '')
    this.token = options.token ?? null
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.csrf = options.csrfToken ?? (() => csrfFromCookie(globalThis.document?.cookie ?? ''))
    this.onUnauthenticated = options.onUnauthenticated
  }

  /** The absolute URL of a gateway path, e.g. for endpoints shown to users. */
  url(path: string): string {
    if (this.baseUrl) return this.baseUrl + path
    return (globalThis.location?.origin ?? '') + path
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, undefined, options)
  }

  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, body, options)
  }

  put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, body, options)
  }

  delete<T = void>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, undefined, options)
  }

  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token) headers.authorization = `Bearer ${this.token}`
    else if (STATE_CHANGING.has(method)) {
      const csrf = this.csrf()
      if (csrf) headers['x-csrf-token'] = csrf
    }
    let res: Response
    try {
      res = await this.fetchImpl(this.baseUrl + path + buildQuery(options.query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // A bearer token needs no cookie; sending one across origins would also need CORS with credentials, which
        // the gateway never allows (security.corsOrigins is for bearer calls only).
        credentials: this.baseUrl && !this.token ? 'include' : 'same-origin',
        signal: options.signal,
      })
    } catch (err) {
      if (isAbort(err)) throw err
      throw new ApiError(0, 'MCPO_ERR_NETWORK', 'the gateway cannot be reached; check your connection and try again')
    }
    // Bearer sessions are renewed in a header (cookie sessions get a new cookie): keep the fresh token.
    const renewed = res.headers.get('x-mcpo-token')
    if (renewed && this.token) this.token = renewed
    const text = await res.text()
    let parsed: unknown = null
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = null
      }
    }
    if (res.ok) return (parsed ?? undefined) as T
    if (res.status === 401) this.onUnauthenticated?.()
    throw errorFrom(res.status, parsed, res.headers.get('retry-after'))
  }
}

/**
 * The ApiError for an error answer `{ error: { code, message, details? } }`, or OAuth's `{ error, error_description }`
 * (the consent page's calls), or a plain one for anything else.
 */
export function errorFrom(status: number, body: unknown, retryAfter: string | null = null): ApiError {
  const oauth = body as { error?: unknown; error_description?: unknown } | null
  if (typeof oauth?.error === 'string') {
    const description = typeof oauth.error_description === 'string' ? oauth.error_description : null
    return new ApiError(status, oauth.error, description ?? `the gateway answered ${status} (${oauth.error})`)
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } } | null)
    ?.error
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${status}`
  const message = typeof error?.message === 'string' ? error.message : `the gateway answered ${status}`
  const details = error?.details ?? {}
  const fields: FieldError[] = []
  if (Array.isArray(details.fields)) {
    for (const f of details.fields as unknown[]) {
      const { field, message: m } = (f ?? {}) as { field?: unknown; message?: unknown }
      if (typeof field === 'string' && typeof m === 'string') fields.push({ field, message: m })
    }
  } else if (typeof details.field === 'string') {
    // Some 404s and 409s name the one field they are about; the message is the whole story.
    fields.push({ field: details.field, message })
  }
  const retry =
    typeof details.retryAfterS === 'number' ? details.retryAfterS : retryAfter ? Number(retryAfter) || null : null
  return new ApiError(status, code, message, fields, retry)
}
