/**
 * The poll-round suite of `npm run bench` (issue 9 §4, §6): `feedloom poll` — the real command,
 * from dist/, in its own process — over a local world of SOURCES HTTP feeds of ITEMS distinct
 * items spread over PORTS ports (each port a host to the per-host cap), where 5 % of the sources
 * answer after 2 s, 2 % answer HTTP 500 and 1 % serve an HTML page. Three rounds: the first
 * (everything new), the second (every feed unchanged: all 304), a third with 10 % changed. Wall
 * time, peak RSS of the poll process, bytes it wrote per new item.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { feedXml } from './feeds.js'

export interface RoundOptions {
  sources: number
  items: number
  ports: number
  slowMs: number
}

/**
 * Which sources misbehave: 5 % slow, 2 % failing, 1 % a web page, spread so that every port (a
 * host, to the per-host cap) has one slow source among its twenty — slow sites, not slow hosts.
 * Source i is on port i mod ports, the (i div ports)-th there.
 */
const place = (i: number, ports: number) => ({ port: i % ports, nth: Math.floor(i / ports) })
const isSlow = (i: number, ports: number, perPort: number) => place(i, ports).nth === place(i, ports).port % perPort
const isBroken = (i: number, ports: number, perPort: number) => place(i, ports).port % 5 < 2 && place(i, ports).nth === (place(i, ports).port + 7) % perPort
const isPage = (i: number, ports: number, perPort: number) => place(i, ports).port % 5 === 2 && place(i, ports).nth === (place(i, ports).port + 13) % perPort
const isChanged = (i: number) => i % 10 === 3

export interface World {
  urls: string[]
  /** Rewrites the feeds of the changed 10 %: five new items on top of each. */
  change(): void
  close(): Promise<void>
}

export async function startWorld(o: RoundOptions): Promise<World> {
  const bodies = new Map<number, { body: Buffer; etag: string }>()
  const set = (i: number, xml: string) => bodies.set(i, { body: Buffer.from(xml), etag: `"${createHash('sha1').update(xml).digest('hex')}"` })
  for (let i = 0; i < o.sources; i++) set(i, feedXml(i, o.items))
  const servers: Server[] = []
  const ports: number[] = []
  for (let p = 0; p < o.ports; p++) {
    const server = createServer((req, res) => {
      const i = Number(/\/feed\/(\d+)\.xml/.exec(req.url ?? '')?.[1])
      const perPort = Math.ceil(o.sources / o.ports)
      const answer = () => {
        if (isBroken(i, o.ports, perPort)) return void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error')
        if (isPage(i, o.ports, perPort)) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><head><title>首页</title></head><body><p>欢迎访问</p></body></html>')
        const feed = bodies.get(i)
        if (!feed) return void res.writeHead(404).end()
        if (req.headers['if-none-match'] === feed.etag) return void res.writeHead(304, { etag: feed.etag }).end()
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: feed.etag, 'content-length': feed.body.length }).end(feed.body)
      }
      if (isSlow(i, o.ports, perPort)) setTimeout(answer, o.slowMs)
      else answer()
    })
    server.keepAliveTimeout = 60_000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    ports.push((server.address() as AddressInfo).port)
  }
  return {
    urls: Array.from({ length: o.sources }, (_, i) => `http://127.0.0.1:${ports[i % o.ports]}/feed/${i}.xml`),
    change: () => {
      for (let i = 0; i < o.sources; i++) if (isChanged(i)) set(i, feedXml(i, o.items, -5))
    },
    close: async () => {
      for (const s of servers) s.closeAllConnections()
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    },
  }
}

export interface RoundFigures {
  name: string
  ms: number
  peakRssMb: number
  newItems: number
  bytesPerNewItem?: number
  exit: number | null
}

/**
 * One `feedloom poll` in its own process, timed, its peak RSS and written bytes read from /proc.
 * It runs as a user's does: bin/feedloom.js executed, so with the node flags of its `#!` line.
 * BENCH_POLL_NODE_FLAGS adds flags to its node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 */
function poll(configPath: string, storeUrl: string): Promise<Omit<RoundFigures, 'name'>> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const extra = process.env.BENCH_POLL_NODE_FLAGS
    const env = { ...process.env, LOG_LEVEL: 'silent', ...(extra && { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${extra}`.trim() }) }
    const child = spawn(join(import.meta.dirname, '../bin/feedloom.js'), ['poll', '--config', configPath, '--store', storeUrl], { stdio: ['ignore', 'pipe', 'pipe'], env })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    let peak = 0
    let written = 0
    const sample = () => {
      try {
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]))
        written = Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))![1])
      } catch {
        // gone
      }
    }
    const timer = setInterval(sample, 50)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearInterval(timer)
      const ms = performance.now() - started
      const summary = /polled \d+ sources?: \d+ ok, \d+ failed, (\d+) new items?/.exec(out)
      if (!summary) return reject(new Error(`bench: feedloom poll printed no summary (exit ${code}): ${err.slice(-2000)}`))
      const newItems = Number(summary[1])
      resolve({ ms, peakRssMb: peak / 1024, newItems, ...(newItems > 0 && written > 0 && { bytesPerNewItem: written / newItems }), exit: code })
    })
  })
}

export async function roundSuite(o: RoundOptions, log: (line: string) => void): Promise<RoundFigures[]> {
  const world = await startWorld(o)
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-bench-round-'))
  try {
    const configPath = join(dir, 'feeds.config.json')
    writeFileSync(
      configPath,
      JSON.stringify({
        site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
        disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。' },
        defaults: { retentionDays: 3650 },
        categories: { local: { title: '本地' } },
        sources: world.urls.map((url, i) => ({ id: `s${i}`, title: `来源 ${i}`, url, categories: ['local'] })),
      }),
    )
    const storeUrl = `sqlite://${join(dir, 'store.sqlite')}`
    const figures: RoundFigures[] = []
    for (const name of ['first round', 'second round (all 304)', 'round with 10 % changed']) {
      if (name.startsWith('round with')) world.change()
      const f = { name, ...(await poll(configPath, storeUrl)) }
      figures.push(f)
      log(`round: ${name}: ${(f.ms / 1000).toFixed(2)} s, peak RSS ${Math.round(f.peakRssMb)} MB, ${f.newItems} new items${f.bytesPerNewItem ? `, ${Math.round(f.bytesPerNewItem)} bytes written per new item` : ''}`)
    }
    return figures
  } finally {
    await world.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
