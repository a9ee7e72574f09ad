// An MCP client's side of mcpo's OAuth flow, for tests: an SDK OAuthClientProvider that keeps its state in memory, and
// the browser's part (follow the authorization redirect, sign in, consent, come back with the code) done with fetch
// and a cookie jar that honours cookie paths, as a browser would.
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'

export const REDIRECT_URL = 'http://127.0.0.1:53682/callback'

export class TestOAuthProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined
  saved: OAuthTokens | undefined
  verifier = ''
  /** The authorization URL the SDK sent the "browser" to last. */
  authorizationUrl: URL | null = null

  constructor(
    private readonly options: { clientName?: string; clientMetadataUrl?: string; redirectUrl?: string } = {},
  ) {}

  get redirectUrl(): string {
    return this.options.redirectUrl ?? REDIRECT_URL
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName ?? 'mcpo test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }
  }

  clientInformation() {
    return this.info
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info
  }
  tokens() {
    return this.saved
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(v: string) {
    this.verifier = v
  }
  codeVerifier() {
    return this.verifier
  }
}

interface Cookie {
  name: string
  value: string
  path: string
}

/** The cookies a browser would keep for one origin, sent by path as a browser sends them. */
export class CookieJar {
  private readonly cookies: Cookie[] = []

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const pathAttr = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))
      const path = pathAttr ? pathAttr.slice(5) : '/'
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === ''
      const i = this.cookies.findIndex((c) => c.name === name && c.path === path)
      if (i !== -1) this.cookies.splice(i, 1)
      if (!expired) this.cookies.push({ name, value, path })
    }
  }

  header(path: string): string {
    return this.cookies
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }
}

export interface ConsentOptions {
  /** The signed-in user's session token (the admin UI's sign-in). */
  userToken: string
  allow?: boolean
  jar?: CookieJar
  /** Called with the consent page's details before deciding. */
  // biome-ignore lint/suspicious/noExplicitAny: the details are checked by the caller
  onDetails?(details: any): void
}

export interface ConsentResult {
  /** Where the browser ends up: the client's redirect URI with `code` (or `error`), `state` and `iss`. */
  redirect: URL
  code: string | null
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: error bodies vary
  decision: any
}

/** Plays the browser: authorization URL → consent page → decision → back to the client's redirect URI. */
export async function consent(authorizationUrl: URL, opts: ConsentOptions): Promise<ConsentResult> {
  const jar = opts.jar ?? new CookieJar()
  const origin = authorizationUrl.origin
  let lastBody = ''
  const get = async (url: URL) => {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url.pathname) } })
    jar.take(res)
    lastBody = await res.text()
    return res
  }
  const first = await get(authorizationUrl)
  const interaction = first.headers.get('location')
  if (first.status !== 303 || !interaction) {
    throw new Error(`authorization answered ${first.status} ${first.headers.get('location') ?? ''}`)
  }
  const page = new URL(interaction, origin)
  const auth = { authorization: `Bearer ${opts.userToken}` }
  const detailsUrl = new URL(`${page.pathname}/details`, origin)
  const details = await fetch(detailsUrl, { headers: { ...auth, cookie: jar.header(detailsUrl.pathname) } })
  const detailsBody = await details.json()
  if (details.status !== 200)
    throw new Error(`consent details answered ${details.status} ${JSON.stringify(detailsBody)}`)
  opts.onDetails?.(detailsBody)
  const decisionUrl = new URL(`${page.pathname}/decision`, origin)
  const decided = await fetch(decisionUrl, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', cookie: jar.header(decisionUrl.pathname) },
    body: JSON.stringify({ allow: opts.allow ?? true }),
  })
  jar.take(decided)
  const decision = await decided.json()
  if (decided.status !== 200) {
    return { redirect: page, code: null, status: decided.status, decision }
  }
  // Resume the authorization in the same browser: the provider redirects to the client with the code.
  let next = new URL(decision.redirectTo, origin)
  for (let hop = 0; hop < 5 && next.origin === origin; hop++) {
    const res = await get(next)
    const location = res.headers.get('location')
    if (!location && res.status === 200 && next.pathname.startsWith('/oauth/interaction/')) {
      const again = await fetch(new URL(`${next.pathname}/details`, origin), {
        headers: { ...auth, cookie: jar.header(`${next.pathname}/details`) },
      })
      throw new Error(`the authorization asked again: ${await again.text()}`)
    }
    if (!location)
      throw new Error(`resuming the authorization answered ${res.status} without a redirect: ${lastBody.slice(0, 300)}`)
    next = new URL(location, origin)
  }
  return { redirect: next, code: next.searchParams.get('code'), status: decided.status, decision }
}
