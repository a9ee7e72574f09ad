// What the Dockerfile's final stage holds, made without Docker (neither this machine nor CI has a daemon): the file is
// parsed, each stage's instructions are replayed into a directory standing for its root file system, and the CMD runs
// there as the image's unprivileged user. Instructions this does not know fail loudly, so a Dockerfile change that
// the replay would miss breaks the test instead of passing it unseen.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs'
import { basename, join, posix, relative } from 'node:path'

export interface Instruction {
  op: string
  args: string
  line: number
}

export interface Stage {
  image: string
  name: string | null
  instructions: Instruction[]
}

/** Joins continued lines, drops comments and blank lines, and splits the file into its stages. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = []
  let pending = ''
  let startLine = 0
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    // Comment lines are dropped even inside a continued instruction, as Docker does.
    if (/^\s*#/.test(line) || (!pending && !line.trim())) continue
    if (!pending) startLine = i + 1
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    if (!full) continue
    const m = /^(\S+)\s+(.*)$/s.exec(full)
    if (!m) throw new Error(`Dockerfile line ${startLine}: cannot parse ${JSON.stringify(full)}`)
    const op = m[1].toUpperCase()
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(m[2].trim())
      if (!from) throw new Error(`Dockerfile line ${startLine}: cannot parse FROM ${m[2]}`)
      stages.push({ image: from[1], name: from[2] ?? null, instructions: [] })
    } else {
      if (!stages.length) throw new Error(`Dockerfile line ${startLine}: ${op} before FROM`)
      stages.at(-1)!.instructions.push({ op, args: m[2].trim(), line: startLine })
    }
  }
  return stages
}

/** Splits on blanks, keeping quoted strings (with their quotes removed) whole. */
function words(s: string): string[] {
  return [...s.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3])
}

/** `["node", "x"]`, the exec form of CMD and HEALTHCHECK CMD; the shell form is refused (it would need /bin/sh). */
function execForm(args: string, where: string): string[] {
  try {
    const argv = JSON.parse(args) as unknown
    if (Array.isArray(argv) && argv.every((a) => typeof a === 'string')) return argv
  } catch {}
  throw new Error(`${where}: only the exec form (a JSON array) is replayed, got ${args}`)
}

/** A .dockerignore: moby's rules for what this repository uses (`*`, `**`, `?`, `!`, a match excludes a subtree). */
export function dockerignore(text: string): (rel: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!')
      const pattern = posix.normalize(l.slice(negated ? 1 : 0).replace(/^\/+/, ''))
      let re = ''
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]
        if (c === '*' && pattern[i + 1] === '*') {
          i++
          if (pattern[i + 1] === '/') {
            i++
            re += '(?:.*/)?'
          } else re += '.*'
        } else if (c === '*') re += '[^/]*'
        else if (c === '?') re += '[^/]'
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
      }
      return { negated, re: new RegExp(`^${re}$`) }
    })
  return (rel) => {
    const parts = rel.split('/')
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
    let excluded = false
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negated
    return excluded
  }
}

export interface ImageUser {
  /** The Dockerfile's USER, e.g. `node`. */
  name: string
  /** Who runs as that user here: uid/gid to switch to, or null to stay this process (then the tree is made 0555). */
  ids: { uid: number; gid: number } | null
}

export interface ImageTree {
  /** The final stage's base image, e.g. `node:20-slim`: its Node is the one this process runs. */
  image: string
  /** The directory standing for the final stage's `/`. */
  root: string
  /** The final stage's WORKDIR, inside `root`. */
  workdir: string
  /** The final stage's ENV, as written (container paths). */
  env: Record<string, string>
  user: ImageUser
  cmd: string[]
  healthcheck: string[] | null
  stopSignal: NodeJS.Signals
  /** A path in the image to the path standing for it here. */
  path(containerPath: string): string
  /** Env values that are absolute container paths, moved into `root`. */
  hostEnv(env: Record<string, string>): Record<string, string>
  /** Every instruction replayed, for the test's log. */
  log: string[]
  stageMs: Record<string, number>
}

export interface AssembleOptions {
  dockerfile: string
  context: string
  /** Where the stages' roots go (one directory per stage). */
  into: string
  user: ImageUser
}

/** Replays every stage of the Dockerfile; answers the final stage's tree. */
export function assembleImage(options: AssembleOptions): ImageTree {
  const stages = parseDockerfile(readFileSync(options.dockerfile, 'utf8'))
  const ignorePath = join(options.context, '.dockerignore')
  const ignored = existsSync(ignorePath) ? dockerignore(readFileSync(ignorePath, 'utf8')) : () => false
  const roots = new Map<string, string>()
  const log: string[] = []
  const stageMs: Record<string, number> = {}
  let final: ImageTree | null = null
  stages.forEach((stage, index) => {
    const started = Date.now()
    const root = join(options.into, stage.name ?? `stage-${index}`)
    mkdirSync(root, { recursive: true, mode: 0o755 })
    const inRoot = (p: string) => join(root, posix.resolve('/', p))
    let workdir = '/'
    const env: Record<string, string> = {}
    let user = 'root'
    let cmd: string[] = []
    let healthcheck: string[] | null = null
    let stopSignal: NodeJS.Signals = 'SIGTERM'
    const ids = (spec: string) => {
      const name = spec.split(':')[0]
      if (name !== options.user.name) throw new Error(`only the image user ${options.user.name} is mapped, not ${spec}`)
      return options.user.ids
    }
    const hostEnv = (e: Record<string, string>) =>
      Object.fromEntries(Object.entries(e).map(([k, v]) => [k, /^\/[\w./-]*$/.test(v) ? inRoot(v) : v]))
    const run = (command: string, where: string) => {
      // Shell form, `a && b`: each command is one this replay knows, run in the stage's tree as root would.
      for (const part of command.split('&&').map((c) => c.trim())) {
        if (/[;|<>$`]/.test(part.replace(/"[^"]*"|'[^']*'/g, '')))
          throw new Error(`${where}: only \`a && b\` chains of plain commands are replayed, got \`${part}\``)
        const argv = words(part)
        const cwd = inRoot(workdir)
        const exec = (file: string, args: string[]) =>
          execFileSync(file, args, {
            cwd,
            env: { PATH: process.env.PATH ?? '', HOME: inRoot('/root'), ...hostEnv(env) },
            stdio: ['ignore', 'pipe', 'pipe'],
            maxBuffer: 64 << 20,
          })
        if (argv[0] === 'npm' && argv[1] === 'ci') {
          // npm's cache here is warm: --prefer-offline takes packages from it and asks the registry only on a miss.
          exec('npm', [...argv.slice(1), '--prefer-offline'])
        } else if (argv[0] === 'npm' && argv[1] === 'cache' && argv[2] === 'clean') {
          // Keeps the image layer small; here it would empty this machine's shared cache. Nothing of it is copied on.
          log.push(`${where}: skipped \`${part}\``)
          continue
        } else if (argv[0] === 'node') exec(process.execPath, argv.slice(1))
        else if (argv[0] === 'mkdir' && argv[1] === '-p')
          for (const d of argv.slice(2)) mkdirSync(inRoot(d), { recursive: true })
        else if (argv[0] === 'chown' && argv.length === 3) {
          const to = ids(argv[1])
          if (to) chownSync(inRoot(argv[2]), to.uid, to.gid)
        } else if (argv[0] === 'chmod' && argv.length === 3 && /^[0-7]{3,4}$/.test(argv[1]))
          chmodSync(inRoot(argv[2]), Number.parseInt(argv[1], 8))
        else throw new Error(`${where}: the image test cannot replay \`${part}\`; teach test/e2e/image-tree.ts`)
        log.push(`${where}: ${part}`)
      }
    }
    const copy = (args: string, where: string) => {
      const argv = words(args)
      let from: string | null = null
      while (argv[0]?.startsWith('--')) {
        const flag = argv.shift()!
        const m = /^--from=(.+)$/.exec(flag)
        if (!m) throw new Error(`${where}: COPY ${flag} is not replayed`)
        from = m[1]
      }
      const dest = argv.pop()!
      if (argv.some((s) => /[*?[]/.test(s))) throw new Error(`${where}: COPY globs are not replayed`)
      if (argv.length > 1 && !dest.endsWith('/')) throw new Error(`${where}: COPY of several sources needs a dest/`)
      const destAbs = posix.resolve(workdir, dest)
      for (const src of argv) {
        let source: string
        let filter: ((s: string) => boolean) | undefined
        if (from !== null) {
          const fromRoot = roots.get(from)
          if (!fromRoot) throw new Error(`${where}: no stage named ${from} before this one`)
          source = join(fromRoot, posix.resolve('/', src))
        } else {
          source = join(options.context, posix.normalize(src))
          if (relative(options.context, source).startsWith('..'))
            throw new Error(`${where}: ${src} is outside the context`)
          filter = (s) => !ignored(relative(options.context, s).split('\\').join('/'))
          if (!filter(source)) throw new Error(`${where}: ${src} is excluded by .dockerignore`)
        }
        // A directory's contents go into dest; a file goes into dest/ or becomes dest.
        const isDir = statSync(source).isDirectory()
        const target = isDir
          ? inRoot(destAbs)
          : dest.endsWith('/')
            ? join(inRoot(destAbs), basename(src))
            : inRoot(destAbs)
        cpSync(source, target, { recursive: true, filter, preserveTimestamps: true, verbatimSymlinks: true })
      }
      log.push(`${where}: COPY ${args}`)
    }
    for (const ins of stage.instructions) {
      const where = `Dockerfile line ${ins.line} (${ins.op})`
      switch (ins.op) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, ins.args)
          mkdirSync(inRoot(workdir), { recursive: true })
          break
        case 'ENV': {
          const parts = words(ins.args)
          if (parts.every((p) => p.includes('='))) {
            for (const p of parts) env[p.slice(0, p.indexOf('='))] = p.slice(p.indexOf('=') + 1)
          } else env[parts[0]] = parts.slice(1).join(' ')
          break
        }
        case 'COPY':
          copy(ins.args, where)
          break
        case 'RUN':
          if (user !== 'root') throw new Error(`${where}: RUN as ${user} is not replayed`)
          run(ins.args, where)
          break
        case 'USER':
          user = ins.args
          break
        case 'CMD':
          cmd = execForm(ins.args, where)
          break
        case 'HEALTHCHECK': {
          const m = /\bCMD\s+(.*)$/s.exec(ins.args)
          healthcheck = m ? execForm(m[1], where) : null
          break
        }
        case 'STOPSIGNAL':
          stopSignal = ins.args as NodeJS.Signals
          break
        case 'EXPOSE':
        case 'VOLUME':
          // Docker's networking and volumes: the test gives each process its own port and the data dir its owner.
          break
        default:
          throw new Error(`${where}: ${ins.op} is not replayed; teach test/e2e/image-tree.ts`)
      }
    }
    if (stage.name) roots.set(stage.name, root)
    stageMs[stage.name ?? `stage-${index}`] = Date.now() - started
    if (index === stages.length - 1) {
      if (user !== options.user.name) throw new Error(`the final stage runs as ${user}, not ${options.user.name}`)
      if (!cmd.length) throw new Error('the final stage has no CMD')
      final = {
        image: stage.image,
        root,
        workdir: inRoot(workdir),
        env,
        user: options.user,
        cmd,
        healthcheck,
        stopSignal,
        path: inRoot,
        hostEnv,
        log,
        stageMs,
      }
    }
  })
  if (!final) throw new Error('the Dockerfile has no stage')
  return final
}

/** Directories and files under `dir` the image user could write, judged as the kernel would from owner and mode. */
export function writableBy(dir: string, ids: { uid: number; gid: number }): string[] {
  const out: string[] = []
  const visit = (p: string) => {
    const st = lstatSync(p)
    if (st.isSymbolicLink()) return
    const w = st.uid === ids.uid ? st.mode & 0o200 : st.gid === ids.gid ? st.mode & 0o020 : st.mode & 0o002
    if (w) out.push(p)
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name))
  }
  visit(dir)
  return out
}

/** Path, size and mtime of every file and directory under `dir`: equal before and after a run means nothing was written. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const visit = (p: string) => {
    const st = lstatSync(p)
    out.set(relative(dir, p), `${st.size}:${st.mtimeMs}:${st.mode}`)
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name))
  }
  visit(dir)
  return out
}

export interface ImageProcess {
  child: ChildProcess
  /** The URL the gateway printed once listening. */
  ready: Promise<string>
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGKILLs the process group (the child leads one), if it still runs. */
  kill(): void
}

/** Runs argv (`node` is this Node) in the image's workdir as its user, in a process group of its own. */
export function runAsImageUser(tree: ImageTree, argv: string[], env: Record<string, string>): ImageProcess {
  const [file, ...args] = argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : argv
  const ids = tree.user.ids
  // setpriv execs (no fork, no PAM, environment untouched): the pid is the gateway's, signals reach it directly.
  const [cmd, cmdArgs] = ids
    ? ['setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '--', file, ...args]]
    : [file, args]
  const child = spawn(cmd, cmdArgs as string[], {
    cwd: tree.workdir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: tree.path(`/home/${tree.user.name}`),
      ...tree.hostEnv({ ...tree.env, ...env }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d
      const m = /"msg":"mcpo listening on (http:\/\/[^"]+)"/.exec(out)
      if (m) resolve(m[1])
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before listening:\n${out}`)))
  })
  ready.catch(() => {})
  return {
    child,
    ready,
    output: () => out,
    exited,
    kill() {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }
    },
  }
}
