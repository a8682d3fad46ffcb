/**
 * The index behind `q=` (issue 12 §7): a view's search used to read every stored item of the
 * view's sources and test each one, so every distinct query cost a scan of the store (31 req/s
 * with 720 items). This index answers which stories can match from SQLite FTS5 and keeps, in
 * memory, where each indexed item stands (source, cluster, published time), so a search reads
 * from the store only the items it shows.
 *
 * Why this shape (DESIGN.md, search):
 * - One index for every backend, kept by each web process beside its render cache and built from
 *   the store: the change log (`Store.changesSince`, written in the same atomic commit as the
 *   items) says what to re-read, so it never disagrees with the store for longer than one catch-up,
 *   and a render cached for store revision R was searched in an index caught up to R.
 * - FTS5's trigram tokenizer cannot look up words shorter than three characters, and most Chinese
 *   searches are two (西安, 暴雨). So the tokens are our own: every pair of adjacent characters, and
 *   every single character outside ASCII, each hashed to a short ASCII word. A query's tokens all
 *   present in an item is necessary for the item to contain the query; the view then tests each
 *   candidate exactly as before (`loadPage`), so hash collisions cost a read, never a wrong answer.
 * - The FTS table is contentless with `detail=none` (which items hold a token, no positions) in a
 *   private temporary database: SQLite keeps 32 MiB of it in memory and the rest in a file it
 *   unlinks at once, so the index costs no resident memory beyond that and leaves nothing behind,
 *   even after kill -9.
 */
import Database from 'better-sqlite3'
import type { Entry, ItemRef } from '../model.js'
import type { Store } from '../store/index.js'
import { mix32 } from '../hash.js'
import { compareRefs } from '../query/cursor.js'
import { errorMessage } from '../errors.js'
import { convertText, hasTraditional, simplifiedCharacters, VARIANTS } from '../variant/index.js'

/** Change-log entries read per round trip while catching up. */
const CHANGES_PER_READ = 5_000
/** Items loaded per round trip while catching up. */
const ITEMS_PER_READ = 500
/** Items indexed between two turns of the event loop while building: about 10 ms of work. */
const BUILD_CHUNK = 100
/** Characters of an item's text that are indexed: the text is capped at about this already (normalize/size.ts). */
const MAX_INDEXED_CHARS = 300_000
/**
 * A query that more than this share of the indexed items can match is answered by walking the
 * lists instead (`storyRefs` says `undefined`): a page then fills from the first few hundred items
 * it reads, where ordering every match would cost ~0.5 µs for each of them. Below
 * `DENSE_MIN_ROWS` matches the index always answers.
 */
const DENSE_SHARE = 0.2
const DENSE_MIN_ROWS = 1_000
/** Pages of the index FTS5 writes per merge step after a build: ~8 ms here. */
const MERGE_PAGES = 100
/** Matches asked for first; a query whose first matches say it holds DENSE_MARGIN × the cap is walked without asking for more. */
const PROBE_ROWS = 2_000
const DENSE_MARGIN = 2
/** The index's page cache; the rest of it lives in SQLite's temporary file. */
const CACHE_KIB = 32 * 1024
/**
 * A query's tokens beyond its rarest MATCH_TOKENS go to FTS5 only if they are themselves rare
 * (in at most RARE_SHARE of the indexed items): intersecting a token every item holds (群众, 记者)
 * with rare ones cost a one-item phrase search ~1.5 ms against ~0.2 ms for rare ones alone, and
 * narrows nothing the page's own test of each candidate does not (a dropped token only lets more
 * candidates through, never fewer).
 */
const MATCH_TOKENS = 3
const RARE_SHARE = 0.01
/** Counters of how many items hold each token, by its hash's low bits: 4 MiB. */
const FREQUENCY_BITS = 20
/** After a failed build, the next search tries again no sooner than this. */
const RETRY_BUILD_MS = 30_000

export interface SearchOptions {
  /** The store revision the caller is about to render for: the index catches up to it first. */
  revision?: () => string
  log?: (message: string, fields?: Record<string, unknown>) => void
  now?: () => number
}

/**
 * Where each indexed item stands, by its FTS row number: typed arrays, so a query that matches
 * tens of thousands of items walks them without touching an object per item.
 */
class Rows {
  ids: Array<string | undefined> = [undefined]
  published = new Float64Array(1024)
  source = new Int32Array(1024)
  cluster = new Int32Array(1024)
  private free: number[] = []

  take(): number {
    const row = this.free.pop() ?? this.ids.length
    if (row === this.ids.length) this.ids.push(undefined)
    if (row >= this.published.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2)
        b.set(a)
        return b
      }
      this.published = grow(this.published)
      this.source = grow(this.source)
      this.cluster = grow(this.cluster)
    }
    return row
  }

  release(row: number): void {
    this.ids[row] = undefined
    this.free.push(row)
  }

  /** Negative when row `a` comes before (is newer than) row `b` in a view: as `compareRefs`. */
  compare(a: number, b: number): number {
    const ia = this.ids[a]!
    const ib = this.ids[b]!
    return this.published[b] - this.published[a] || (ia < ib ? -1 : ia > ib ? 1 : 0)
  }
}

/** Numbers for strings (source ids, cluster ids), reused once nothing uses them. */
class Numbering<T> {
  readonly numbers = new Map<string, number>()
  readonly values: T[] = []
  private readonly keys: string[] = []
  private free: number[] = []

  constructor(private readonly make: () => T) {}

  of(key: string): number {
    let n = this.numbers.get(key)
    if (n === undefined) {
      n = this.free.pop() ?? this.values.length
      this.values[n] = this.make()
      this.keys[n] = key
      this.numbers.set(key, n)
    }
    return n
  }

  forget(n: number): void {
    this.numbers.delete(this.keys[n])
    this.free.push(n)
  }
}

export class SearchIndex {
  private readonly db = new Database('')
  private readonly rows = new Rows()
  private readonly rowOf = new Map<string, number>()
  private readonly sources = new Numbering(() => undefined)
  /** Each cluster's member rows. */
  private readonly clusters = new Numbering<number[]>(() => [])
  /** Per cluster number, the query that last saw it: one visit per story without a set per query. */
  private seen = new Uint32Array(1024)
  private query = 0
  /** The last change-log entry applied. */
  private seq = 0
  /** The store revision the index was last caught up for. */
  private rev?: string
  private building?: Promise<void>
  private built = false
  private failedAt = -Infinity
  private failure?: string
  private catching?: Promise<void>
  private readonly insert
  private readonly remove
  private readonly match
  private readonly matchAfter
  private readonly now: () => number
  /**
   * About how many indexed items hold each token (by hash, colliding tokens added up). Only ever
   * added to: a removed item's tokens are not known any more (the FTS table keeps no text). The
   * counts only choose which of a query's tokens FTS5 intersects, never what matches.
   */
  private readonly frequency = new Uint32Array(1 << FREQUENCY_BITS)

  constructor(
    private readonly store: Store,
    private readonly options: SearchOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.db.pragma('journal_mode = OFF')
    this.db.pragma('synchronous = OFF')
    // Pages kept in memory before the temporary file takes the rest.
    this.db.pragma(`cache_size = -${CACHE_KIB}`)
    this.db.exec("CREATE VIRTUAL TABLE search USING fts5(tokens, content='', contentless_delete=1, detail=none, tokenize='ascii')")
    this.insert = this.db.prepare<[number, string]>('INSERT INTO search (rowid, tokens) VALUES (?, ?)')
    this.remove = this.db.prepare<[number]>('DELETE FROM search WHERE rowid = ?')
    this.match = this.db.prepare<[string, number], number>('SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid LIMIT ?').pluck()
    this.matchAfter = this.db.prepare<[string, number, number], number>('SELECT rowid FROM search WHERE search MATCH ? AND rowid > ? ORDER BY rowid LIMIT ?').pluck()
  }

  /** Items indexed. */
  get size(): number {
    return this.rowOf.size
  }

  get ready(): boolean {
    return this.built
  }

  /**
   * Builds the index from every stored item (once; a failed build is tried again later). Searches
   * made meanwhile get `undefined`. Resolves when the index is ready or the build failed.
   */
  start(): Promise<void> {
    if (this.built) return Promise.resolve()
    if (!this.building && this.now() - this.failedAt >= RETRY_BUILD_MS) {
      this.building = this.build()
        .then(() => {
          this.built = true
          this.failure = undefined
        })
        .catch((error: unknown) => {
          this.clear()
          this.failedAt = this.now()
          this.failure = errorMessage(error)
          this.options.log?.(`search index: build failed, searches read the lists until it is rebuilt: ${this.failure}`)
        })
        .finally(() => (this.building = undefined))
    }
    return this.building ?? Promise.resolve()
  }

  /**
   * The stories of a view (its sources `inView`) that can match `q`, as the list position of each
   * story's newest member in the view, newest first, strictly after `after`. Every story whose
   * shown item contains `q` (or its simplified or traditional spelling) is among them; the caller
   * tests each exactly. Ordered lazily (a heap), since a page reads only the first few of what a
   * common word matches. `undefined` while the index is being built, or when most items match.
   */
  async storyRefs(q: string, inView: ReadonlySet<string>, after?: ItemRef): Promise<IterableIterator<ItemRef> | undefined> {
    if (!this.built) {
      void this.start()
      return undefined
    }
    await this.catchUp()
    const candidates = this.candidates(q)
    if (!candidates) return undefined
    const { rows } = this
    const view = new Uint8Array(this.sources.values.length)
    for (const id of inView) {
      const n = this.sources.numbers.get(id)
      if (n !== undefined) view[n] = 1
    }
    if (this.seen.length < this.clusters.values.length) this.seen = new Uint32Array(this.clusters.values.length * 2)
    if (++this.query === 0xffffffff) {
      this.seen.fill(0)
      this.query = 1
    }
    const heads: number[] = []
    for (const row of candidates) {
      if (!view[rows.source[row]]) continue
      const cluster = rows.cluster[row]
      if (this.seen[cluster] === this.query) continue
      this.seen[cluster] = this.query
      const members = this.clusters.values[cluster]
      let head = row
      if (members.length > 1) for (const m of members) if (view[rows.source[m]] && rows.compare(m, head) < 0) head = m
      if (after && compareRefs([rows.ids[head]!, rows.published[head]], after) <= 0) continue
      heads.push(head)
    }
    return this.inOrder(heads)
  }

  /** Brings the index up to the store's revision: every item the change log names since is re-read. */
  async catchUp(): Promise<void> {
    const rev = this.options.revision?.()
    if (rev !== undefined && rev === this.rev) return
    // One catch-up at a time; a search arriving during one waits for it and then checks again.
    while (this.catching) await this.catching
    if (rev !== undefined && rev === this.rev) return
    this.catching = this.follow().finally(() => (this.catching = undefined))
    await this.catching
    this.rev = rev
  }

  close(): void {
    this.db.close()
  }

  private async build(): Promise<void> {
    const started = this.now()
    // Everything committed up to `last` is in the scan below or comes after it in the log: items
    // written or deleted while the scan runs are re-read (or dropped) by the catch-up that follows.
    const { last } = await this.store.changesSince(Number.MAX_SAFE_INTEGER, 0)
    this.seq = last
    // One transaction for the whole build (this database is the index's alone, and no search
    // reads it before the build is through): FTS5 then writes its segments once, not per chunk.
    this.db.exec('BEGIN')
    try {
      let n = 0
      for await (const item of this.store.items()) {
        this.indexOne(item)
        // Requests are answered in between: a build of 100,000 items takes seconds.
        if (++n % BUILD_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve))
      }
      this.db.exec('COMMIT')
    } finally {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
    }
    await this.follow()
    this.options.log?.(`search index: ${this.rowOf.size} items indexed in ${((this.now() - started) / 1000).toFixed(1)} s`)
    void this.compact().catch((error: unknown) => this.options.log?.(`search index: merging its segments failed (searches are slower, not wrong): ${errorMessage(error)}`))
  }

  /**
   * Merges the index's segments into one, a step per turn of the event loop, once a build is in.
   * A build leaves FTS5 segments at several levels and a query reads each of them: at 100,000
   * items the first 2,000 matches of a common phrase cost ~4 ms before and ~0.5 ms after.
   * (`optimize` does the same in one call of ~2 s, holding every request for as long.)
   */
  private async compact(): Promise<void> {
    const total = this.db.prepare<[], number>('SELECT total_changes()').pluck()
    const merge = this.db.prepare<[number]>("INSERT INTO search(search, rank) VALUES('merge', ?)")
    while (this.db.open) {
      const before = total.get()!
      // Negative: merge whatever segments there are, not only full levels (FTS5 docs, 'merge').
      merge.run(-MERGE_PAGES)
      // Fewer than two rows changed: nothing was left to merge (FTS5 docs).
      if (total.get()! - before < 2) return
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Applies the change log from `seq` on. A reader the log has left behind builds afresh. */
  private async follow(): Promise<void> {
    for (;;) {
      const { changes, oldest } = await this.store.changesSince(this.seq, CHANGES_PER_READ)
      if (this.seq + 1 < oldest) {
        this.clear()
        await this.build()
        return
      }
      if (changes.length === 0) return
      const written = new Set<string>()
      for (const change of changes) {
        if (change.deleted) {
          written.delete(change.itemId)
          this.drop(change.itemId)
        } else written.add(change.itemId)
      }
      const ids = [...written]
      for (let i = 0; i < ids.length; i += ITEMS_PER_READ) {
        const slice = ids.slice(i, i + ITEMS_PER_READ)
        const items = await this.store.getItems(slice)
        slice.forEach((id, k) => (items[k] ? undefined : this.drop(id)))
        this.indexAll(items.filter((e): e is Entry => !!e))
      }
      this.seq = changes[changes.length - 1].seq
      if (changes.length < CHANGES_PER_READ) return
    }
  }

  private indexAll(items: Entry[]): void {
    if (items.length === 0) return
    this.db.transaction(() => {
      for (const item of items) this.indexOne(item)
    })()
  }

  private indexOne(item: Entry): void {
    this.drop(item.id)
    const { rows } = this
    const row = rows.take()
    rows.ids[row] = item.id
    rows.published[row] = Date.parse(item.published)
    rows.source[row] = this.sources.of(item.sourceId)
    const cluster = this.clusters.of(item.clusterId)
    rows.cluster[row] = cluster
    this.clusters.values[cluster].push(row)
    this.rowOf.set(item.id, row)
    this.insert.run(row, itemTokens(item, this.frequency))
  }

  private drop(id: string): void {
    const row = this.rowOf.get(id)
    if (row === undefined) return
    this.remove.run(row)
    this.rowOf.delete(id)
    const cluster = this.rows.cluster[row]
    const members = this.clusters.values[cluster]
    members.splice(members.indexOf(row), 1)
    if (members.length === 0) this.clusters.forget(cluster)
    this.rows.release(row)
  }

  private clear(): void {
    for (const id of [...this.rowOf.keys()]) this.drop(id)
    // Everything is indexed again: counts of the dropped items would count twice.
    this.frequency.fill(0)
  }

  /**
   * Rows of indexed items that hold every token of `q` in one of its spellings; `undefined` when
   * so many do that walking the lists is cheaper (DENSE_SHARE).
   */
  private candidates(q: string): number[] | undefined {
    const cap = Math.max(DENSE_MIN_ROWS, Math.ceil(this.rowOf.size * DENSE_SHARE))
    const chinese = /[^\x00-\x7f]/.test(q)
    // The query as written and in each variant (软件, 軟體: phrases differ), folded as items are.
    const written = [q, ...(chinese ? VARIANTS.map((v) => convertText(q, v)) : [])].map((s) => s.toLowerCase())
    const spellings = new Set(chinese ? written.map(simplifiedFold) : written)
    const groups: string[] = []
    for (const spelling of spellings) {
      const words = queryTokens(spelling, { frequency: this.frequency, rare: Math.max(1, this.rowOf.size * RARE_SHARE) })
      // A single ASCII character has no token: every item is a candidate.
      if (words.length === 0) return this.rowOf.size > cap ? undefined : [...this.rowOf.values()]
      groups.push(`(${words.join(' AND ')})`)
    }
    const match = groups.join(' OR ')
    // A dense query is told from its first matches: row numbers are given in the store's key
    // order (item ids are hashes), so where the first PROBE_ROWS end among all rows samples how
    // many match in all, and FTS5 need not produce the cap's worth of rows to find it out (a
    // common phrase cost ~9 ms doing so at 100,000 items). A wrong guess costs time, never a
    // wrong answer: both ways test every item they show.
    const probe = Math.min(PROBE_ROWS, cap + 1)
    const first = this.match.all(match, probe)
    if (first.length < probe) return first
    if (first.length > cap) return undefined
    const last = first[first.length - 1]
    if ((first.length * this.rows.ids.length) / last > DENSE_MARGIN * cap) return undefined
    const rows = first.concat(this.matchAfter.all(match, last, cap + 1 - first.length))
    return rows.length > cap ? undefined : rows
  }

  /**
   * Rows as list positions, newest first, ordered as they are taken: a binary heap over a copy of
   * their positions (the page reads the store between takes, and a catch-up may reuse a row).
   */
  private inOrder(rowsOf: number[]): IterableIterator<ItemRef> {
    const n = rowsOf.length
    const ids: string[] = new Array(n)
    const published = new Float64Array(n)
    const heap = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      ids[i] = this.rows.ids[rowsOf[i]]!
      published[i] = this.rows.published[rowsOf[i]]
      heap[i] = i
    }
    const before = (a: number, b: number) => published[b] - published[a] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0)
    const down = (i: number, size: number) => {
      for (;;) {
        const l = 2 * i + 1
        if (l >= size) return
        const c = l + 1 < size && before(heap[l + 1], heap[l]) < 0 ? l + 1 : l
        if (before(heap[c], heap[i]) >= 0) return
        const t = heap[c]
        heap[c] = heap[i]
        heap[i] = t
        i = c
      }
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) down(i, n)
    return (function* () {
      for (let size = n; size > 0; size--) {
        const top = heap[0]
        heap[0] = heap[size - 1]
        down(0, size - 1)
        yield [ids[top], published[top]] as ItemRef
      }
    })()
  }
}

/**
 * The tokens of an item, as its FTS text: of its title and text, lower-cased as the view's test
 * compares them. Each distinct token is counted in `frequency`, when given.
 */
export function itemTokens(item: Pick<Entry, 'title' | 'text'>, frequency?: Uint32Array): string {
  const hashes = shared.reset()
  for (const part of [item.title, item.text.slice(0, MAX_INDEXED_CHARS)]) {
    const text = part.toLowerCase()
    // Indexed folded to simplified characters, and looked up so (`candidates`): a view with
    // `variant=` tests the converted text, and text that mixes scripts (汉中發展) converted matches
    // a query (汉中发展) that no spelling of it finds in the text as stored. Folding only merges
    // tokens, so what contains a query still holds every token of the query folded.
    addTokens(text, hashes, true, hasTraditional(text) ? simplifiedCharacters() : undefined)
  }
  if (frequency) hashes.count(frequency)
  return hashes.words()
}

/** `text` folded as {@link itemTokens} folds what it indexes (text without traditional characters folds to itself). */
function simplifiedFold(text: string): string {
  const table = simplifiedCharacters()
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out += table[c] ? String.fromCharCode(table[c]) : text[i]
  }
  return out
}

/**
 * The tokens a text containing `q` (already lower-cased) must have, as FTS words. With `rarest`,
 * only the MATCH_TOKENS rarest of them by `frequency`, and any other held by at most `rare` items.
 */
export function queryTokens(q: string, rarest?: { frequency: Uint32Array; rare: number }): string[] {
  const hashes = shared.reset()
  // Past one character the pairs imply the single characters: looking those up too would only
  // make FTS5 walk the longest lists it has (every item holds 的).
  addTokens(q, hashes, [...q].length === 1)
  if (rarest) hashes.keepRarest(rarest.frequency, rarest.rare)
  const words = hashes.words()
  return words ? words.split(' ') : []
}

/**
 * Distinct token hashes, spelled as FTS words. An open-addressing set over typed arrays: an article
 * of a few thousand characters gives a few thousand hashes, and sorting them to drop repeats cost
 * twenty times as much as hashing them.
 */
class Hashes {
  private slots = new Uint32Array(4096)
  /** A slot is taken when its stamp is the current one: a new set costs no clearing. */
  private stamps = new Uint32Array(4096)
  private stamp = 0
  private values = new Uint32Array(2048)
  private length = 0

  /** Empties the set for the next text. */
  reset(): this {
    this.length = 0
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0)
      this.stamp = 1
    }
    return this
  }

  add(hash: number): void {
    const mask = this.slots.length - 1
    let i = hash & mask
    while (this.stamps[i] === this.stamp) {
      if (this.slots[i] === hash) return
      i = (i + 1) & mask
    }
    this.stamps[i] = this.stamp
    this.slots[i] = hash
    if (this.length === this.values.length) this.grow()
    this.values[this.length++] = hash
  }

  /** Adds one to each hash's counter (by its low bits). */
  count(frequency: Uint32Array): void {
    const mask = frequency.length - 1
    for (let k = 0; k < this.length; k++) frequency[this.values[k] & mask]++
  }

  /** Keeps the MATCH_TOKENS hashes with the lowest counts, and the others counted at most `rare`; in their first order otherwise. */
  keepRarest(frequency: Uint32Array, rare: number): void {
    if (this.length <= MATCH_TOKENS) return
    const mask = frequency.length - 1
    const kept = Array.from(this.values.subarray(0, this.length))
    const byCount = [...kept].sort((a, b) => frequency[a & mask] - frequency[b & mask] || a - b)
    const keep = new Set(byCount.filter((hash, i) => i < MATCH_TOKENS || frequency[hash & mask] <= rare))
    this.length = 0
    for (const hash of kept) if (keep.has(hash)) this.values[this.length++] = hash
  }

  /** Twice the room, so the set stays at most half full. */
  private grow(): void {
    const values = new Uint32Array(this.values.length * 2)
    values.set(this.values)
    this.values = values
    this.slots = new Uint32Array(values.length * 2)
    this.stamps = new Uint32Array(values.length * 2)
    const mask = this.slots.length - 1
    for (let k = 0; k < this.length; k++) {
      let i = values[k] & mask
      while (this.stamps[i] === this.stamp) i = (i + 1) & mask
      this.stamps[i] = this.stamp
      this.slots[i] = values[k]
    }
  }

  /**
   * Each hash as seven base-32 letters and digits (35 bits hold 32), separated by spaces: the
   * `ascii` tokenizer keeps them whole, and writing them into a buffer costs a fraction of
   * `toString(36)` on every token of a long article.
   */
  words(): string {
    const out = Buffer.allocUnsafe(this.length * 8)
    let at = 0
    for (let k = 0; k < this.length; k++) {
      const hash = this.values[k]
      if (k > 0) out[at++] = 0x20
      for (let shift = 30; shift >= 0; shift -= 5) out[at++] = BASE32[(hash >>> shift) & 31]
    }
    return out.toString('latin1', 0, at)
  }
}

/** One set for every text: its arrays grow to the longest article seen and are then reused. */
const shared = new Hashes()

const BASE32 = Buffer.from('abcdefghijklmnopqrstuvwxyz234567', 'latin1')

/**
 * Every pair of adjacent code points, and every code point beyond ASCII alone (so a one-character
 * Chinese search has a token too), each as a 32-bit hash. Pairs and singles hash apart.
 */
function addTokens(text: string, out: Hashes, singles = true, fold?: Uint16Array): void {
  let previous = -1
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i)
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000
        i++
      }
    } else if (fold && fold[cp]) cp = fold[cp]
    if (singles && cp > 0x7f) out.add(mix32(cp ^ 0x9e3779b9))
    if (previous >= 0) out.add(mix32(Math.imul(previous, 0x01000193) ^ cp))
    previous = cp
  }
}
