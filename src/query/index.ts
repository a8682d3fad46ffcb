import { redactUrl } from '../redact.js'
import type { AlsoReported, Cluster, Config, Entry, PublishedItem, SourceConfig, SourceRef } from '../model.js'
import { HttpError } from '../errors.js'
import type { ItemRef, Store } from '../store/index.js'
import { VARIANTS, type Variant } from '../variant/index.js'
import { compareRefs, cursorRef, decodeCursor, type Cursor } from './cursor.js'
import { mergeHeads } from './merge.js'
import type { ListReader } from './lists.js'
import { convertItem } from './variant.js'

export { decodeCursor, encodeCursor, type Cursor } from './cursor.js'
export { convertItem, convertViewText } from './variant.js'
export { ListCache, type ListReader } from './lists.js'

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
  /** Script to convert every text to (SPEC §3 `variant=`). */
  variant?: Variant
  /** Start strictly after this position: the `before=` cursor of an older page (RFC 5005 §3). */
  before?: Cursor
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
  const variant = single(params, 'variant')
  if (variant !== undefined) {
    if (!(VARIANTS as readonly string[]).includes(variant)) throw new HttpError(400, `variant: must be ${VARIANTS.join(' or ')}, got "${variant.slice(0, MAX_WORD_LENGTH)}"`)
    query.variant = variant as Variant
  }
  const before = single(params, 'before')
  if (before !== undefined) query.before = decodeCursor(before)
  return query
}

function single(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new HttpError(400, `${name}: give it once, as a single value`)
  return value
}

/**
 * Where a published item came from. A `file://` source's URL is a path on the operator's disk:
 * it is never published; its feed on this site (`/feeds/all.rss?source=ID`) stands in for it.
 */
export function sourceRef(source: SourceConfig, siteUrl: string): SourceRef {
  const url = /^file:/i.test(source.url) ? `${siteUrl.replace(/\/+$/, '')}/feeds/all.rss?source=${encodeURIComponent(source.id)}` : redactUrl(source.url)
  return { id: source.id, title: source.title, url, homepage: source.homepage }
}

/** Sources whose items a view shows: the category's (or every) source, narrowed by `source=`. */
export function sourcesOf(config: Config, query: Pick<ViewQuery, 'category' | 'sources'>): SourceConfig[] {
  return config.sources.filter((s) => (query.category === 'all' || s.categories.includes(query.category)) && (!query.sources || query.sources.includes(s.id)))
}

/** How many item records to load per round while filling a page: enough for one round in the common case. */
const BATCH_FACTOR = 2
const MIN_BATCH = 20
/**
 * Beyond `limit`, the records read per round of a search the index answers: nearly every story it
 * names shows (a two-character query's candidates are exactly the items holding that pair), so a
 * page reads ~10 % more than it shows, and another round only when candidates fall through.
 */
const FOUND_MARGIN = 0.1
/** Later rounds: a quarter more than the share shown so far asks for, at least this many, at most MAX_BATCH. */
const NEXT_BATCH_MARGIN = 1.25
const MIN_NEXT_BATCH = 10
const MAX_BATCH = 1_000

export interface ViewPage {
  /** Newest first, by the position of each story's newest item in the view. */
  items: PublishedItem[]
  /** Where the next (older) page starts, when there may be one. */
  next?: Cursor
}

/**
 * What answers which stories of a view can match `q=` (search/index.ts), or says it cannot yet;
 * without one, or until it can, a search reads the view's lists through.
 */
export interface StorySearch {
  storyRefs(q: string, inView: ReadonlySet<string>, after?: ItemRef): Promise<Iterator<ItemRef> | undefined>
}

/** A category view's first `limit` published items: {@link loadPage} without the paging cursor. */
export async function loadView(store: Store, config: Config, query: ViewQuery, lists: ListReader = store, search?: StorySearch): Promise<PublishedItem[]> {
  return (await loadPage(store, config, query, lists, search)).items
}

/**
 * One page of a category view: its sources' lists merged newest first (from their heads only),
 * items loaded in batches until `limit` published items are found, clusters collapsed to one item
 * each (published under the cluster id, shown from the member that published first), `q`/`exclude`
 * applied, text converted to `variant`. Lists come from `lists` (a {@link ListCache} in the web
 * process), so only the heads of each are merged and only changed ones are read. With `q` and a
 * `search` index, only the stories the index names are walked, each at the same position and
 * tested the same way as in the lists, so a search's pages are those of the slow walk.
 *
 * A story stands at the position of its newest member in the view, and is skipped wherever an
 * older member turns up: so every story is on exactly one page, and the `next` cursor (the last
 * position this page consumed) neither repeats nor skips one, however clusters collapse.
 */
export async function loadPage(store: Store, config: Config, query: ViewQuery, lists: ListReader = store, search?: StorySearch): Promise<ViewPage> {
  const sources = sourcesOf(config, query)
  const byId = new Map(config.sources.map((s) => [s.id, s]))
  const inView = new Set(sources.map((s) => s.id))
  const after = query.before && cursorRef(query.before)
  const found = query.q && search ? await search.storyRefs(query.q, inView, after) : undefined
  const refs = found ?? mergeHeads(await lists.getLists(sources.map((s) => s.id)), after)
  const seenClusters = new Set<string>()
  const out: PublishedItem[] = []
  const q = query.q?.toLowerCase()
  const exclude = query.exclude?.toLowerCase()
  // The index names stories that almost all show: a page needs little more than `limit` of them.
  let batchSize = found ? query.limit + Math.ceil(query.limit * FOUND_MARGIN) : Math.max(query.limit * BATCH_FACTOR, MIN_BATCH)
  let last: ItemRef | undefined
  let read = 0

  for (let batch = take(refs, batchSize); batch.length > 0; batch = take(refs, batchSize)) {
    const items = await store.getItems(batch.map((r) => r[0]))
    const present = items.filter((e): e is Entry => !!e && !seenClusters.has(e.clusterId))
    const clusters = await loadClusters(store, present)
    for (const [index, ref] of batch.entries()) {
      const item = items[index]
      if (out.length >= query.limit) return { items: out, next: last && { publishedMs: last[1], id: last[0] } }
      last = ref
      if (!item || seenClusters.has(item.clusterId)) continue
      const members = (clusters.get(item.clusterId) ?? [item]).filter((m) => inView.has(m.sourceId) && byId.has(m.sourceId))
      // Shown at a newer member's position already, on this page or an earlier one.
      if (members.some((m) => compareRefs(positionOf(m), ref) < 0)) continue
      seenClusters.add(item.clusterId)
      const story = publishStory(item.clusterId, members.length ? members : [item], clusters.get(item.clusterId) ?? [item], byId, config.site.url)
      const published = query.variant ? convertItem(story, query.variant) : story
      // The item as stored and as shown: one and the same without `variant`, tested once then.
      const shown = published === story ? [story.entry] : [story.entry, published.entry]
      if (q && !shown.some((e) => contains(e, q))) continue
      if (exclude && shown.some((e) => contains(e, exclude))) continue
      out.push(published)
    }
    if (out.length >= query.limit) {
      // The page is full at the end of a batch: there is a next page only if anything is left.
      const more = take(refs, 1)
      return { items: out, next: more.length > 0 && last ? { publishedMs: last[1], id: last[0] } : undefined }
    }
    // The next round reads what the rounds so far say the rest of the page needs (a word two items
    // in five hold: 100 records, then ~30 more, not another 100), or twice as many when nothing
    // showed yet (a rare word walked while the index builds: ~100 rounds for 100,000 items, not
    // 1,000, which counts on PostgreSQL and Redis). Which records a page shows does not depend on them.
    read += batch.length
    const wanted = out.length > 0 ? Math.max(MIN_NEXT_BATCH, Math.ceil(((query.limit - out.length) * read * NEXT_BATCH_MARGIN) / out.length)) : batchSize * 2
    batchSize = Math.min(MAX_BATCH, wanted)
  }
  return { items: out }
}

/**
 * A story as published: under the member of `shown` that published first (earliest date, ties by
 * first seen), with the cluster's other members from configured sources (`byId`) as also-reported-by.
 */
export function publishStory(clusterId: string, shown: Entry[], all: Entry[], byId: ReadonlyMap<string, SourceConfig>, siteUrl: string): PublishedItem {
  const representative = earliest(shown)
  const source = byId.get(representative.sourceId)!
  return {
    id: clusterId,
    entry: representative,
    source: sourceRef(source, siteUrl),
    content: source.content,
    alsoReportedBy: all
      .filter((m) => m !== representative && byId.has(m.sourceId))
      .sort(byPublished)
      .map((m): AlsoReported => ({ sourceId: m.sourceId, sourceTitle: byId.get(m.sourceId)!.title, title: m.title, url: m.url, published: m.published })),
  }
}

function take(refs: Iterator<ItemRef>, n: number): ItemRef[] {
  const out: ItemRef[] = []
  while (out.length < n) {
    const next = refs.next()
    if (next.done) break
    out.push(next.value)
  }
  return out
}

/** An entry's place in its source's list, as retention writes it. */
function positionOf(entry: Entry): ItemRef {
  return [entry.id, Date.parse(entry.published)]
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

/** Merge of lists that are each newest first (all of it; views read only the heads with {@link mergeHeads}). */
export function mergeLists(lists: ItemRef[][]): ItemRef[] {
  return [...mergeHeads(lists)]
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
