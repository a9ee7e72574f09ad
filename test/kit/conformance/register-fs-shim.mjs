// Loaded with `node --import` in front of the conformance suite's CLI on Node 20: its bundle imports `globSync` from
// `fs`, which Node has only from 22, so that one import is pointed at fs-shim.mjs (the suite uses it only to find
// the checks.json files of a results folder). On Node 22 and later nothing is redirected.
import { register } from 'node:module'

if (!('globSync' in (await import('node:fs')))) register('./fs-hooks.mjs', import.meta.url)
