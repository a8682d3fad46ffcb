import type { AlsoReported, Cluster, Config, Entry, PublishedItem, SourceConfig, SourceRef } from '../model.js'
import { HttpError } from '../errors.js'
import type { ItemRef, Store } from '../store/index.js'

/** SPEC §3: `limit` is 1–200, 50 by default. */
export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200
/** Longest `q`/`exclude` word we accept: longer is a mistake or an attack, not a search. */
const MAX_WORD_LENGTH = 200

export interface ViewQuery {
  category: string
  limit: number
  sources?: string[]
  q?: string
  exclude?: string
}

/** The query parameters every feed and widget route takes. Throws HttpError 400 naming the parameter. */
export function parseViewQuery(category: string, params: Record<string, unknown>, config: Config): ViewQuery {
  if (category !== 'all' && !Object.hasOwn(config.categories, category)) throw new HttpError(404, `unknown category "${category}"`)
  const query: ViewQuery = { category, limit: DEFAULT_LIMIT }
  const limit = single(params, 'limit')
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) throw new HttpError(400, `limit: must be a whole number from 1 to ${MAX_LIMIT}, got "${limit}"`)
    query.limit = Number(limit)
  }
  const source = single(params, 'source')
  if (source !== undefined) {
    const ids = source.split(',').map((s) => s.trim()).filter(Boolean)
    const known = new Set(config.sources.map((s) => s.id))
    const unknown = ids.filter((id) => !known.has(id))
    if (ids.length === 0) throw new HttpError(400, 'source: give one or more source ids separated by commas')
    if (unknown.length) throw new HttpError(400, `source: unknown source id ${unknown.map((id) => `"${id}"`).join(', ')}`)
    query.sources = ids
  }
  for (const name of ['q', 'exclude'] as const) {
    const word = single(params, name)
    if (word === undefined) continue
    if (!word.trim()) throw new HttpError(400, `${name}: must not be empty`)
    if (word.length > MAX_WORD_LENGTH) throw new HttpError(400, `${name}: longer than ${MAX_WORD_LENGTH} characters`)
    query[name] = word.trim()
  }
  return query
}

function single(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new HttpError(400, `${name}: give it once, as a single value`)
  return value
}

export function sourceRef(source: SourceConfig): SourceRef {
  return { id: source.id, title: source.title, url: source.url, homepage: source.homepage }
}

/** Sources whose items a view shows: the category's (or every) source, narrowed by `source=`. */
export function sourcesOf(config: Config, query: Pick<ViewQuery, 'category' | 'sources'>): SourceConfig[] {
  return config.sources.filter((s) => (query.category === 'all' || s.categories.includes(query.category)) && (!query.sources || query.sources.includes(s.id)))
}

/** How many item records to load per round while filling a page: enough for one round in the common case. */
const BATCH_FACTOR = 2

/**
 * A category view: its sources' lists merged newest first, items loaded in batches until `limit`
 * published items are found, clusters collapsed to one item each (published under the cluster id,
 * shown from the member that published first), `q`/`exclude` applied.
 */
export async function loadView(store: Store, config: Config, query: ViewQuery): Promise<PublishedItem[]> {
  const sources = sourcesOf(config, query)
  const byId = new Map(config.sources.map((s) => [s.id, s]))
  const refs = mergeLists(await store.getLists(sources.map((s) => s.id)))
  const inView = new Set(sources.map((s) => s.id))
  const seenClusters = new Set<string>()
  const out: PublishedItem[] = []
  const q = query.q?.toLowerCase()
  const exclude = query.exclude?.toLowerCase()

  for (let start = 0; start < refs.length && out.length < query.limit; ) {
    const batch = refs.slice(start, start + Math.max(query.limit * BATCH_FACTOR, 20))
    start += batch.length
    const items = (await store.getItems(batch.map((r) => r[0]))).filter((e): e is Entry => !!e)
    const clustered = items.filter((e) => !seenClusters.has(e.clusterId))
    const clusters = await loadClusters(store, clustered)
    for (const item of clustered) {
      if (seenClusters.has(item.clusterId) || out.length >= query.limit) continue
      seenClusters.add(item.clusterId)
      const members = clusters.get(item.clusterId) ?? [item]
      const candidates = members.filter((m) => inView.has(m.sourceId) && byId.has(m.sourceId))
      const representative = earliest(candidates.length ? candidates : [item])
      if (q && !contains(representative, q)) continue
      if (exclude && contains(representative, exclude)) continue
      const source = byId.get(representative.sourceId)!
      out.push({
        id: item.clusterId,
        entry: representative,
        source: sourceRef(source),
        content: source.content,
        alsoReportedBy: members
          .filter((m) => m !== representative && byId.has(m.sourceId))
          .sort(byPublished)
          .map((m): AlsoReported => ({ sourceId: m.sourceId, sourceTitle: byId.get(m.sourceId)!.title, title: m.title, url: m.url, published: m.published })),
      })
    }
  }
  return out.sort((a, b) => Date.parse(b.entry.published) - Date.parse(a.entry.published) || (a.id < b.id ? -1 : 1))
}

/** Members of every multi-item cluster among `items`, loaded in two batched reads. */
async function loadClusters(store: Store, items: Entry[]): Promise<Map<string, Entry[]>> {
  const ids = [...new Set(items.map((e) => e.clusterId))]
  const clusters = (await store.getClusters(ids)).filter((c): c is Cluster => !!c && c.members.length > 1)
  const memberIds = [...new Set(clusters.flatMap((c) => c.members.map((m) => m.itemId)))]
  const loaded = new Map((await store.getItems(memberIds)).filter((e): e is Entry => !!e).map((e) => [e.id, e]))
  const out = new Map<string, Entry[]>()
  for (const cluster of clusters) {
    const members = cluster.members.map((m) => loaded.get(m.itemId)).filter((e): e is Entry => !!e)
    if (members.length) out.set(cluster.id, members)
  }
  return out
}

/** Merge of lists that are each newest first. */
export function mergeLists(lists: ItemRef[][]): ItemRef[] {
  return lists.flat().sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
}

function byPublished(a: Entry, b: Entry): number {
  return Date.parse(a.published) - Date.parse(b.published) || Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || (a.id < b.id ? -1 : 1)
}

/** The member that published first (earliest date, ties by first-seen): the story is shown under it. */
function earliest(members: Entry[]): Entry {
  return members.reduce((best, m) => (byPublished(m, best) < 0 ? m : best))
}

function contains(entry: Entry, word: string): boolean {
  return entry.title.toLowerCase().includes(word) || entry.text.toLowerCase().includes(word)
}

/** Newest item time of a view, for Last-Modified and `<updated>`. */
export function newestTime(items: PublishedItem[]): string | undefined {
  let max = -Infinity
  for (const item of items) max = Math.max(max, Date.parse(item.entry.updated ?? item.entry.published))
  return Number.isFinite(max) ? new Date(max).toISOString() : undefined
}
