// Serves the admin UI at /admin: the bundle (built at boot when missing or stale in a writable tree, served as built
// in a read-only one such as the image's; see admin-ui/build.ts) is read into memory once; hashed assets are
// immutable, index.html is revalidated on every load and answers any UI path (history routing); `/` redirects to
// /admin. The page runs under a strict CSP: no inline script or style exists.
// The embeddable views' bundle has a stable URL, /admin/embed/mcpo-embed.js, for other portals to load (CORS for
// `security.corsOrigins` comes from the gateway's edge), with its example page beside it
// (/admin/examples/embed.html leads there).
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ASSET_PREFIX, DIST_DIR, ensureAdminUi } from '../admin-ui/build.ts'
import type { Logger } from '../plugins/contract.ts'
import { type HeaderMap, type IncomingRequest, type Responder, sendError } from './http.ts'
import type { Router } from './router.ts'

interface Asset {
  body: Buffer
  gzip: Buffer | null
  type: string
  etag: string
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  map: 'application/json',
  html: 'text/html; charset=utf-8',
}

const SECURITY: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export const ADMIN_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** The example page's CSP: the admin CSP plus the hashes of its own inline blocks, so nothing else inline runs. */
export function exampleCsp(html: string): string {
  const hashes = (re: RegExp) =>
    [...html.matchAll(re)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`).join(' ')
  return [
    ADMIN_CSP,
    `script-src 'self' ${hashes(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)}`,
    `style-src 'self' ${hashes(/<style[^>]*>([\s\S]*?)<\/style>/g)}`,
  ].join('; ')
}

function load(dir: string, name: string, etag: string): Asset {
  const body = readFileSync(join(dir, name))
  const ext = name.slice(name.lastIndexOf('.') + 1)
  // Text compresses several-fold; the bundle is read once at boot, so compress once too.
  const gzip = ext === 'js' || ext === 'css' || ext === 'map' || ext === 'html' || ext === 'svg' ? gzipSync(body) : null
  return { body, gzip, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${etag}"` }
}

function send(req: IncomingRequest, res: Responder, asset: Asset, headers: Record<string, string>): void {
  if (req.headers['if-none-match'] === asset.etag) {
    res.send(304, { etag: asset.etag, ...headers })
    return
  }
  const gz = asset.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')
  const out: Record<string, string> = {
    'content-type': asset.type,
    etag: asset.etag,
    vary: 'accept-encoding',
    ...headers,
  }
  if (gz) out['content-encoding'] = 'gzip'
  res.send(200, out as HeaderMap, req.method === 'HEAD' ? undefined : gz ? asset.gzip! : asset.body)
}

export const EMBED_PATH = '/admin/embed/mcpo-embed.js'
export const EXAMPLE_PATH = '/admin/embed/embed.html'

export interface AdminUiOptions {
  logger: Logger
  /** Where the bundle is; default admin-ui/dist. */
  dist?: string
}

/** Builds the UI if needed (and allowed) and adds its routes. No bundle leaves the gateway up, /admin answering 503. */
export async function addAdminUi(router: Router, options: AdminUiOptions): Promise<void> {
  const dist = options.dist ?? DIST_DIR
  let index: Asset | null = null
  const assets = new Map<string, Asset>()
  let embed: Asset | null = null
  let example: Asset | null = null
  let exampleHeaders: Record<string, string> = {}
  try {
    const manifest = await ensureAdminUi({ dist, logger: options.logger })
    index = load(dist, 'index.html', manifest.sourceHash)
    for (const name of manifest.assets) assets.set(name, load(join(dist, 'assets'), name, name))
    embed = load(join(dist, 'embed'), manifest.embed.script, `embed-${manifest.sourceHash}`)
    example = load(join(dist, 'embed'), manifest.embed.example, `example-${manifest.sourceHash}`)
    exampleHeaders = {
      'cache-control': 'no-cache',
      'content-security-policy': exampleCsp(example.body.toString('utf8')),
      ...SECURITY,
    }
  } catch (err) {
    options.logger.error({ err }, 'the admin UI could not be built or read; /admin is unavailable')
  }

  router.add('GET', '/', (_req, res) => res.send(302, { location: '/admin', 'cache-control': 'no-cache' }))
  router.add('GET', '/admin/*', (req, res, params) => {
    if (!index || !embed || !example)
      return sendError(res, 503, 'MCPO_ERR_INTERNAL', 'the admin UI is unavailable; see the gateway log')
    const rest = params['*'] ?? ''
    if (req.path.startsWith(ASSET_PREFIX)) {
      const asset = assets.get(rest.slice(rest.indexOf('/') + 1))
      if (!asset) return sendError(res, 404, 'MCPO_ERR_NOT_FOUND', 'no such asset')
      // Names carry their content hash: a new build makes new names, so browsers may keep these forever.
      return send(req, res, asset, { 'cache-control': 'public, max-age=31536000, immutable', ...SECURITY })
    }
    if (req.path === EMBED_PATH) {
      // A stable URL portals hard-code: a short freshness so a new build reaches them within minutes, then the
      // ETag answers 304. Cross-origin loads (a module script is a CORS request) are the edge's CORS decision.
      return send(req, res, embed, { 'cache-control': 'public, max-age=300', ...SECURITY })
    }
    if (req.path === EXAMPLE_PATH) return send(req, res, example, exampleHeaders)
    // The page loads `./mcpo-embed.js`, as it does beside the bundle in a portal: one canonical place for it.
    if (req.path === '/admin/examples/embed.html')
      return res.send(302, { location: EXAMPLE_PATH, 'cache-control': 'no-cache' })
    if (req.path.startsWith('/admin/embed/') || req.path.startsWith('/admin/examples/'))
      return sendError(res, 404, 'MCPO_ERR_NOT_FOUND', 'no such file')
    // Every other UI path is a client-side route: the same page, revalidated on each load so a new build shows.
    send(req, res, index, { 'cache-control': 'no-cache', 'content-security-policy': ADMIN_CSP, ...SECURITY })
  })
  // The OAuth consent page: the authorization server sends the browser here, and the page's calls to
  // /oauth/interaction/:uid/… carry the cookie that ties the request to this browser.
  router.add('GET', '/oauth/interaction/:uid', (req, res) => {
    if (!index) return sendError(res, 503, 'MCPO_ERR_INTERNAL', 'the admin UI is unavailable; see the gateway log')
    send(req, res, index, { 'cache-control': 'no-store', 'content-security-policy': ADMIN_CSP, ...SECURITY })
  })
}
