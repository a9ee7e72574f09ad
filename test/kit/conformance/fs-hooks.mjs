// Module resolution hook (see register-fs-shim.mjs): `fs` imported by the conformance suite resolves to fs-shim.mjs.
const SHIM = new URL('./fs-shim.mjs', import.meta.url).href

export async function resolve(specifier, context, next) {
  if (
    (specifier === 'fs' || specifier === 'node:fs') &&
    context.parentURL?.includes('/@modelcontextprotocol/conformance/')
  )
    return { url: SHIM, shortCircuit: true }
  return next(specifier, context)
}
