/**
 * The serving suite of `npm run bench` (issue 4 point 6). In one run:
 *
 *   1. hot feed: GET /feeds/all.rss (50 items) with autocannon at 32 connections against the
 *      production handler, and against a plain node:http server answering the same bytes from
 *      memory; runs alternate, ROUNDS rounds of DURATION seconds each, medians compared
 *   2. 304: the same request with If-None-Match, against the baseline's 200
 *   3. cold render: GET /feeds/all.rss?limit=200 right after a poll stored a new item (one source's
 *      list, state and the revision written as refresh.ts writes them), from a SQLite store holding
 *      1,000 and then 100,000 items (50 sources), median of COLD_RUNS; and the first render of a
 *      process that has read nothing yet
 *
 * Targets: hot ≥ 0.9 × baseline; 304 ≥ 1.0 × baseline's 200; cold(100,000) ≤ 1.5 × cold(1,000).
 * Environment: BENCH_DURATION (s, default 5), BENCH_ROUNDS (default 5), BENCH_CONNECTIONS (32).
 * Each server runs in its own process, so the load generator never shares its event loop.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { createHandler } from '../src/http/app.js'
import { RevWatcher } from '../src/http/rev.js'
import { Metrics } from '../src/metrics.js'
import { silentLogger } from '../src/log.js'
import { benchConfig, benchEntry, fillStore } from './data.js'
import { shippedNodeFlags } from './feeds.js'
import type { ItemRef } from '../src/store/index.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ServingOptions {
  durationS: number
  rounds: number
  connections: number
  coldSizes: number[]
  coldRuns: number
}

let DURATION_S = 5
let ROUNDS = 5
let CONNECTIONS = 32
const COLD_SOURCES = 50
let COLD_SIZES = [1_000, 100_000]
let COLD_RUNS = 15
const COLD_LIMIT = 200

function start<T>(role: string, message?: unknown): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(new URL('./server.ts', import.meta.url), [role], { execArgv: [...shippedNodeFlags(), '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: info as T }))
    child.once('exit', (code) => reject(new Error(`bench: ${role} server exited with ${code}`)))
    if (message !== undefined) child.send(message as object)
  })
}

/** CPU time (user + system, µs) a process has used so far, from /proc on Linux; undefined elsewhere. */
function cpuMicros(pid: number | undefined): number | undefined {
  const file = `/proc/${pid}/stat`
  if (pid === undefined || !existsSync(file)) return undefined
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ')
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

interface Load {
  rps: number
  /** Server CPU per answered request, µs: what the server itself spends, whoever limits the rate. */
  cpuPerRequest?: number
}

async function load(url: string, headers: Record<string, string>, expectStatus: number, server: ChildProcess): Promise<Load> {
  const before = cpuMicros(server.pid)
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers })
  const after = cpuMicros(server.pid)
  const stats = result.statusCodeStats ?? {}
  const wrong = Object.entries(stats).filter(([code]) => Number(code) !== expectStatus)
  if (result.errors || result.timeouts || wrong.length) throw new Error(`bench: ${url} answered ${JSON.stringify(stats)} with ${result.errors} errors, ${result.timeouts} timeouts`)
  return { rps: result.requests.average, cpuPerRequest: before === undefined || after === undefined ? undefined : (after - before) / result.requests.total }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

async function hot(): Promise<{ baseline: Load[]; feedloom: Load[]; notModified: Load[]; bytes: number }> {
  const feedloom = await start<{ port: number; body: string; etag: string; type: string }>('feedloom')
  const baseline = await start<{ port: number }>('baseline', { body: feedloom.info.body, type: feedloom.info.type })
  const bytes = Buffer.from(feedloom.info.body, 'base64').length
  const out = { baseline: [] as Load[], feedloom: [] as Load[], notModified: [] as Load[], bytes }
  try {
    const feedUrl = `http://127.0.0.1:${feedloom.info.port}/feeds/all.rss`
    const baseUrl = `http://127.0.0.1:${baseline.info.port}/feeds/all.rss`
    // Warm both (JIT, sockets) before anything counts.
    await autocannon({ url: feedUrl, connections: CONNECTIONS, duration: 1 })
    await autocannon({ url: baseUrl, connections: CONNECTIONS, duration: 1 })
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which server goes first, so drift (thermal, neighbours) does not favour either.
      const runs = [
        async () => out.baseline.push(await load(baseUrl, {}, 200, baseline.child)),
        async () => out.feedloom.push(await load(feedUrl, {}, 200, feedloom.child)),
        async () => out.notModified.push(await load(feedUrl, { 'If-None-Match': feedloom.info.etag }, 304, feedloom.child)),
      ]
      for (const run of round % 2 ? runs : runs.reverse()) await run()
      console.error(`round ${round}: baseline ${fmt(out.baseline.at(-1)!.rps)} req/s, feedloom ${fmt(out.feedloom.at(-1)!.rps)} req/s, feedloom 304 ${fmt(out.notModified.at(-1)!.rps)} req/s`)
    }
  } finally {
    feedloom.child.kill()
    baseline.child.kill()
  }
  return out
}

interface Cold {
  /** Render right after a poll of one source stored one new item. */
  afterPoll: number[]
  /** First render of a fresh process: every list read once. */
  first: number
}

async function cold(items: number): Promise<Cold> {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-bench-'))
  const perSource = items / COLD_SOURCES
  const store = await fillStore(`sqlite://${join(dir, 'store.sqlite')}`, COLD_SOURCES, perSource)
  try {
    const rev = new RevWatcher(store, silentLogger)
    await rev.refresh()
    const server = createServer(createHandler({ config: benchConfig(COLD_SOURCES), store, rev, metrics: new Metrics(), log: silentLogger }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feeds/all.rss?limit=${COLD_LIMIT}`
    const render = async () => {
      const started = performance.now()
      const res = await fetch(url)
      const body = await res.text()
      const elapsed = performance.now() - started
      if (res.status !== 200 || (body.match(/<item>/g) ?? []).length !== COLD_LIMIT) throw new Error(`bench: cold render answered ${res.status}`)
      return elapsed
    }
    const first = await render()
    const afterPoll: number[] = []
    for (let run = 0; run <= COLD_RUNS; run++) {
      // One source's poll, written the way refresh.ts commits it: a new newest item, its list, its state, a new revision.
      const s = run % COLD_SOURCES
      const sourceId = `s${s}`
      const fresh = { ...benchEntry(s, perSource + run, COLD_SOURCES), published: new Date(Date.UTC(2024, 8, 20) + run * 60_000).toISOString() }
      const list = [[fresh.id, Date.parse(fresh.published)] as ItemRef, ...(await store.getList(sourceId))].slice(0, perSource)
      const attempt = new Date(Date.UTC(2024, 8, 20, 1) + run * 60_000).toISOString()
      await store.commit(
        { sourceId, upserts: [fresh], list, keys: [], clusters: [], removed: [], state: { id: sourceId, consecutiveFailures: 0, validators: {}, itemCount: list.length, ambiguousLinks: [], lastAttempt: attempt, lastSuccess: attempt } },
        `${Date.parse(attempt)}-${run}`,
      )
      await rev.refresh()
      const elapsed = await render()
      if (run > 0) afterPoll.push(elapsed) // run 0 warms the JIT
    }
    server.close()
    return { afterPoll, first }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs the suite and returns its figures as markdown. */
export async function servingSuite(o: ServingOptions): Promise<string> {
  ;({ durationS: DURATION_S, rounds: ROUNDS, connections: CONNECTIONS, coldSizes: COLD_SIZES, coldRuns: COLD_RUNS } = o)
  console.error(`serving: ${ROUNDS} rounds of ${DURATION_S} s at ${CONNECTIONS} connections`)
  const h = await hot()
  const coldTimes = new Map<number, Cold>()
  for (const size of COLD_SIZES) coldTimes.set(size, await cold(size))

  const rps = (loads: Load[]) => median(loads.map((l) => l.rps))
  const cpu = (loads: Load[]) => (loads.every((l) => l.cpuPerRequest !== undefined) ? `${fmt(median(loads.map((l) => l.cpuPerRequest!)))} µs` : 'n/a')
  const hotRatio = rps(h.feedloom) / rps(h.baseline)
  const notModifiedRatio = rps(h.notModified) / rps(h.baseline)
  const [small, large] = COLD_SIZES.map((size) => median(coldTimes.get(size)!.afterPoll))
  const coldRatio = large / small
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')

  return `
autocannon ${CONNECTIONS} connections, ${ROUNDS} alternating rounds × ${DURATION_S} s; medians of req/s (mean over each run).

| measure | baseline | feedloom | ratio | target | server CPU per request (baseline / feedloom) |
|---|---:|---:|---:|---|---|
| GET /feeds/all.rss, 50 items (${fmt(h.bytes)} bytes), 200 | ${fmt(rps(h.baseline))} req/s | ${fmt(rps(h.feedloom))} req/s | ${hotRatio.toFixed(2)} | ≥ 0.90 ${verdict(hotRatio >= 0.9)} | ${cpu(h.baseline)} / ${cpu(h.feedloom)} |
| same with If-None-Match → 304 (vs the baseline's 200) | ${fmt(rps(h.baseline))} req/s | ${fmt(rps(h.notModified))} req/s | ${notModifiedRatio.toFixed(2)} | ≥ 1.00 ${verdict(notModifiedRatio >= 1)} | ${cpu(h.baseline)} / ${cpu(h.notModified)} |

Per round (baseline / feedloom / feedloom 304, req/s): ${h.baseline.map((b, i) => `${fmt(b.rps)} / ${fmt(h.feedloom[i].rps)} / ${fmt(h.notModified[i].rps)}`).join('; ')}

| cold render of /feeds/all.rss?limit=${COLD_LIMIT} after a poll (SQLite, ${COLD_SOURCES} sources) | median | min | max | first render after start |
|---|---:|---:|---:|---:|
${COLD_SIZES.map((size) => {
  const { afterPoll: t, first } = coldTimes.get(size)!
  return `| store of ${fmt(size)} items | ${median(t).toFixed(1)} ms | ${Math.min(...t).toFixed(1)} ms | ${Math.max(...t).toFixed(1)} ms | ${first.toFixed(1)} ms |`
}).join('\n')}

Cold ratio ${fmt(COLD_SIZES.at(-1)!)} / ${fmt(COLD_SIZES[0])}: ${coldRatio.toFixed(2)} (target ≤ 1.5: ${verdict(coldRatio <= 1.5)})
`
}
