import { randomBytes } from 'node:crypto'
import type Keyv from 'keyv'
import type { Cluster, Entry, ItemRef, NearRecord, SourceState } from '../model.js'
import { StoreError, errorMessage } from '../errors.js'
import { redactUrl } from '../redact.js'
import type { Backend, Batch, ChangePage, NearRow } from './backend.js'
import { LSH_BUCKET_CAP, rankCandidates } from '../dedupe/rank.js'
import { deserialize, encodeValue } from './codec.js'
import { migrate } from './migrate.js'
import { capacityFor, LshIndex } from './lsh.js'
import { parseStoreUrl, type StoreLocation } from './url.js'

export { parseStoreUrl, DEFAULT_STORE_URL, type StoreLocation } from './url.js'
export type { ItemRef } from '../model.js'
export type { Change, ChangePage } from './backend.js'

/** Every store call is bounded: @keyv/redis never settles a `get()` while the server is down (DESIGN.md). */
export const STORE_TIMEOUT_MS = 10_000

/** Fingerprint rows read per round trip when the LSH buckets are built or caught up. */
const NEAR_ROWS_PER_READ = 10_000

/** Long-lived records (items, lists, indexes, source state) and rebuildable caches live apart. */
const DATA_NAMESPACE = 'feedloom'

/** Everything one poll of one source writes, applied as one atomic batch (issue 9 §2). */
export interface PollWrite {
  sourceId: string
  /** New or changed items. */
  upserts: Entry[]
  /** The source's complete new list, newest first. */
  list: ItemRef[]
  /** New exact-match keys (`link:…`, `guid:…`) → item id. */
  keys: Array<[key: string, itemId: string]>
  /** Clusters created or extended by this poll. */
  clusters: Cluster[]
  /** Near-duplicate fingerprints of the new items. */
  nearRecords?: NearRecord[]
  /** Items dropped by retention. */
  removed: Entry[]
  state: SourceState
}

/**
 * The data model of DESIGN.md over one backend (SQLite, PostgreSQL, Redis, memory). Records are
 * Keyv records; raw Keyv values never leave this class.
 *
 *   source:{id}:state  SourceState          item:{id}     Entry
 *   source:{id}:items  ItemRef[]            key:{exact}   item id (first item seen with that key)
 *   cluster:{id}       Cluster              rev           changes on every stored change
 *
 * Beside the records each backend keeps, written in the same atomic commit, the near-duplicate
 * index (every new item's fingerprint, found by its LSH buckets) and a change log of the items
 * each commit wrote or deleted, which the search index behind `q=` follows.
 */
export class Store {
  readonly location: StoreLocation
  private readonly keyv: Keyv
  /** The LSH buckets, built on the first near-duplicate lookup (web processes never need them). */
  private lsh?: LshIndex
  private lshBuilding?: Promise<LshIndex>

  constructor(
    private readonly backend: Backend,
    location: StoreLocation,
  ) {
    this.keyv = backend.keyv
    this.location = location
  }

  /**
   * One source's state. Calls made in the same turn of the event loop are read together, in one
   * batched read: a round's hundreds of polls each read their state as they start.
   */
  getState(sourceId: string): Promise<SourceState | undefined> {
    return this.stateReads.add(sourceId)
  }

  async getStates(sourceIds: string[]): Promise<Map<string, SourceState>> {
    const values = await this.many<SourceState>(sourceIds.map((id) => `source:${id}:state`), 'read source states')
    const out = new Map<string, SourceState>()
    sourceIds.forEach((id, i) => {
      if (values[i]) out.set(id, values[i]!)
    })
    return out
  }

  /**
   * Saves a source's state alone (an unchanged feed, a failed poll: nothing else changes). Calls
   * made in the same turn of the event loop are written together, one transaction on SQLite (a
   * round of unchanged feeds made one per source); each resolves once its state is stored.
   */
  putState(state: SourceState): Promise<void> {
    return this.stateWrites.add(state)
  }

  private readonly stateReads = new Coalesced<string, SourceState | undefined>((ids) =>
    this.many<SourceState>(
      ids.map((id) => `source:${id}:state`),
      ids.length === 1 ? `read state of ${ids[0]}` : `read the state of ${ids.length} sources`,
    ),
  )

  // Keyv's setMany answers each write's success, or (adapters with a setMany of their own) nothing: their errors throw.
  private readonly stateWrites = new Coalesced<SourceState, void>(async (states) => {
    const what = states.length === 1 ? `write state of ${states[0].id}` : `write the state of ${states.length} sources`
    const written = await this.call(what, () => this.keyv.setMany(states.map((state) => ({ key: `source:${state.id}:state`, value: state }))))
    if (written?.some((w) => w === false)) throw new StoreError(`store: ${what}: the store did not take it (${describeLocation(this.location)})`)
    return states.map(() => undefined)
  })

  async getList(sourceId: string): Promise<ItemRef[]> {
    return (await this.call(`read item list of ${sourceId}`, () => this.keyv.get<ItemRef[]>(`source:${sourceId}:items`))) ?? []
  }

  async getLists(sourceIds: string[]): Promise<ItemRef[][]> {
    const values = await this.many<ItemRef[]>(sourceIds.map((id) => `source:${id}:items`), 'read item lists')
    return values.map((v) => v ?? [])
  }

  async getItems(ids: string[]): Promise<Array<Entry | undefined>> {
    return this.many<Entry>(ids.map((id) => `item:${id}`), 'read items')
  }

  async getClusters(ids: string[]): Promise<Array<Cluster | undefined>> {
    return this.many<Cluster>(ids.map((id) => `cluster:${id}`), 'read clusters')
  }

  /** Item ids registered under exact-match keys, `undefined` where none. */
  async lookupKeys(keys: string[]): Promise<Array<string | undefined>> {
    return this.many<string>(keys.map((k) => `key:${k}`), 'read exact-match keys')
  }

  /**
   * For each fingerprint (by entry id), the stored fingerprints of other sources' items it is to be
   * compared with, best first: `rankCandidates` over each bucket's newest LSH_BUCKET_CAP rows. The
   * buckets are in memory (lsh.ts), caught up first with every row appended since — by this process
   * or any other worker — so a commit that follows sees them all.
   *
   * Rows are ranked by number before any is read, and only the ranked ones are read: reading every
   * row of the buckets made a reprinting source's per-item cost grow with its batch (issue 9 §3).
   * A row found gone (retention, here or in another worker) leaves its buckets, and the buckets'
   * next rows take its place; a row found to be the source's own is never ranked again. Either
   * sends the fingerprints that ranked it through another round, until every ranked row is read.
   */
  async nearCandidates(prints: Iterable<readonly [string, { readonly buckets: readonly number[] }]>, sourceId: string): Promise<Map<string, NearRecord[]>> {
    const index = await this.nearIndex()
    // The windows of buckets that hold rows, read once per call. Most buckets of a new item hold
    // none: those are looked up again when asked (a probe or two), not kept, which spared a map of
    // ~42,000 entries per thousand new items (a fifth of the main thread in the files bench).
    const windows = new Map<number, readonly number[]>()
    const window = (bucket: number): readonly number[] => {
      let seqs = windows.get(bucket)
      if (seqs === undefined) {
        const all = index.lookup(bucket)
        seqs = all.length > LSH_BUCKET_CAP ? all.slice(0, LSH_BUCKET_CAP) : all
        if (seqs.length) windows.set(bucket, seqs)
      }
      return seqs
    }
    // A row found gone is left out at once, also from buckets whose windows are first read later.
    const gone = new Set<number>()
    const eligible = (seq: number) => !gone.has(seq) && index.sourceOf(seq) !== sourceId
    const read = new Map<number, NearRecord>()
    const out = new Map<string, NearRecord[]>()
    let todo = [...prints]
    while (todo.length) {
      const ranked = todo.map(([, print]) => rankCandidates(print.buckets, window, eligible))
      const wanted = new Set<number>()
      for (const seqs of ranked) for (const seq of seqs) if (!read.has(seq)) wanted.add(seq)
      const found = wanted.size ? await this.call('read near-duplicate fingerprints', () => this.backend.nearBySeq([...wanted])) : undefined
      const newlyGone = new Set<number>()
      for (const seq of wanted) {
        const record = found?.get(seq)
        if (record === undefined) newlyGone.add(seq)
        else {
          read.set(seq, record)
          index.learnSource(seq, record.sourceId)
        }
      }
      if (newlyGone.size) {
        for (const seq of newlyGone) gone.add(seq)
        for (const [bucket, seqs] of windows) {
          const dead = seqs.filter((seq) => newlyGone.has(seq))
          if (dead.length === 0) continue
          for (const seq of dead) index.remove(seq, [bucket])
          windows.delete(bucket)
        }
      }
      const again: typeof todo = []
      todo.forEach((print, i) => {
        const records = ranked[i].map((seq) => read.get(seq))
        if (records.every((r): r is NearRecord => r !== undefined && r.sourceId !== sourceId)) out.set(print[0], records)
        else again.push(print)
      })
      todo = again
    }
    return out
  }

  /** Near-duplicate fingerprints of items; items deleted (or stored without one) are absent. */
  async getNearRecords(ids: string[]): Promise<Map<string, NearRecord>> {
    return this.call('read near-duplicate fingerprints', () => this.backend.nearByItem(ids))
  }

  /**
   * The in-memory buckets, read from the fingerprint rows the first time, then caught up. The
   * first time, the table is made the size the stored rows need: grown by doubling, it rehashed
   * every posting about once more and briefly held two tables (0.13 s of a round over 38,800 items).
   */
  private async nearIndex(): Promise<LshIndex> {
    const index = (this.lsh ??= await (this.lshBuilding ??= this.firstNearIndex().finally(() => (this.lshBuilding = undefined))))
    for (;;) {
      const rows = await this.nearRowsAfter(index.lastSeq)
      index.addRows(rows)
      if (rows.length < NEAR_ROWS_PER_READ) return index
    }
  }

  private async firstNearIndex(): Promise<LshIndex> {
    const [count, rows] = await Promise.all([this.call('count near-duplicate fingerprints', () => this.backend.nearRowCount()), this.nearRowsAfter(0)])
    const index = new LshIndex(capacityFor((count * (rows[0]?.buckets.length ?? 0)) / 6))
    index.addRows(rows)
    return index
  }

  private nearRowsAfter(seq: number): Promise<NearRow[]> {
    return this.call('read new near-duplicate fingerprints', () => this.backend.nearRows(seq, NEAR_ROWS_PER_READ))
  }

  /** Items written or deleted after change `seq`, in commit order (what a search index follows). */
  async changesSince(seq: number, limit: number): Promise<ChangePage> {
    return this.call('read the change log', () => this.backend.changesSince(seq, limit))
  }

  /** Every stored item, in no particular order, read in pages (to build a search index from). */
  async *items(): AsyncIterable<Entry> {
    for await (const [, raw] of this.backend.scan('item:')) {
      const item = deserialize<{ value?: Entry }>(raw).value
      if (item) yield item
    }
  }

  /**
   * The image proxy's signing key (SPEC §8): generated on first use and kept, so every process
   * sharing the store signs alike (FEEDLOOM_SECRET, when set, is used instead; README).
   */
  async getSecret(): Promise<string> {
    const stored = await this.call('read image secret', () => this.keyv.get<string>('secret:image'))
    if (stored) return stored
    // Web processes starting at once on a new store each make one; the first written is kept by all.
    await this.call('write image secret', () => this.backend.setIfAbsent('secret:image', encodeValue(randomBytes(32).toString('base64url'))))
    return (await this.call('read image secret', () => this.keyv.get<string>('secret:image')))!
  }

  async getRev(): Promise<string> {
    return (await this.call('read revision', () => this.keyv.get<string>('rev'))) ?? '0'
  }

  /**
   * Applies one poll in one atomic step (a transaction on SQLite and PostgreSQL, MULTI/EXEC on
   * Redis): after a crash at any instant the store is as before the poll or as after it — never an
   * item whose cluster does not list it, never a list naming an item that is not there.
   */
  async commit(write: PollWrite, rev: string): Promise<void> {
    const { sourceId } = write
    const batch: Batch = { set: [], delete: [], nearAdd: write.nearRecords ?? [], nearRemove: [], changed: [], deleted: [] }
    for (const e of write.upserts) {
      batch.set.push([`item:${e.id}`, encodeValue(e)])
      batch.changed.push(e.id)
    }
    for (const [key, id] of write.keys) batch.set.push([`key:${key}`, encodeValue(id)])
    for (const c of write.clusters) batch.set.push([`cluster:${c.id}`, encodeValue(c)])
    batch.set.push([`source:${sourceId}:items`, encodeValue(write.list)], [`source:${sourceId}:state`, encodeValue(write.state)], ['rev', encodeValue(rev)])
    const forget = write.removed.length ? await this.removal(write.removed, batch) : []
    const seqs = await this.call(`commit the poll of ${sourceId}`, () => this.backend.apply(batch))
    for (const record of forget) this.lsh?.remove(record.seq, record.buckets)
    // The rows just written come next in the log (commits run one at a time under the commit
    // lock): indexed at once, they need not be read back. A gap means another writer: catch up.
    if (this.lsh && seqs.length && seqs[0] === this.lsh.lastSeq + 1) batch.nearAdd.forEach((r, i) => this.lsh!.add(seqs[i], r.buckets, r.sourceId))
  }

  /**
   * Deletes items, their fingerprints and the exact-match keys that still point at them; returns
   * the fingerprint rows this process's buckets forget once the commit is through.
   */
  private async removal(items: Entry[], batch: Batch): Promise<Array<{ seq: number; buckets: number[] }>> {
    const keys: string[] = []
    for (const item of items) keys.push(...exactKeys(item))
    const owners = await this.lookupKeys(keys)
    const ids = new Set(items.map((i) => i.id))
    keys.forEach((key, i) => owners[i] !== undefined && ids.has(owners[i]!) && batch.delete.push(`key:${key}`))
    for (const item of items) {
      batch.delete.push(`item:${item.id}`)
      batch.nearRemove.push(item.id)
      batch.deleted.push(item.id)
    }
    return this.lsh ? [...(await this.call('read fingerprints of expired items', () => this.backend.nearByItem(items.map((i) => i.id)))).values()] : []
  }

  async close(): Promise<void> {
    await this.backend.close().catch(() => undefined)
  }

  private async many<T>(keys: string[], what: string): Promise<Array<T | undefined>> {
    if (keys.length === 0) return []
    return (await this.call(what, () => this.keyv.getMany<T>(keys))) as Array<T | undefined>
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreError(`store: ${what}: no answer within ${STORE_TIMEOUT_MS / 1000} s (${describeLocation(this.location)})`)), STORE_TIMEOUT_MS)
    })
    try {
      const result = await Promise.race([fn(), timeout])
      if (result === false) throw new StoreError(`store: ${what}: the store refused the write (${describeLocation(this.location)})`)
      return result
    } catch (error) {
      if (error instanceof StoreError) throw error
      throw new StoreError(`store: ${what}: ${errorMessage(error)} (${describeLocation(this.location)})`, { cause: error })
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * Calls made in the same turn of the event loop, run as one batch when the turn ends (a
 * DataLoader): each caller gets its own result, or the batch's error.
 */
class Coalesced<In, Out> {
  private pending: Array<{ input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = []

  constructor(private readonly run: (inputs: In[]) => Promise<Out[]>) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ input, resolve, reject }) === 1) setImmediate(() => this.flush())
    })
  }

  private flush(): void {
    const batch = this.pending
    this.pending = []
    this.run(batch.map((p) => p.input)).then(
      (outs) => batch.forEach((p, i) => p.resolve(outs[i])),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    )
  }
}

/** The exact-match keys of an entry: its canonical link and a GUID that is unique beyond its feed. */
export function exactKeys(entry: Pick<Entry, 'canonicalUrl' | 'guid'>, ambiguous?: ReadonlySet<string>): string[] {
  const keys: string[] = []
  if (entry.canonicalUrl && !ambiguous?.has(entry.canonicalUrl)) keys.push(`link:${entry.canonicalUrl}`)
  if (entry.guid && isGlobalGuid(entry.guid) && entry.guid !== entry.canonicalUrl) keys.push(`guid:${entry.guid}`)
  return keys
}

/** Short or numeric GUIDs ("12345") are only unique within one feed; URLs, URNs and tag: URIs travel. */
function isGlobalGuid(guid: string): boolean {
  return /^(https?:\/\/|urn:|tag:)/i.test(guid) && guid.length >= 16
}

export function describeLocation(location: StoreLocation): string {
  switch (location.kind) {
    case 'memory':
      return 'memory://'
    case 'sqlite':
      return `sqlite://${location.path}`
    default:
      return redactUrl(location.url)
  }
}

export interface OpenOptions {
  /**
   * Reads mostly (a web process): SQLite reads the file through a memory map rather than a
   * `pread` per page. A search page's ~50 random records read ~30 % faster so (14 → 10 µs each
   * with parsing, here). Not in a polling process: every page it touches would count in its
   * resident size, which a round keeps under a bound (README, Memory).
   */
  readMostly?: boolean
}

/** Opens the store named by a URL. SQLite creates its folder; the redis and postgres clients load on demand. */
export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url)
  const backend = await openBackend(location, options)
  const store = new Store(backend, location)
  await store.getRev() // fail now, with a clear message, rather than on the first poll
  try {
    await migrate(backend)
  } catch (error) {
    await store.close()
    throw new StoreError(`store: cannot bring ${describeLocation(location)} to the current format: ${errorMessage(error)}`, { cause: error })
  }
  return store
}

/** The backend behind a store, for tools and tests that need it below the data model. */
export async function openBackend(location: StoreLocation, options: OpenOptions = {}): Promise<Backend> {
  try {
    switch (location.kind) {
      case 'memory': {
        const { MemoryBackend } = await import('./memory.js')
        return new MemoryBackend(DATA_NAMESPACE)
      }
      case 'sqlite': {
        const { SqliteBackend } = await import('./sqlite.js')
        return SqliteBackend.open(location.path, DATA_NAMESPACE, { mapped: options.readMostly })
      }
      case 'redis': {
        const { RedisBackend } = await import('./redis.js')
        return await RedisBackend.open(location.url, DATA_NAMESPACE, STORE_TIMEOUT_MS)
      }
      case 'postgres': {
        const { PostgresBackend } = await import('./postgres.js')
        return await PostgresBackend.open(location.url, DATA_NAMESPACE)
      }
    }
  } catch (error) {
    throw new StoreError(`store: cannot open ${describeLocation(location)}: ${errorMessage(error)}`, { cause: error })
  }
}
