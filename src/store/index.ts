import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Keyv from 'keyv'
import type { Cluster, Entry, SourceState } from '../model.js'
import type { NearRecord } from '../dedupe/near.js'
import { StoreError, errorMessage } from '../errors.js'
import { parseStoreUrl, type StoreLocation } from './url.js'

export { parseStoreUrl, DEFAULT_STORE_URL, type StoreLocation } from './url.js'

/** Every Keyv call is bounded: @keyv/redis never settles a `get()` while the server is down (DESIGN.md). */
export const STORE_TIMEOUT_MS = 10_000

/** See `createKeyv`: SQLite in write-ahead-log mode, synced at checkpoints rather than at every commit. */
const SQLITE_PRAGMAS = ['PRAGMA journal_mode=WAL', 'PRAGMA synchronous=NORMAL']

/** Long-lived records (items, lists, indexes, source state) and rebuildable caches live apart. */
const DATA_NAMESPACE = 'feedloom'

/** A source's item list entry: id and published time (ms), newest first, so views merge without loading items. */
export type ItemRef = [id: string, publishedMs: number]

/** Everything one poll of one source writes, applied in an order that never loses stored data. */
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
  /** Near-duplicate fingerprints of the new items (`near:{itemId}`). */
  nearRecords?: NearRecord[]
  /** LSH buckets (`lsh:{band}:{hash}`) as complete new lists of item ids. */
  buckets?: Array<[key: string, itemIds: string[]]>
  /** Items dropped by retention; deleted last. */
  removed: Entry[]
  state: SourceState
}

/**
 * The Keyv data model of DESIGN.md. Raw Keyv values never leave this class.
 *
 *   source:{id}:state  SourceState          item:{id}     Entry
 *   source:{id}:items  ItemRef[]            key:{exact}   item id (first item seen with that key)
 *   cluster:{id}       Cluster              rev           changes on every stored change
 *   near:{id}          NearRecord           lsh:{band}:{hash}  item ids (newest last, bounded)
 *
 * A bucket may name items retention deleted: their `near:` record is gone, which is how readers
 * know to ignore them, so buckets are never rewritten on deletion.
 */
export class Store {
  readonly location: StoreLocation
  private readonly keyv: Keyv

  constructor(keyv: Keyv, location: StoreLocation) {
    this.keyv = keyv
    this.location = location
  }

  async getState(sourceId: string): Promise<SourceState | undefined> {
    return this.call(`read state of ${sourceId}`, () => this.keyv.get<SourceState>(`source:${sourceId}:state`))
  }

  async getStates(sourceIds: string[]): Promise<Map<string, SourceState>> {
    const values = await this.many<SourceState>(sourceIds.map((id) => `source:${id}:state`), 'read source states')
    const out = new Map<string, SourceState>()
    sourceIds.forEach((id, i) => {
      if (values[i]) out.set(id, values[i]!)
    })
    return out
  }

  /** Saves a source's state alone (e.g. after a failed poll: nothing else changes). */
  async putState(state: SourceState): Promise<void> {
    await this.call(`write state of ${state.id}`, () => this.keyv.set(`source:${state.id}:state`, state))
  }

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

  /** Item ids in LSH buckets (`bandKeys` of dedupe/near), `undefined` for an empty bucket. */
  async lookupBuckets(keys: string[]): Promise<Array<string[] | undefined>> {
    return this.many<string[]>(keys.map((k) => `lsh:${k}`), 'read near-duplicate buckets')
  }

  /** Near-duplicate fingerprints of items, `undefined` for items deleted (or stored before them). */
  async getNearRecords(ids: string[]): Promise<Array<NearRecord | undefined>> {
    return this.many<NearRecord>(ids.map((id) => `near:${id}`), 'read near-duplicate fingerprints')
  }

  /**
   * The image proxy's signing key (SPEC §8): generated on first use and kept, so every process
   * sharing the store signs alike. Read back after writing, which narrows (Keyv has no
   * set-if-absent to close) the window in which two processes starting on a fresh store at the
   * same instant keep different keys; FEEDLOOM_SECRET avoids the question (README).
   */
  async getSecret(): Promise<string> {
    const stored = await this.call('read image secret', () => this.keyv.get<string>('secret:image'))
    if (stored) return stored
    await this.call('write image secret', () => this.keyv.set('secret:image', randomBytes(32).toString('base64url')))
    return (await this.call('read image secret', () => this.keyv.get<string>('secret:image')))!
  }

  async getRev(): Promise<string> {
    return (await this.call('read revision', () => this.keyv.get<string>('rev'))) ?? '0'
  }

  /**
   * Applies one poll. Order matters: new records first, then the indexes that point at them, then
   * the source's list, state and `rev`, deletions last. A failure at any step leaves every list
   * pointing only at records that exist, so nothing stored before the poll is lost.
   */
  async commit(write: PollWrite, rev: string): Promise<void> {
    const { sourceId } = write
    await this.setMany(write.upserts.map((e) => ({ key: `item:${e.id}`, value: e })), `write items of ${sourceId}`)
    await this.setMany((write.nearRecords ?? []).map((r) => ({ key: `near:${r.itemId}`, value: r })), `write near-duplicate fingerprints of ${sourceId}`)
    await this.setMany(write.keys.map(([key, id]) => ({ key: `key:${key}`, value: id })), `write exact-match keys of ${sourceId}`)
    await this.setMany((write.buckets ?? []).map(([key, ids]) => ({ key: `lsh:${key}`, value: ids })), `write near-duplicate buckets of ${sourceId}`)
    await this.setMany(write.clusters.map((c) => ({ key: `cluster:${c.id}`, value: c })), `write clusters of ${sourceId}`)
    await this.call(`write item list of ${sourceId}`, () => this.keyv.set(`source:${sourceId}:items`, write.list))
    await this.call(`write state of ${sourceId}`, () => this.keyv.set(`source:${sourceId}:state`, write.state))
    await this.call('write revision', () => this.keyv.set('rev', rev))
    if (write.removed.length) await this.remove(write.removed)
  }

  /** Deletes items, their fingerprints and the exact-match keys that still point at them. */
  private async remove(items: Entry[]): Promise<void> {
    const keys: string[] = []
    for (const item of items) keys.push(...exactKeys(item))
    const owners = await this.lookupKeys(keys)
    const ids = new Set(items.map((i) => i.id))
    const doomed = keys.filter((_, i) => owners[i] !== undefined && ids.has(owners[i]!)).map((k) => `key:${k}`)
    // Some adapters answer `false` to a batch naming an absent key: only fingerprints that exist are named.
    const prints = (await this.getNearRecords(items.map((i) => i.id))).flatMap((r) => (r ? [`near:${r.itemId}`] : []))
    await this.call('delete expired items', () => this.keyv.deleteMany([...items.map((i) => `item:${i.id}`), ...prints, ...doomed]))
  }

  async close(): Promise<void> {
    await this.keyv.disconnect().catch(() => undefined)
  }

  private async many<T>(keys: string[], what: string): Promise<Array<T | undefined>> {
    if (keys.length === 0) return []
    return (await this.call(what, () => this.keyv.getMany<T>(keys))) as Array<T | undefined>
  }

  private async setMany(entries: Array<{ key: string; value: unknown }>, what: string): Promise<void> {
    if (entries.length === 0) return
    // Some adapters answer `undefined` for a batch they wrote; only an explicit `false` is a refusal.
    const results: unknown = await this.call(what, () => this.keyv.setMany(entries))
    const refused = Array.isArray(results) ? results.filter((ok) => ok === false).length : 0
    if (refused) throw new StoreError(`store: ${what}: the store refused ${refused} of ${entries.length} writes (${describeLocation(this.location)})`)
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
      return location.url.replace(/\/\/[^@/]*@/, '//***@')
  }
}

/** Opens the store named by a URL. SQLite creates its folder; redis/postgres adapters load on demand. */
export async function openStore(url: string): Promise<Store> {
  const location = parseStoreUrl(url)
  const keyv = await createKeyv(location)
  const store = new Store(keyv, location)
  await store.getRev() // fail now, with a clear message, rather than on the first poll
  return store
}

async function createKeyv(location: StoreLocation): Promise<Keyv> {
  const options = { namespace: DATA_NAMESPACE, throwOnErrors: true } as const
  switch (location.kind) {
    case 'memory':
      return new Keyv(options)
    case 'sqlite': {
      mkdirSync(dirname(location.path), { recursive: true })
      const { default: KeyvSqlite } = await import('@keyv/sqlite')
      const sqlite = new KeyvSqlite({ uri: `sqlite://${location.path}`, busyTimeout: 5_000 })
      // @keyv/sqlite has no batch write: every `set` of a `setMany` is its own transaction, and in
      // the default rollback-journal mode each one waits for an fsync (~5 ms), so a poll that writes
      // an item's 42 LSH buckets took seconds. In WAL mode with synchronous=NORMAL a commit is an
      // append (a crash may lose the last commits, never corrupt the file), and web processes keep
      // reading while a worker writes.
      for (const pragma of SQLITE_PRAGMAS) await sqlite.query(pragma)
      return new Keyv({ ...options, store: sqlite })
    }
    case 'redis': {
      const { default: KeyvRedis } = await import('@keyv/redis')
      return new Keyv({ ...options, store: new KeyvRedis(location.url, { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: STORE_TIMEOUT_MS }) })
    }
    case 'postgres': {
      const { default: KeyvPostgres } = await import('@keyv/postgres')
      return new Keyv({ ...options, store: new KeyvPostgres({ uri: location.url }) })
    }
  }
}
