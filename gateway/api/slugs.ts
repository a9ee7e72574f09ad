// Ids made from names: a project id or team slug defaults to a slug of its name, made unique with -2, -3, …
import { randomBytes } from 'node:crypto'

/** Lower-case ASCII letters, digits and single dashes; accents dropped ("Équipe Données" → "equipe-donnees"). */
export function slugify(name: string, fallback: string, maxLength = 48): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, maxLength)
    .replace(/-+$/, '')
  return s || fallback
}

/** The first of base, base-2, base-3 … that `taken` says is free; after a few tries a random suffix. */
export async function uniqueSlug(base: string, taken: (candidate: string) => Promise<boolean>): Promise<string> {
  for (let n = 1; n <= 20; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`
    if (!(await taken(candidate))) return candidate
  }
  return `${base}-${randomBytes(4).toString('hex')}`
}
