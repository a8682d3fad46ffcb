/**
 * Real processes for the fault tests (issue 12): a private redis-server on a free port, feedloom
 * commands run as an operator runs them (`node src/bin.ts worker …` through tsx), and a world of
 * feed hosts on 127.0.0.1 whose feeds grow over time.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '../..')

import { closedPort } from '../fetch/server.js'
import { startRedis as startRedisServer } from '../helpers/redis-server.js'

/** A port nothing listens on now. */
export const freePort = closedPort

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (bounded) until `check` holds, polling every `everyMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export type { PrivateRedis } from '../helpers/redis-server.js'

/** `redis-server` of our own with append-only persistence: the fault tests stop it and start it again with what it kept. */
export const startRedis = () => startRedisServer({ durable: true })

export interface Feedloom {
  child: ChildProcess
  /** Everything it printed so far. */
  output(): string
  /** Resolves with the first match of `pattern` in its output (bounded). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** The HTTP port it logged it listens on. */
  port(): Promise<number>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
  kill(signal?: NodeJS.Signals): void
}

/**
 * These tests start many processes at once on a small machine: they run the build
 * (`bin/feedloom.js` → dist/, what `npm start` and the Procfile run), which starts in a fraction
 * of tsx's time. `npm ci` builds it; a dist/ older than src/ would test yesterday's code.
 */
function assertFreshBuild(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)))
  const built = statSync(join(ROOT, 'dist/bin.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0
  if (built < newest(join(ROOT, 'src'))) throw new Error('test/ops: dist/ is older than src/; run `npm run build` first (npm ci does it)')
}

export const FEEDLOOM = [process.execPath, join(ROOT, 'bin/feedloom.js')]

/** `feedloom ARGS` as a real process, JSON logs on stdout. */
export function spawnFeedloom(args: string[], env: Record<string, string> = {}, command: string[] = FEEDLOOM): Feedloom {
  if (command === FEEDLOOM) assertFreshBuild()
  const child = spawn(command[0], [...command.slice(1), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const listeners = new Set<() => void>()
  const append = (d: Buffer) => {
    out += d
    for (const l of listeners) l()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })))
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out)
        if (m) {
          listeners.delete(check)
          clearTimeout(timer)
          resolve(m)
        }
      }
      const timer = setTimeout(() => (listeners.delete(check), reject(new Error(`no ${pattern} within ${timeoutMs} ms in the output of feedloom ${args.join(' ')}:\n${out.slice(-3000)}`))), timeoutMs)
      listeners.add(check)
      void exited.then(({ code }) => {
        if (listeners.has(check)) (listeners.delete(check), clearTimeout(timer), reject(new Error(`feedloom ${args.join(' ')} exited ${code} before ${pattern}:\n${out.slice(-3000)}`)))
      })
      check()
    })
  return {
    child,
    output: () => out,
    waitFor,
    port: async () => Number((await waitFor(/"port":(\d+)/, 60_000))[1]),
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  }
}

/** A config file in a temporary folder; removed by `cleanup`. */
export function writeConfig(config: object): { path: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-ops-'))
  const path = join(dir, 'feeds.config.json')
  writeFileSync(path, JSON.stringify(config))
  return { path, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export const SITE = { site: { title: '测试聚合', url: 'https://news.example.org' }, disclaimer: { text: '本网只是转载。' }, categories: { local: { title: '本地' } } }

export interface Item {
  guid: string
  title: string
  text: string
  /** When it appears in its feed (ms). */
  at: number
}

/** An RSS 2.0 document of `items`, newest first. */
export function rss(title: string, items: Item[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const entries = [...items]
    .sort((a, b) => b.at - a.at)
    .map((i) => `<item><title>${esc(i.title)}</title><link>https://${esc(i.guid)}.example.org/a.html</link><guid isPermaLink="false">${esc(i.guid)}</guid><pubDate>${new Date(i.at).toUTCString()}</pubDate><description>${esc(i.text)}</description></item>`)
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>${esc(title)}</title><link>https://example.org/</link><description>d</description>${entries.join('')}</channel></rss>`
}

/**
 * Feed hosts on 127.0.0.1: each serves `/{sourceId}.xml` from `feed(sourceId)` with an ETag (304 when
 * unchanged), optionally after `delayMs`, and records every request's path and time.
 */
export async function startFeedHosts(count: number, feed: (sourceId: string) => string | undefined, delayMs = 0) {
  const requests: Array<{ path: string; host: number; at: number }> = []
  let active = new Map<number, number>()
  const maxActive = new Map<number, number>()
  const servers: Server[] = []
  const urls: string[] = []
  for (let h = 0; h < count; h++) {
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '/'
      requests.push({ path, host: h, at: Date.now() })
      active.set(h, (active.get(h) ?? 0) + 1)
      maxActive.set(h, Math.max(maxActive.get(h) ?? 0, active.get(h)!))
      try {
        if (delayMs) await sleep(delayMs)
        const body = feed(path.replace(/^\/|\.xml$/g, ''))
        if (body === undefined) return void res.writeHead(404).end()
        const etag = `"${Buffer.from(body).length}-${simpleHash(body)}"`
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { ETag: etag }).end()
        res.writeHead(200, { 'Content-Type': 'application/rss+xml; charset=utf-8', ETag: etag }).end(body)
      } finally {
        active.set(h, active.get(h)! - 1)
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  }
  return {
    urls,
    requests,
    maxActive,
    async close() {
      active = new Map()
      await Promise.all(servers.map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve)))))
    },
  }
}

function simpleHash(text: string): string {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return (h >>> 0).toString(16)
}

/** Deterministic distinct Chinese text per seed, so generated stories never look like reprints of each other. */
export function prose(seed: number, length = 60): string {
  let x = (seed * 2654435761) >>> 0
  let out = ''
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out += String.fromCharCode(0x4e00 + (x % 20000))
  }
  return out
}
