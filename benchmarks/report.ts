// Results: the machine they ran on, tables with baseline, peer and mcpo side by side (and mcpo's ratios), written as
// JSON and markdown into benchmarks/results/, and the latest full run copied into benchmarks/README.md.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { goals, goalsMarkdown } from './goals.ts'
import { hardNoFile, softNoFile } from './proc.ts'

export type Value = number | string | null

export interface Row {
  metric: string
  baseline: Value
  peer: Value
  mcpo: Value
  /** mcpo with the same config minus the tool-call record (audit) and metrics; absent where not measured. */
  mcpoNoRecording?: Value
  /** Decimals shown. Default 1. */
  digits?: number
  /** Show mcpo/baseline and mcpo/peer. Default true for numbers. */
  ratio?: boolean
}

export interface Table {
  title: string
  rows: Row[]
  note?: string
}

export interface ScenarioResult {
  id: string
  title: string
  /** How to run this scenario alone. */
  command: string
  params: Record<string, unknown>
  tables: Table[]
  notes: string[]
  /** Warnings and errors the services logged, and anything that went wrong: shown, never hidden. */
  problems: string[]
  durationS: number
  raw: unknown
}

export interface Machine {
  cores: number
  cpuModel: string
  memoryGiB: number
  freeMemoryGiB: number
  node: string
  kernel: string
  openFilesSoft: number
  openFilesHard: number
  loadAvgStart: number[]
  loadAvgEnd?: number[]
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    kernel: release(),
    openFilesSoft: softNoFile(),
    openFilesHard: hardNoFile(),
    loadAvgStart: loadavg().map((x) => round(x, 2)),
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function fmt(v: Value, digits = 1): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'string') return v
  if (!Number.isFinite(v)) return '—'
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function ratio(a: Value, b: Value): string {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0 || !Number.isFinite(a) || !Number.isFinite(b))
    return '—'
  return `${(a / b).toFixed(2)}×`
}

export function tableMarkdown(t: Table): string {
  const withBare = t.rows.some((r) => r.mcpoNoRecording !== undefined)
  const out = [
    `**${t.title}**`,
    '',
    `| metric | baseline (SDK, no gateway) | peer (mcp-proxy) | mcpo | mcpo/baseline | mcpo/peer |${
      withBare ? ' mcpo without recording | mcpo/without recording |' : ''
    }`,
    `|---|--:|--:|--:|--:|--:|${withBare ? '--:|--:|' : ''}`,
  ]
  for (const r of t.rows) {
    const showRatio = r.ratio ?? true
    const bare = withBare
      ? ` ${fmt(r.mcpoNoRecording ?? null, r.digits)} | ${showRatio ? ratio(r.mcpo, r.mcpoNoRecording ?? null) : '—'} |`
      : ''
    out.push(
      `| ${r.metric} | ${fmt(r.baseline, r.digits)} | ${fmt(r.peer, r.digits)} | ${fmt(r.mcpo, r.digits)} | ${
        showRatio ? ratio(r.mcpo, r.baseline) : '—'
      } | ${showRatio ? ratio(r.mcpo, r.peer) : '—'} |${bare}`,
    )
  }
  if (t.note) out.push('', t.note)
  return out.join('\n')
}

const HEADLINE =
  /(: calls\/s|latency p50 ms|latency p99 ms|misrouted|\*\*memory per session|JS heap per session|: req\/s|tools\/list p50|tools\/call p50|answering a ping)/

/** The headline rows of every scenario in one table. */
export function summary(scenarios: ScenarioResult[]): Table {
  const rows: Row[] = []
  for (const s of scenarios) {
    for (const t of s.tables) {
      const where = t.title.split(' · ').slice(0, 3).join(' · ')
      for (const r of t.rows)
        if (HEADLINE.test(r.metric)) rows.push({ ...r, metric: `${where} · ${r.metric.replace(/\*\*/g, '')}` })
    }
  }
  return {
    title: 'Summary (headline rows of every table below)',
    rows,
    note: 'Ratios: for calls/s and req/s above 1× means mcpo is faster; for latency and memory below 1× means mcpo is better.',
  }
}

export function scenarioMarkdown(s: ScenarioResult): string {
  const out = [`### ${s.id}. ${s.title}`, '', `Run alone: \`${s.command}\` (took ${s.durationS.toFixed(0)} s)`, '']
  for (const t of s.tables) out.push(tableMarkdown(t), '')
  for (const n of s.notes) out.push(`- ${n}`)
  if (s.notes.length) out.push('')
  if (s.problems.length) {
    out.push('Problems seen during this scenario:', '')
    for (const p of s.problems.slice(0, 20)) out.push(`- ${p.replace(/\s+/g, ' ').slice(0, 400)}`)
    if (s.problems.length > 20) out.push(`- … and ${s.problems.length - 20} more (see the JSON file)`)
    out.push('')
  }
  return out.join('\n')
}

export function machineMarkdown(m: Machine, command: string, date: string): string {
  return [
    `- Date: ${date}`,
    `- Command: \`${command}\``,
    `- Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory (${m.freeMemoryGiB} GiB free at start), Linux ${m.kernel}`,
    `- Node ${m.node}; open files: soft ${m.openFilesSoft}, hard ${m.openFilesHard}`,
    `- Load average (1/5/15 min) at start: ${m.loadAvgStart.join(' / ')}${
      m.loadAvgEnd ? `; at end: ${m.loadAvgEnd.join(' / ')}` : ''
    } (other work on the machine inflates every column alike, but not equally per scenario)`,
  ].join('\n')
}

export const RESULTS_DIR = join(import.meta.dirname, 'results')

/** Writes results/<name>.json and results/<name>.md (the latest run of that name replaces the previous one). */
export function writeResults(
  name: string,
  payload: { machine: Machine; command: string; date: string; scenarios: ScenarioResult[] },
): { json: string; md: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const json = join(RESULTS_DIR, `${name}.json`)
  const md = join(RESULTS_DIR, `${name}.md`)
  // A run of one scenario shows only the targets it measured.
  const targets = goals(payload.scenarios).filter((g) => payload.scenarios.length > 1 || g.met !== null)
  writeFileSync(json, `${JSON.stringify({ ...payload, targets }, null, 2)}\n`)
  const markdown = [
    `# mcpo benchmark results (${name})`,
    '',
    machineMarkdown(payload.machine, payload.command, payload.date),
    '',
    ...(targets.length ? [goalsMarkdown(targets), ''] : []),
    ...(payload.scenarios.length > 1 ? [tableMarkdown(summary(payload.scenarios)), ''] : []),
    ...payload.scenarios.map(scenarioMarkdown),
  ].join('\n')
  writeFileSync(md, markdown)
  return { json, md, markdown }
}

const START = '<!-- results:start -->'
const END = '<!-- results:end -->'

/** Replaces the results block of benchmarks/README.md. */
export function updateReadme(markdown: string): boolean {
  const readme = join(import.meta.dirname, 'README.md')
  if (!existsSync(readme)) return false
  const text = readFileSync(readme, 'utf8')
  const a = text.indexOf(START)
  const b = text.indexOf(END)
  if (a === -1 || b === -1 || b < a) return false
  // The results file's title goes; its ### sections nest under the README's "## Latest results".
  const body = markdown.replace(/^# .*\n/, '')
  writeFileSync(readme, `${text.slice(0, a + START.length)}\n${body.trim()}\n${text.slice(b)}`)
  // The repository's formatter (biome) pads markdown tables; leave the README as `npm run lint` wants it.
  try {
    execFileSync(join(import.meta.dirname, '../node_modules/.bin/biome'), ['format', '--write', readme], {
      stdio: 'ignore',
    })
  } catch {}
  return true
}
