/**
 * Search suite (issue 12 §7): `q=` at 100,000 stored items, distinct queries, against the store
 * scan it replaced and the hot cached feed of the same server, measured in the same run.
 *
 * The store: SQLite, `sources` sources × `perSource` items of regional-shaped text (benchEntry's
 * lines of a real article, each item also naming three places of a 2,000-name gazetteer, as local
 * news does). The server: bench/server.ts's `search` role, the production handler in a process of
 * its own, which builds its index at start as `feedloom web` does. Query classes, each request a
 * query not asked before (so no render cache helps):
 *   place   a two-character place name: matches ~0.15 % of items, the common search on a portal;
 *   phrase  eight characters of one item's own sentence: one or a few items;
 *   common  eight characters of the article's lines, which most items quote: the worst case;
 *   none    characters that occur, in an order that never does: nothing.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { loadPage } from '../src/query/index.js'
import { openStore, type ItemRef } from '../src/store/index.js'
import { benchConfig, benchEntry, benchLines } from './data.js'
import { shippedNodeFlags } from './feeds.js'

export interface SearchOptions {
  sources: number
  perSource: number
  durationS: number
  connections: number
  /** Queries of each class timed on the scan (the path without an index). */
  scanQueries: number
}

export interface SearchResult {
  items: number
  fillMs: number
  buildMs: number
  rssMb: number
  /** The server's own memory (RssAnon): RSS less the mapped store file's pages it has read. */
  anonMb: number
  hot: number
  /** The same server rendering a 50-item feed it has not cached (no `q`): what any uncached page costs. */
  uncached: number
  classes: Array<{ name: string; route: string; rps: number; p50: number; p99: number; scanMs?: number }>
}

/** 2,000 two-character names of CJK characters spread over the whole block; three per item. */
const PLACES = Array.from({ length: 2_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000), 0x4e00 + ((i * 104_729 + 13) % 20_000)))

function place(i: number): string {
  return PLACES[i % PLACES.length]
}

/**
 * An item's own sentence: three places and its number, spelled out, so eight characters of it
 * (the first two places) are its own or a few items'. (The second place was `n * 31 + 7` until the
 * fourth session of 2026-12-03: a function of n mod 2,000 like the first, so every phrase query
 * matched ~50 items, a 50-article answer like `place`.)
 */
function ownSentence(source: number, index: number): string {
  const n = source * 100_003 + index
  return `本报讯（记者 ${place(n)}）${place(Math.floor(n / PLACES.length) + 7)}群众在${place(n * 17 + 3)}举行第${n}次活动。`
}

function fillEntry(source: number, index: number, sources: number) {
  const base = benchEntry(source, index, sources)
  const sentence = ownSentence(source, index)
  return { ...base, title: `${place(source * 100_003 + index)}：${base.title}`, text: `${sentence}\n${base.text}`, html: `<p>${sentence}</p>${base.html}` }
}

function start(path: string, sources: number): Promise<{ child: ChildProcess; port: number; buildMs: number; rssMb: number; anonMb: number }> {
  const child = fork(new URL('./server.ts', import.meta.url), ['search', path, String(sources)], { execArgv: [...shippedNodeFlags('web'), '--import', 'tsx', ...(process.env.BENCH_SEARCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, ...(info as { port: number; buildMs: number; rssMb: number; anonMb: number }) }))
    child.once('exit', (code) => reject(new Error(`bench: search server exited with ${code}`)))
  })
}

/** autocannon with a new path for every request. */
async function load(port: number, path: () => string, o: SearchOptions): Promise<{ rps: number; p50: number; p99: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: o.connections,
    duration: o.durationS,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }],
  })
  const stats = result.statusCodeStats ?? {}
  if (result.errors || result.timeouts || Object.keys(stats).some((code) => code !== '200')) throw new Error(`bench: search answered ${JSON.stringify(stats)} with ${result.errors} errors, ${result.timeouts} timeouts`)
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
}

export async function searchSuite(o: SearchOptions, log: (line: string) => void): Promise<SearchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-bench-search-'))
  const path = join(dir, 'store.sqlite')
  const lines = benchLines()
  let counter = 0
  const next = () => counter++
  // A golden-ratio sequence: one pick after another spreads evenly over 0…n-1 and repeats late,
  // so each request asks a query not asked before. Two picks in a row are correlated, though, so
  // a query made of two parts takes one pick over all their combinations (`pick2`).
  const pick = (n: number) => Math.floor(((next() * 2654435761) % 2 ** 32) / 2 ** 32 * n)
  const pick2 = (a: number, b: number): [number, number] => {
    const k = pick(a * b)
    return [k % a, Math.floor(k / a)]
  }
  // Every eight-character window of the article's lines, each one query of the common class.
  const windows = lines.flatMap((line) => Array.from({ length: Math.max(1, line.length - 8) }, (_, at) => line.slice(at, at + 8)))
  // The place and common classes have only a few thousand queries each: past that many requests
  // in a row (a fast hour's widget row) they would repeat and come from the render cache, so each
  // request also excludes a word no item holds, which makes it a query not asked before and
  // changes nothing it matches. (Until the fifth session of 2026-12-03 the widget row repeated.)
  let asked = 0
  const distinct = () => `&exclude=zq${asked++}z`
  const classes: Array<{ name: string; query: () => string; distinct?: () => string }> = [
    { name: 'place (~0.15 % of items match)', query: () => place(pick(PLACES.length)), distinct },
    { name: 'phrase (one item)', query: () => ownSentence(...pick2(o.sources, o.perSource)).slice(6, 14) },
    { name: 'common (half or more of the items match)', query: () => windows[pick(windows.length)], distinct },
    { name: 'none', query: () => { const [a, b] = pick2(PLACES.length, PLACES.length); return `${place(a)}${place(b)}无` } },
  ]
  try {
    const filled = performance.now()
    const store = await openStore(`sqlite://${path}`)
    const config = benchConfig(o.sources)
    for (let s = 0; s < o.sources; s++) {
      const items = Array.from({ length: o.perSource }, (_, i) => fillEntry(s, i, o.sources))
      const list = items.map((e): ItemRef => [e.id, Date.parse(e.published)])
      await store.commit({ sourceId: `s${s}`, upserts: items, list, keys: [], clusters: [], removed: [], state: { id: `s${s}`, consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [], lastAttempt: new Date(0).toISOString() } }, `fill-${s}`)
    }
    const fillMs = performance.now() - filled
    log(`search: ${o.sources * o.perSource} items stored in ${(fillMs / 1000).toFixed(1)} s`)
    // The scan a search was before the index: loadPage without one, as every request did.
    const scanMs = new Map<string, number>()
    for (const c of classes) {
      const started = performance.now()
      for (let i = 0; i < o.scanQueries; i++) await loadPage(store, config, { category: 'all', limit: 50, q: c.query() })
      scanMs.set(c.name, (performance.now() - started) / o.scanQueries)
      log(`search: scan, ${c.name}: ${scanMs.get(c.name)!.toFixed(0)} ms per query`)
    }
    await store.close()

    const server = await start(path, o.sources)
    log(`search: index of ${o.sources * o.perSource} items built in ${(server.buildMs / 1000).toFixed(1)} s, server RSS ${server.rssMb} MB (its own memory ${server.anonMb} MB)`)
    try {
      await load(server.port, () => '/feeds/all.rss', { ...o, durationS: 1 })
      const hot = (await load(server.port, () => '/feeds/all.rss', o)).rps
      log(`search: hot feed ${Math.round(hot)} req/s`)
      // Two sources' 50 newest items, a pair not asked before (40,000 pairs): a render the cache
      // cannot answer. (Until the fourth session of 2026-12-03 two picks in a row gave only ~200
      // pairs, so most of these, and of the phrase queries, were cache hits.)
      const pair = () => {
        const [a, b] = pick2(o.sources, o.sources)
        return `/feeds/all.rss?source=s${a},s${b}&limit=50`
      }
      await load(server.port, pair, { ...o, durationS: 1 })
      const uncached = (await load(server.port, pair, o)).rps
      log(`search: uncached 50-item feed ${Math.round(uncached)} req/s`)
      const out: SearchResult['classes'] = []
      const routes = [
        { route: '/feeds/all.rss', params: '' },
        { route: '/widget/all.json', params: '&limit=10' },
      ]
      for (const c of classes) {
        for (const { route, params } of c.name.startsWith('place') ? routes : routes.slice(0, 1)) {
          const path = () => `${route}?q=${encodeURIComponent(c.query())}${params}${c.distinct?.() ?? ''}`
          await load(server.port, path, { ...o, durationS: 1 }) // warm: JIT, the store file in the OS cache
          const r = await load(server.port, path, o)
          out.push({ name: c.name, route: `${route}${params ? `?…${params}` : ''}`, ...r, scanMs: scanMs.get(c.name) })
          log(`search: ${c.name} on ${route}: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`)
        }
      }
      return { items: o.sources * o.perSource, fillMs, buildMs: server.buildMs, rssMb: server.rssMb, anonMb: server.anonMb, hot, uncached, classes: out }
    } finally {
      server.child.kill()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
