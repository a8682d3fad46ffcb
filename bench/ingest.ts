/**
 * The ingest suite of `npm run bench` (issue 9 §6): every figure against a baseline measured in
 * the same run.
 *
 *   files    SOURCES × ITEMS regional-shaped file:// feeds polled through the full pipeline (read
 *            threads, merge, atomic commits) into each store, against rss-parser's parseString
 *            alone on the same files; bytes written per item (SQLite, the process's own writes)
 *   reprints a source whose every item is a near duplicate of a stored one, at several sizes: the
 *            cost per item must not grow with the batch — once with stories that differ, once
 *            with stories that are all one template (every bucket crowded)
 *   growth   the cost per item of the same poll into a store of 1,000 and of 100,000 items
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Parser from 'rss-parser'
import { resolveConfig } from '../src/config/index.js'
import type { Config, SourceConfig } from '../src/model.js'
import { createFetcher } from '../src/fetch/index.js'
import { refreshSource, type RefreshResult } from '../src/refresh.js'
import { POLL_CONCURRENCY } from '../src/scheduler/index.js'
import { ReadPool } from '../src/source/index.js'
import { Mutex } from '../src/store/lock.js'
import { openStore, type Store } from '../src/store/index.js'
import { silentLogger } from '../src/log.js'
import { benchItem, feedXml, itemXml } from './feeds.js'

export interface IngestOptions {
  sources: number
  items: number
  /** Batch sizes of the reprint suite. */
  reprintSizes: number[]
  /** Store sizes of the growth suite. */
  growthSizes: number[]
  stores: Array<{ name: string; url: (dir: string) => string }>
}

const NOW = new Date('2024-09-20T00:00:00Z')

function config(dir: string, files: string[], maxItems: number): Config {
  return resolveConfig({
    site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
    disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。' },
    defaults: { maxItemsPerSource: maxItems, retentionDays: 3650 },
    categories: { local: { title: '本地' } },
    sources: files.map((file, i) => ({ id: `s${i}`, title: `来源 ${i}`, url: `file://${join(dir, file)}`, categories: ['local'] })),
  })
}

/** Polls the sources as `feedloom poll` does: POLL_CONCURRENCY at a time, one commit lock, reader threads. */
async function pollAll(store: Store, sources: SourceConfig[], pool: ReadPool, now = NOW, fetcher = createFetcher()): Promise<RefreshResult[]> {
  const deps = { store, fetcher, readPool: pool, commitLock: new Mutex(), now: () => now, log: silentLogger }
  const results: RefreshResult[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(POLL_CONCURRENCY, sources.length) }, async () => {
      while (next < sources.length) {
        const result = await refreshSource(sources[next++], deps)
        if (result.outcome === 'error') throw new Error(`bench: ${result.sourceId}: ${result.error}`)
        results.push(result)
      }
    }),
  )
  return results
}

/** Bytes this process has written through system calls so far (Linux; undefined elsewhere). */
function writtenBytes(): number | undefined {
  try {
    return Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1])
  } catch {
    return undefined
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export interface FilesFigures {
  parseMs: number
  items: number
  stores: Array<{ name: string; ms: number; ratio: number; bytesPerItem?: number }>
}

export async function filesSuite(o: IngestOptions, log: (line: string) => void): Promise<FilesFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-bench-files-'))
  try {
    const files = Array.from({ length: o.sources }, (_, s) => {
      writeFileSync(join(dir, `s${s}.xml`), feedXml(s, o.items))
      return `s${s}.xml`
    })
    // Baseline: rss-parser alone, file read included, best of three (it has no store to warm).
    const parser = new Parser()
    const parses: number[] = []
    for (let run = 0; run < 3; run++) {
      const started = performance.now()
      for (const f of files) await parser.parseString(readFileSync(join(dir, f), 'utf8'))
      parses.push(performance.now() - started)
    }
    const parseMs = Math.min(...parses)
    log(`files: rss-parser parseString alone ${Math.round(parseMs)} ms for ${o.sources * o.items} items`)
    const out: FilesFigures = { parseMs, items: o.sources * o.items, stores: [] }
    const cfg = config(dir, files, o.items)
    for (const { name, url } of o.stores) {
      const storeDir = mkdtempSync(join(tmpdir(), `feedloom-bench-${name}-`))
      const store = await openStore(url(storeDir))
      const pool = new ReadPool()
      try {
        const before = writtenBytes()
        const started = performance.now()
        const results = await pollAll(store, cfg.sources, pool)
        const ms = performance.now() - started
        const after = writtenBytes()
        const added = results.reduce((n, r) => n + r.newItems, 0)
        if (added !== out.items) throw new Error(`bench: ${name} stored ${added} of ${out.items} items`)
        const bytesPerItem = name === 'sqlite' && before !== undefined && after !== undefined ? (after - before) / added : undefined
        out.stores.push({ name, ms, ratio: ms / parseMs, ...(bytesPerItem !== undefined && { bytesPerItem }) })
        log(`files: ${name} ${Math.round(ms)} ms (${(ms / parseMs).toFixed(2)} × parse)${bytesPerItem ? `, ${Math.round(bytesPerItem)} bytes written per item` : ''}`)
      } finally {
        await pool.close()
        await store.close()
        rmSync(storeDir, { recursive: true, force: true })
      }
    }
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Feeds of reprints: `original` holds the stories, `reprint` each of them again under another
 * headline with the portal's own lines. With `template`, every story is one notice with other
 * figures, so every item shares most of its buckets with every other.
 */
function reprintFeeds(dir: string, size: number, template: boolean): void {
  const story = (k: number) => {
    // Two paragraphs: 16,000 of the bench's full items would pass the 15 MiB body cap.
    const whole = benchItem(template ? 7 : 1, template ? 0 : k)
    const item = { ...whole, paragraphs: whole.paragraphs.slice(0, 2) }
    // One notice, another day: only the figures differ (what the figure check tells apart).
    return template ? { ...item, title: `${item.title}（第${k}期）`, paragraphs: item.paragraphs.map((p, i) => (i === 0 ? `${k % 28 + 1}日${p}第${k}期` : p)) } : item
  }
  const items = (wrap: (k: number) => string) => Array.from({ length: size }, (_, k) => wrap(k)).join('')
  const channel = (title: string, body: string) => `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>${title}</title><link>http://${title}.example.cn/</link>${body}</channel></rss>`
  writeFileSync(join(dir, 'original.xml'), channel('original', items((k) => itemXml(1, { ...story(k), link: `http://original.example.cn/news/${k}.html` }, k))))
  writeFileSync(
    join(dir, 'reprint.xml'),
    channel('reprint', items((k) => {
      const s = story(k)
      return itemXml(2, { ...s, title: `${s.title}（图）`, link: `http://reprint.example.cn/system/${k}.shtml`, paragraphs: [`${s.date} 来源：原网站`, ...s.paragraphs, '编辑：张三'] }, k)
    })),
  )
}

export interface ReprintFigures {
  template: boolean
  rows: Array<{ size: number; usPerItem: number; clustered: number }>
  spread: number
}

export async function reprintSuite(o: IngestOptions, template: boolean, log: (line: string) => void): Promise<ReprintFigures> {
  const rows: ReprintFigures['rows'] = []
  // One set of reader threads for every size and run, warm as a running server's are: a new
  // thread per size would charge the smallest batch with the thread's start and JIT warm-up.
  const pool = new ReadPool()
  try {
    for (const size of o.reprintSizes) {
      const runs: Array<{ us: number; clustered: number; added: number }> = []
      for (let run = 0; run < REPRINT_RUNS; run++) runs.push(await reprintRun(size, template, pool))
      const { us, clustered, added } = runs.sort((x, y) => x.us - y.us)[Math.floor(runs.length / 2)]
      rows.push({ size, usPerItem: us, clustered })
      log(`reprints${template ? ' (one template)' : ''}: ${size} items, ${Math.round(us)} µs per item (median of ${REPRINT_RUNS}: ${runs.map((r) => Math.round(r.us)).join(', ')}), ${clustered} joined a stored story (${added} new)`)
    }
  } finally {
    await pool.close()
  }
  const costs = rows.map((r) => r.usPerItem)
  return { template, rows, spread: Math.max(...costs) / Math.min(...costs) }
}

/** Runs per reprint size: single polls of a second or less vary by ±30 % here; the median is reported. */
const REPRINT_RUNS = 3

/** One timed poll of the reprinting source into a fresh store holding the originals. */
export async function reprintRun(size: number, template: boolean, pool: ReadPool): Promise<{ us: number; clustered: number; added: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-bench-reprint-'))
  reprintFeeds(dir, size, template)
  const cfg = resolveConfig({
    site: { title: 'x', url: 'https://news.example.org', language: 'zh-CN' },
    disclaimer: { text: 'x' },
    defaults: { maxItemsPerSource: size, retentionDays: 3650 },
    categories: { local: { title: 'l' } },
    sources: ['original', 'reprint'].map((id) => ({ id, title: id, url: `file://${join(dir, `${id}.xml`)}`, categories: ['local'] })),
  })
  const store = await openStore(`sqlite://${join(dir, 'store.sqlite')}`)
  // 16,000 items of a kilobyte make a 17 MiB file, past the 15 MiB a fetch takes by default.
  const fetcher = createFetcher({ maxBodyBytes: 64 * 2 ** 20 })
  try {
    await pollAll(store, [cfg.sources[0]], pool, NOW, fetcher)
    const started = performance.now()
    const [result] = await pollAll(store, [cfg.sources[1]], pool, NOW, fetcher)
    const us = ((performance.now() - started) * 1000) / size
    const clustered = (await store.getItems((await store.getList('reprint')).map(([id]) => id))).filter((e) => e && e.clusterId !== e.id).length
    return { us, clustered, added: result.newItems }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface GrowthFigures {
  rows: Array<{ stored: number; usPerItem: number }>
  ratio: number
}

/** The same 20-source poll (distinct items) into a store that already holds `stored` items. */
export async function growthSuite(o: IngestOptions, log: (line: string) => void): Promise<GrowthFigures> {
  const rows: GrowthFigures['rows'] = []
  const probeSources = 20
  const probeItems = 50
  for (const stored of o.growthSizes) {
    const dir = mkdtempSync(join(tmpdir(), 'feedloom-bench-growth-'))
    const fill = 10
    const perFill = stored / fill
    const files = Array.from({ length: fill }, (_, s) => {
      writeFileSync(join(dir, `s${s}.xml`), feedXml(100 + s, perFill))
      return `s${s}.xml`
    })
    const probes = Array.from({ length: probeSources }, (_, s) => {
      writeFileSync(join(dir, `p${s}.xml`), feedXml(500 + s, probeItems))
      return `p${s}.xml`
    })
    const cfg = config(dir, [...files, ...probes], Math.max(perFill, probeItems))
    const store = await openStore(`sqlite://${join(dir, 'store.sqlite')}`)
    const pool = new ReadPool()
    try {
      await pollAll(store, cfg.sources.slice(0, fill), pool)
      const times: number[] = []
      // Three probes of the same shape (other sources each time); the median is reported.
      for (let probe = 0; probe < 3; probe++) {
        const batch = cfg.sources.slice(fill).filter((_, i) => i % 3 === probe)
        const started = performance.now()
        const results = await pollAll(store, batch, pool)
        times.push(((performance.now() - started) * 1000) / results.reduce((n, r) => n + r.newItems, 0))
      }
      rows.push({ stored, usPerItem: median(times) })
      log(`growth: a poll into a store of ${stored} items: ${Math.round(median(times))} µs per new item`)
    } finally {
      await pool.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return { rows, ratio: rows.at(-1)!.usPerItem / rows[0].usPerItem }
}
