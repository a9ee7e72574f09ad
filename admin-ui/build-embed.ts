// Bundles admin-ui/embed.ts into one self-contained ES module, `mcpo-embed.js`, for admins' own portals, with the
// example page beside it. Same esbuild settings as the console bundle; admin-ui/build.ts runs it with every build, so
// the gateway serves both at /admin/embed/.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const EMBED_ENTRY = join(import.meta.dirname, 'embed.ts')
export const EMBED_EXAMPLE = join(import.meta.dirname, 'examples', 'embed.html')

/** Writes `mcpo-embed.js` (and `embed.html`, the example) into `outdir`; answers the bundle's path. */
export async function buildEmbed(options: { outdir: string; minify?: boolean }): Promise<string> {
  const { build } = await import('esbuild')
  mkdirSync(options.outdir, { recursive: true })
  const outfile = join(options.outdir, 'mcpo-embed.js')
  const result = await build({
    entryPoints: [EMBED_ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: options.minify ?? true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: true } },
  })
  // A gateway starting while another one builds must never read half a file: write aside, then rename.
  const writeAtomic = (path: string, data: string | Uint8Array) => {
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  }
  for (const file of result.outputFiles) writeAtomic(file.path, file.contents)
  writeAtomic(join(options.outdir, 'embed.html'), readFileSync(EMBED_EXAMPLE))
  return outfile
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = join(import.meta.dirname, 'dist', 'embed')
  const file = await buildEmbed({ outdir })
  process.stdout.write(`embeddable views built: ${file} (example: ${join(outdir, 'embed.html')})\n`)
}
