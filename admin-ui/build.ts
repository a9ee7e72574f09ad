// Bundles the admin UI with esbuild into admin-ui/dist: content-hashed assets under dist/assets, an index.html with
// no inline script or style (so `default-src 'self'` holds), and a manifest naming the source hash it was built
// from; the embeddable views (admin-ui/build-embed.ts) go to dist/embed in the same build. The gateway calls
// ensureAdminUi() at boot, so users never run a build step: a missing or stale dist (any source file changed) is
// rebuilt, an up-to-date one costs one hash of the sources. A tree this process may not write (the Docker image,
// built with `npm run build:ui`) is never written: its bundle is served as built, and a missing one is an error.
// Run by hand with `npm run build:ui`.
import { createHash } from 'node:crypto'
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildEmbed } from './build-embed.ts'

export const ADMIN_UI_DIR = import.meta.dirname
export const DIST_DIR = join(ADMIN_UI_DIR, 'dist')
/** Where index.html expects its assets; admin-static.ts serves them from there. */
export const ASSET_PREFIX = '/admin/assets/'

export interface Manifest {
  sourceHash: string
  builtAt: string
  /** Asset file names under dist/assets. */
  assets: string[]
  entry: { script: string; style: string; icon: string }
  /** File names under dist/embed: the embeddable views' bundle and the example page. */
  embed: { script: string; example: string }
}

interface Log {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#4f46e5"/><path d="M8 22V10l8 7 8-7v12" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>`

/** The files the bundle is made of: UI sources (tests and dist excluded) and this build script. */
function sourceFiles(dir = ADMIN_UI_DIR): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'dist' && entry.name !== 'node_modules') out.push(...sourceFiles(path))
    } else if (/\.(ts|css|html)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out.sort()
}

/** A hash of every source file's path and content, and of the lit version the bundle inlines. */
export function sourceHash(): string {
  const h = createHash('sha256')
  for (const file of sourceFiles()) {
    h.update(relative(ADMIN_UI_DIR, file))
    h.update('\0')
    h.update(readFileSync(file))
    h.update('\0')
  }
  for (const pkg of ['lit', '@lit/context', 'esbuild']) {
    try {
      h.update(readFileSync(join(ADMIN_UI_DIR, '..', 'node_modules', pkg, 'package.json')))
    } catch {
      h.update(`${pkg}:missing`)
    }
  }
  return h.digest('hex').slice(0, 32)
}

export function readManifest(dist = DIST_DIR): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')) as Manifest
  } catch {
    return null
  }
}

/** Writes through a temporary file and a rename, so a gateway starting meanwhile never reads half a file. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

function indexHtml(entry: Manifest['entry']): string {
  const a = (name: string) => ASSET_PREFIX + name
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>mcpo</title>
<link rel="icon" type="image/svg+xml" href="${a(entry.icon)}">
<link rel="stylesheet" href="${a(entry.style)}">
<script type="module" src="${a(entry.script)}"></script>
</head>
<body>
<mcpo-app>Loading mcpo…</mcpo-app>
<noscript>The mcpo console needs JavaScript.</noscript>
</body>
</html>
`
}

/** Builds the bundle into `dist` (default admin-ui/dist) and answers its manifest. */
export async function buildAdminUi(
  options: { dist?: string; minify?: boolean; hash?: string } = {},
): Promise<Manifest> {
  const dist = options.dist ?? DIST_DIR
  const hash = options.hash ?? sourceHash()
  const { build } = await import('esbuild')
  const [embedFile, result] = await Promise.all([
    buildEmbed({ outdir: join(dist, 'embed'), minify: options.minify }),
    build({
      entryPoints: { main: join(ADMIN_UI_DIR, 'main.ts'), page: join(ADMIN_UI_DIR, 'page.css') },
      bundle: true,
      format: 'esm',
      target: ['chrome111', 'firefox115', 'safari16.4'],
      minify: options.minify ?? true,
      sourcemap: 'linked',
      legalComments: 'none',
      entryNames: '[name]-[hash]',
      outdir: join(dist, 'assets'),
      write: false,
      logLevel: 'silent',
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: true } },
    }),
  ])
  const assetsDir = join(dist, 'assets')
  mkdirSync(assetsDir, { recursive: true })
  const assets: string[] = []
  for (const file of result.outputFiles) {
    writeAtomic(file.path, file.contents)
    assets.push(basename(file.path))
  }
  const icon = `favicon-${createHash('sha256').update(FAVICON).digest('hex').slice(0, 8)}.svg`
  writeAtomic(join(assetsDir, icon), FAVICON)
  assets.push(icon)
  const pick = (re: RegExp) => {
    const name = assets.find((n) => re.test(n))
    if (!name) throw new Error(`the admin UI build made no file matching ${re}`)
    return name
  }
  const manifest: Manifest = {
    sourceHash: hash,
    builtAt: new Date().toISOString(),
    assets: assets.sort(),
    entry: { script: pick(/^main-.*\.js$/), style: pick(/^page-.*\.css$/), icon },
    embed: { script: basename(embedFile), example: 'embed.html' },
  }
  writeAtomic(join(dist, 'index.html'), indexHtml(manifest.entry))
  writeAtomic(join(dist, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  // Older hashed files go; a build running at the same moment may have written some of them, so only old ones.
  for (const name of readdirSync(assetsDir)) {
    const path = join(assetsDir, name)
    if (!assets.includes(name) && Date.now() - statSync(path).mtimeMs > 60_000) rmSync(path, { force: true })
  }
  return manifest
}

/** Whether this process may write `dist` (or create it): false in a read-only app tree such as the image's. */
export function canWrite(dist: string): boolean {
  let dir = dist
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The dist directory, rebuilt first when it is missing or older than the sources and this process may write it.
 * `readOnly` (default: `dist` is not writable) never writes: a bundle is served as it is, even one built from other
 * sources, and a missing bundle throws, naming the build step the tree's builder skipped.
 */
export async function ensureAdminUi(
  options: { dist?: string; logger?: Log; readOnly?: boolean } = {},
): Promise<Manifest> {
  const dist = options.dist ?? DIST_DIR
  const current = readManifest(dist)
  const hash = sourceHash()
  if (current?.sourceHash === hash && current.embed) return current
  if (options.readOnly ?? !canWrite(dist)) {
    if (!current?.embed)
      throw new Error(
        `${dist} holds no admin UI bundle and this process may not write there (a read-only app tree): build it ` +
          'when the tree is made, with `npm run build:ui` (the Dockerfile does so before USER)',
      )
    options.logger?.warn(
      { dir: dist, built: current.sourceHash, sources: hash },
      'the admin UI bundle was built from other sources and the app tree is read-only: serving it as built',
    )
    return current
  }
  const started = Date.now()
  const manifest = await buildAdminUi({ dist, hash })
  options.logger?.info(
    { ms: Date.now() - started, dir: dist },
    current ? 'rebuilt the admin UI (sources changed)' : 'built the admin UI',
  )
  return manifest
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const m = await buildAdminUi()
  process.stdout.write(`admin UI built into ${DIST_DIR}: ${m.assets.join(', ')}\n`)
}
