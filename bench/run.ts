/**
 * `npm run bench [-- SUITE…]`: the suites, each figure against a baseline measured in the same run,
 * printed as the markdown tables BENCHMARKS.md keeps. Suites: serving, ingest, round, search (all by default).
 * `BENCH_SMALL=1` runs every suite at tiny sizes — the CI smoke run, so the bench never rots; its
 * figures mean nothing. Environment for serving: BENCH_DURATION (s), BENCH_ROUNDS, BENCH_CONNECTIONS.
 * Servers and polls run with the `feedloom` command's node flags (bin/feedloom.js's `#!` line);
 * BENCH_NO_SHIPPED_FLAGS=1 runs the servers with node's defaults.
 */
import { cpus, totalmem } from 'node:os'
import { filesSuite, growthSuite, reprintSuite, type IngestOptions } from './ingest.js'
import { roundSuite } from './round.js'
import { servingSuite } from './serving.js'
import { searchSuite } from './search.js'
import pg from 'pg'
import { startRedis } from '../test/helpers/redis-server.js'

const SMALL = process.env.BENCH_SMALL === '1'
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['serving', 'ingest', 'round', 'search']
const log = (line: string) => console.error(line)
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`
const out: string[] = [`Machine: ${machine}${SMALL ? ' — SMALL sizes (smoke run: figures mean nothing)' : ''}`]

if (suites.includes('serving')) {
  out.push('## Serving\n' + await servingSuite(SMALL ? { durationS: 1, rounds: 1, connections: 8, coldSizes: [500, 1_000], coldRuns: 3 } : { durationS: Number(process.env.BENCH_DURATION ?? 5), rounds: Number(process.env.BENCH_ROUNDS ?? 5), connections: Number(process.env.BENCH_CONNECTIONS ?? 32), coldSizes: [1_000, 100_000], coldRuns: 15 }))
}

if (suites.includes('ingest')) {
  // Redis: a server of the bench's own (every run starts empty); PostgreSQL: a schema of its own on DATABASE_URL.
  const redis = await startRedis().catch(() => undefined)
  const schema = process.env.DATABASE_URL ? await createSchema(process.env.DATABASE_URL) : undefined
  const stores: IngestOptions['stores'] = [
    { name: 'sqlite', url: (dir) => `sqlite://${dir}/store.sqlite` },
    { name: 'memory', url: () => 'memory://' },
    ...(schema ? [{ name: 'postgres', url: () => schema.url }] : []),
    ...(redis ? [{ name: 'redis', url: () => redis.url }] : []),
  ]
  const o: IngestOptions = SMALL
    ? { sources: 2, items: 50, reprintSizes: [50, 100, 200], growthSizes: [200, 1_000], stores }
    : { sources: 20, items: 5_000, reprintSizes: [1_000, 4_000, 16_000], growthSizes: [1_000, 100_000], stores }
  const files = await filesSuite(o, log)
  const reprints = [await reprintSuite(o, false, log), await reprintSuite(o, true, log)]
  const growth = await growthSuite(o, log)
  await redis?.close()
  await schema?.drop()
  out.push(
    [
      '## Ingest',
      `${o.sources} file:// sources × ${fmt(o.items)} items (${fmt(files.items)} items), full pipeline vs rss-parser \`parseString\` alone on the same files (${fmt(files.parseMs)} ms):`,
      '',
      '| store | time | × parse alone | target | bytes written per item |',
      '|---|---:|---:|---|---:|',
      ...files.stores.map((s) => `| ${s.name} | ${fmt(s.ms)} ms | ${s.ratio.toFixed(2)} | ≤ 1.5 (must ≤ 3): ${s.ratio <= 1.5 ? 'met' : s.ratio <= 3 ? 'must met, target MISSED' : 'MISSED'} | ${s.bytesPerItem ? fmt(s.bytesPerItem) : '—'} |`),
      '',
      ...reprints.flatMap((r) => [
        `Reprinting source${r.template ? ', every story one template (other figures)' : ''}: each item a near duplicate of a stored one; cost per item across batch sizes (spread ${r.spread.toFixed(2)}, target ≤ 1.2: ${verdict(r.spread <= 1.2)}):`,
        '',
        '| items | µs per item | joined a stored story |',
        '|---:|---:|---:|',
        ...r.rows.map((row) => `| ${fmt(row.size)} | ${fmt(row.usPerItem)} | ${fmt(row.clustered)} |`),
        '',
      ]),
      `Cost per new item as the store grows (ratio ${growth.ratio.toFixed(2)}):`,
      '',
      '| stored items | µs per new item |',
      '|---:|---:|',
      ...growth.rows.map((row) => `| ${fmt(row.stored)} | ${fmt(row.usPerItem)} |`),
    ].join('\n'),
  )
}

if (suites.includes('round')) {
  const o = SMALL ? { sources: 40, items: 5, ports: 4, slowMs: 200 } : { sources: 2_000, items: 20, ports: 100, slowMs: 2_000 }
  const targets = [20, 3, 4]
  const rounds = await roundSuite(o, log)
  out.push(
    [
      '## Poll round',
      `\`feedloom poll\` over ${fmt(o.sources)} local HTTP sources × ${o.items} distinct items on ${o.ports} ports; 5 % answer after ${o.slowMs / 1000} s, 2 % HTTP 500, 1 % an HTML page:`,
      '',
      '| round | time | target | peak RSS (target ≤ 300 MB) | new items | bytes written per new item |',
      '|---|---:|---|---:|---:|---:|',
      ...rounds.map((r, i) => `| ${r.name} | ${(r.ms / 1000).toFixed(2)} s | ≤ ${targets[i]} s: ${verdict(r.ms <= targets[i] * 1000)} | ${fmt(r.peakRssMb)} MB ${verdict(r.peakRssMb <= 300)} | ${fmt(r.newItems)} | ${r.bytesPerNewItem ? fmt(r.bytesPerNewItem) : '—'} |`),
    ].join('\n'),
  )
}

if (suites.includes('search')) {
  const o = SMALL ? { sources: 10, perSource: 50, durationS: 1, connections: 8, scanQueries: 2 } : { sources: 200, perSource: 500, durationS: Number(process.env.BENCH_DURATION ?? 5), connections: Number(process.env.BENCH_CONNECTIONS ?? 32), scanQueries: 5 }
  const r = await searchSuite(o, log)
  out.push(
    [
      '## Search',
      `\`q=\` over ${fmt(r.items)} stored items (SQLite, ${o.sources} sources), every request a query not asked before; autocannon ${o.connections} connections × ${o.durationS} s per row. Index built at start in ${(r.buildMs / 1000).toFixed(1)} s; server RSS then ${fmt(r.rssMb)} MB, of which its own memory (RssAnon; the rest is file pages: node's code and the mapped store file) ${fmt(r.anonMb)} MB. Baselines from the same server in the same run: its hot cached feed, ${fmt(r.hot)} req/s; a 50-item feed it has not cached (two sources' newest, no \`q\`), ${fmt(r.uncached)} req/s.`,
      '',
      '| query | route | req/s | × uncached feed | p50 | p99 | before: store scan per query | target ≥ 300 req/s |',
      '|---|---|---:|---:|---:|---:|---:|---|',
      ...r.classes.map((c) => `| ${c.name} | \`${c.route}\` | ${fmt(c.rps)} | ${(c.rps / r.uncached).toFixed(2)} | ${c.p50} ms | ${c.p99} ms | ${c.scanMs === undefined ? '—' : `${fmt(c.scanMs)} ms`} | ${verdict(c.rps >= 300)} |`),
    ].join('\n'),
  )
}

console.log(`\n${out.join('\n\n')}\n`)

/** A store URL in a new schema on the shared PostgreSQL, and how to drop it. */
async function createSchema(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `feedloom_bench_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${name}`)
  const u = new URL(url)
  u.searchParams.set('options', `-c search_path=${name}`)
  return {
    url: u.href,
    drop: async () => {
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
      await admin.end()
    },
  }
}
