/**
 * The workload of the crash tests: three regional-shaped feeds on disk whose items move on every
 * round (new stories in, old ones out past maxItems), with reprints across them — near duplicates
 * (添加了来源/编辑 lines) and exact ones (the same article link) — so every commit writes items,
 * exact keys, clusters, fingerprints and deletions. Everything is a function of the round number,
 * the clock included, so a store that crashed and caught up must equal one that never crashed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveConfig } from '../../src/config/index.js'
import type { Config, Entry } from '../../src/model.js'
import type { Store } from '../../src/store/index.js'
import { benchItem } from '../../bench/feeds.js'

export const ROUNDS = 8
/** Stories per feed per round, and how far the window moves each round. */
const WINDOW = 60
const STEP = 25
const BASE = Date.UTC(2024, 8, 19, 0, 0, 0)

export function roundClock(round: number): Date {
  return new Date(BASE + (round + 1) * 3_600_000)
}

function story(k: number) {
  const item = benchItem(0, k, BASE + 10 * 86_400_000)
  return { ...item, date: new Date(BASE + k * 60_000 + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19) }
}

function xml(title: string, items: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>${title}</title><link>http://${title}.example.cn/</link>${items.join('')}</channel></rss>`
}

function item(title: string, link: string, date: string, paragraphs: string[]): string {
  return `<item><title>${title}</title><link>${link}</link><guid isPermaLink="true">${link}</guid><pubDate>${date}</pubDate><description><![CDATA[${paragraphs.map((p) => `<p>${p}</p>`).join('')}]]></description></item>`
}

/** Writes the three feeds as they are in `round`. */
export function writeRound(dir: string, round: number): void {
  mkdirSync(dir, { recursive: true })
  const ks = Array.from({ length: WINDOW }, (_, i) => round * STEP + i)
  const original = ks.map((k) => {
    const s = story(k)
    return item(s.title, `http://akxw.example.cn/news/${k}.html`, s.date, s.paragraphs)
  })
  // Near duplicates: every second story, reprinted with the portal's own lines.
  const reprint = ks.filter((k) => k % 2 === 0).map((k) => {
    const s = story(k)
    return item(`${s.title}（图）`, `http://hsw.example.cn/system/${k}.shtml`, s.date, [`${s.date} 来源：安康日报`, ...s.paragraphs, '编辑：张三'])
  })
  // Exact duplicates: every third story under the original's link.
  const linked = ks.filter((k) => k % 3 === 0).map((k) => {
    const s = story(k)
    return item(s.title.slice(0, 12), `http://akxw.example.cn/news/${k}.html?utm_source=rss`, s.date, [s.paragraphs[0]])
  })
  writeFileSync(join(dir, 'akxw.xml'), xml('akxw', original))
  writeFileSync(join(dir, 'hsw.xml'), xml('hsw', reprint))
  writeFileSync(join(dir, 'county.xml'), xml('county', linked))
}

export function worldConfig(dir: string): Config {
  return resolveConfig({
    site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
    disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。' },
    defaults: { timezone: 'Asia/Shanghai', maxItemsPerSource: 90, retentionDays: 1 },
    categories: { local: { title: '本地' } },
    sources: ['akxw', 'hsw', 'county'].map((id) => ({ id, title: id, url: `file://${join(dir, `${id}.xml`)}`, categories: ['local'] })),
  })
}

/** What a reader relies on, per source: every listed item with its id, cluster and first-seen time. */
export async function snapshot(store: Store, config: Config): Promise<Record<string, Array<Pick<Entry, 'id' | 'clusterId' | 'firstSeen' | 'published'>>>> {
  const out: Record<string, Array<Pick<Entry, 'id' | 'clusterId' | 'firstSeen' | 'published'>>> = {}
  for (const source of config.sources) {
    const list = await store.getList(source.id)
    const items = await store.getItems(list.map(([id]) => id))
    out[source.id] = items.map((e, i) => (e ? { id: e.id, clusterId: e.clusterId, firstSeen: e.firstSeen, published: e.published } : { id: `MISSING ${list[i][0]}`, clusterId: '', firstSeen: '', published: '' }))
  }
  return out
}

/**
 * What must hold after a crash at any instant, in words: each violation found. Lists name only
 * stored items and agree with their state; an item outside its own cluster is listed by that
 * cluster, and a cluster's id is its first member's; exact keys point at stored items; a
 * fingerprint names its item's cluster.
 */
export async function violations(store: Store, config: Config): Promise<string[]> {
  const found: string[] = []
  const items = new Map<string, Entry>()
  for (const source of config.sources) {
    const list = await store.getList(source.id)
    const state = await store.getState(source.id)
    if (state && state.itemCount !== list.length) found.push(`${source.id}: state says ${state.itemCount} items, list has ${list.length}`)
    const stored = await store.getItems(list.map(([id]) => id))
    stored.forEach((e, i) => (e ? items.set(e.id, e) : found.push(`${source.id}: listed item ${list[i][0]} is not stored`)))
  }
  const clusterIds = [...new Set([...items.values()].filter((e) => e.clusterId !== e.id).map((e) => e.clusterId))]
  const clusters = new Map((await store.getClusters(clusterIds)).flatMap((c) => (c ? [[c.id, c] as const] : [])))
  for (const e of items.values()) {
    if (e.clusterId === e.id) continue
    const cluster = clusters.get(e.clusterId)
    if (!cluster) found.push(`${e.sourceId}: item ${e.id} names cluster ${e.clusterId}, which is not stored`)
    else if (!cluster.members.some((m) => m.itemId === e.id)) found.push(`${e.sourceId}: item ${e.id} names cluster ${e.clusterId}, which does not list it`)
  }
  for (const c of clusters.values()) if (c.members[0]?.itemId !== c.id) found.push(`cluster ${c.id}: its first member is ${c.members[0]?.itemId}`)
  const keys = [...items.values()].flatMap((e) => (e.canonicalUrl ? [`link:${e.canonicalUrl}`] : []))
  const owners = await store.lookupKeys(keys)
  const ownerItems = await store.getItems([...new Set(owners.filter((o): o is string => !!o))])
  const existing = new Set(ownerItems.filter((e): e is Entry => !!e).map((e) => e.id))
  keys.forEach((key, i) => owners[i] !== undefined && !existing.has(owners[i]!) && found.push(`exact key ${key} points at ${owners[i]}, which is not stored`))
  const prints = await store.getNearRecords([...items.keys()])
  for (const [id, record] of prints) if (record.clusterId !== items.get(id)!.clusterId) found.push(`fingerprint of ${id} names cluster ${record.clusterId}, the item ${items.get(id)!.clusterId}`)
  return found
}
