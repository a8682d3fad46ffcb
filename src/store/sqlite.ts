/**
 * The default store (issue 9 §1): SQLite through better-sqlite3 12, as a Keyv storage adapter
 * plus the atomic poll commit and the two indexes, all on one connection.
 *
 * Weighed and not used: @keyv/sqlite 4 (sqlite3; one statement and one implicit transaction per
 * key, `getMany` matching rows with a linear search per key, no way to group a poll's writes);
 * @keyv/sqlite 6 (better-sqlite3 13, which needs Node 22 and keyv 6); keyv-sqlite and
 * @keyvhq/sqlite (unmaintained forks of the first). None groups writes in one transaction.
 *
 * Records live in @keyv/sqlite's own table, `keyv(key VARCHAR(255) PRIMARY KEY, value TEXT)` with
 * Keyv's `namespace:` key prefix, so a file that @keyv/sqlite wrote opens as it is (its values in
 * the old serializer read through `codec.ts`; its `near:`/`lsh:` records move to the index tables
 * once, see `migrate.ts`).
 */
import { EventEmitter, once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import Keyv from 'keyv'
import type { NearRecord } from '../model.js'
import { bucketBytes, bucketsFromBytes, CHANGE_LOG_KEEP, LOG_TRIM_STEP, signatureBytes, signatureFromBytes, type Backend, type Batch, type ChangePage, type NearRow } from './backend.js'
import { deserialize, serialize } from './codec.js'

/**
 * WAL: a commit is an append and readers never wait for the writer. synchronous=NORMAL: synced at
 * checkpoints, not at every commit — a power cut may lose the last commits, never corrupt the file
 * or split one (a process crash loses nothing). The writing connection never checkpoints itself
 * (`wal_autocheckpoint = 0`): a thread does it in the background (checkpoint-worker.cjs), because
 * a checkpoint's fsyncs made commits three times slower (161 → 61 µs per 4 KiB item here). A
 * 32 MiB page cache keeps lookups in memory at 100,000 items. Pages stay at SQLite's 4 KiB: 16 KiB
 * pages packed ~3 KB item records better, but a round's small commits (a source's few new items)
 * wrote three times the bytes, each dirty page of an index being four times as large.
 */
const PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'wal_autocheckpoint = 0', 'cache_size = -32768', 'temp_store = MEMORY']
/** The most of the file a reading process maps: SQLite's own cap (SQLITE_MAX_MMAP_SIZE); the rest is read page by page. */
const MMAP_BYTES = 0x7fff0000
/** How often the checkpointer copies the log into the database file. */
const CHECKPOINT_INTERVAL_MS = 1_000
/** How long a writer waits for another process's write to finish before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS feedloom_near(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL UNIQUE, source TEXT NOT NULL, cluster TEXT NOT NULL,
  signature BLOB NOT NULL, buckets BLOB NOT NULL, shingles INTEGER NOT NULL, titles TEXT NOT NULL, figures TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedloom_changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL, deleted INTEGER NOT NULL);
`

type Row = { key: string; value: string | Buffer }

/** Values shorter than this stay text: the choice is not worth a scan for them. */
const UTF16_MIN_CHARS = 256

/**
 * A record's JSON as the `value` column keeps it: UTF-16LE in a blob when its UTF-8 takes 1.5 bytes
 * a character or more (text largely Chinese), as text otherwise. V8 turns UTF-8 that is largely
 * non-ASCII into the two-byte string it holds such text in at ~4 ns a byte, and UTF-16 in a copy:
 * one of the search bench's items (4,783 bytes of UTF-8 and 2,650 characters) read in 18.8 µs as
 * UTF-8, 0.6 µs from its 5,300 bytes of UTF-16; a 12.6 KB article of Chinese only, 50 µs against
 * 0.5 µs from 8.4 KB. A search page reads ~50 records. Text that is mostly ASCII (lists, states,
 * an English article, even with a few curly quotes) decodes fast as UTF-8, at half the bytes.
 */
function storedValue(json: string): string | Buffer {
  return json.length >= UTF16_MIN_CHARS && Buffer.byteLength(json, 'utf8') >= json.length * 1.5 ? Buffer.from(json, 'utf16le') : json
}

/** The JSON of a stored value, either form (files written before hold text only). */
function valueText(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('utf16le')
}

type StoredNear = { seq: number; item: string; source: string; cluster: string; signature: Buffer; buckets: Buffer; shingles: number; titles: string; figures: string }

/** The Keyv storage adapter: every call one prepared statement (batches: one statement or one transaction). */
class SqliteAdapter extends EventEmitter {
  namespace?: string
  readonly opts: { dialect: 'sqlite'; url: string }
  private readonly statements

  constructor(private readonly db: Database.Database, path: string) {
    super()
    this.opts = { dialect: 'sqlite', url: `sqlite://${path}` }
    this.statements = {
      get: db.prepare<[string], Row>('SELECT key, value FROM keyv WHERE key = ?'),
      getMany: db.prepare<[string], Row>('SELECT key, value FROM keyv WHERE key IN (SELECT value FROM json_each(?))'),
      upsert: db.prepare<[string, string | Buffer]>('INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      delete: db.prepare<[string]>('DELETE FROM keyv WHERE key = ?'),
      deleteMany: db.prepare<[string]>('DELETE FROM keyv WHERE key IN (SELECT value FROM json_each(?))'),
      clear: db.prepare<[string]>("DELETE FROM keyv WHERE key LIKE ? ESCAPE '\\'"),
      page: db.prepare<[string, string, number], Row>("SELECT key, value FROM keyv WHERE key LIKE ? ESCAPE '\\' AND key > ? ORDER BY key LIMIT ?"),
    }
  }

  async get(key: string): Promise<string | undefined> {
    const row = this.statements.get.get(key)
    return row && valueText(row.value)
  }

  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    const found = new Map<string, string>()
    for (const row of this.statements.getMany.iterate(JSON.stringify(keys))) found.set(row.key, valueText(row.value))
    return keys.map((key) => found.get(key))
  }

  async has(key: string): Promise<boolean> {
    return this.statements.get.get(key) !== undefined
  }

  async set(key: string, value: string): Promise<boolean> {
    this.statements.upsert.run(key, storedValue(value))
    return true
  }

  async setMany(entries: Array<{ key: string; value: string }>): Promise<void> {
    this.db.transaction(() => {
      for (const { key, value } of entries) this.statements.upsert.run(key, storedValue(value))
    })()
  }

  async delete(key: string): Promise<boolean> {
    return this.statements.delete.run(key).changes > 0
  }

  /** True: a key that was not there is deleted too. */
  async deleteMany(keys: string[]): Promise<boolean> {
    this.statements.deleteMany.run(JSON.stringify(keys))
    return true
  }

  async clear(): Promise<void> {
    this.statements.clear.run(`${likePrefix(this.namespace)}%`)
  }

  async *iterator(namespace?: string): AsyncGenerator<[string, string]> {
    const pattern = `${likePrefix(namespace)}%`
    let after = ''
    for (;;) {
      const rows = this.statements.page.all(pattern, after, 500)
      for (const row of rows) yield [row.key, valueText(row.value)]
      if (rows.length < 500) return
      after = rows[rows.length - 1].key
    }
  }

  async disconnect(): Promise<void> {
    if (this.db.open) this.db.close()
  }
}

function likePrefix(namespace: string | undefined): string {
  return namespace ? `${namespace.replace(/[\\%_]/g, (c) => `\\${c}`)}:` : ''
}

export class SqliteBackend implements Backend {
  readonly keyv: Keyv
  private readonly statements

  private constructor(
    private readonly db: Database.Database,
    path: string,
    namespace: string,
    private readonly checkpointer: Worker | undefined,
  ) {
    this.keyv = new Keyv({ store: new SqliteAdapter(db, path), namespace, serialize, deserialize, throwOnErrors: true })
    this.statements = {
      upsert: db.prepare<[string, string | Buffer]>('INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      insertNew: db.prepare<[string, string | Buffer]>('INSERT OR IGNORE INTO keyv (key, value) VALUES (?, ?)'),
      delete: db.prepare<[string]>('DELETE FROM keyv WHERE key = ?'),
      insertNear: db.prepare('INSERT OR REPLACE INTO feedloom_near (item, source, cluster, signature, buckets, shingles, titles, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      deleteNear: db.prepare<[string]>('DELETE FROM feedloom_near WHERE item = ?'),
      rows: db.prepare<[number, number], { seq: number; source: string; buckets: Buffer }>('SELECT seq, source, buckets FROM feedloom_near WHERE seq > ? ORDER BY seq LIMIT ?'),
      rowCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM feedloom_near'),
      bySeq: db.prepare<[string], StoredNear>('SELECT * FROM feedloom_near WHERE seq IN (SELECT value FROM json_each(?))'),
      byItem: db.prepare<[string], StoredNear>('SELECT * FROM feedloom_near WHERE item IN (SELECT value FROM json_each(?))'),
      logChange: db.prepare<[string, number]>('INSERT INTO feedloom_changes (item, deleted) VALUES (?, ?)'),
      trimLog: db.prepare<[number | bigint]>('DELETE FROM feedloom_changes WHERE seq <= ?'),
      changes: db.prepare<[number, number], { seq: number; item: string; deleted: number }>('SELECT seq, item, deleted FROM feedloom_changes WHERE seq > ? ORDER BY seq LIMIT ?'),
      oldestChange: db.prepare<[], { seq: number | null }>('SELECT min(seq) AS seq FROM feedloom_changes'),
      scan: db.prepare<[string, string], Row>("SELECT key, value FROM keyv WHERE key LIKE ? ESCAPE '\\' AND key > ? ORDER BY key LIMIT 1000"),
      lastChange: db.prepare<[], { seq: number | null }>("SELECT seq FROM sqlite_sequence WHERE name = 'feedloom_changes'"),
    }
    this.prefix = `${namespace}:`
  }

  private readonly prefix: string

  /** With `mapped`, the file is read through a memory map of up to MMAP_BYTES (openStore's `readMostly`). */
  static open(path: string, namespace: string, options: { mapped?: boolean } = {}): SqliteBackend {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS })
    for (const pragma of PRAGMAS) db.pragma(pragma)
    if (options.mapped) db.pragma(`mmap_size = ${MMAP_BYTES}`)
    db.exec(SCHEMA)
    // src/store/ and dist/store/ are both two levels below the package, which ships src/.
    const checkpointer =
      path === ':memory:'
        ? undefined
        : new Worker(new URL('../../src/store/checkpoint-worker.cjs', import.meta.url), { workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS, busyTimeoutMs: BUSY_TIMEOUT_MS } })
    checkpointer?.unref()
    checkpointer?.on('error', () => undefined)
    return new SqliteBackend(db, path, namespace, checkpointer)
  }

  async apply(batch: Batch): Promise<number[]> {
    const s = this.statements
    const seqs: number[] = []
    this.db.transaction(() => {
      for (const [key, value] of batch.set) s.upsert.run(this.prefix + key, storedValue(value))
      for (const key of batch.delete) s.delete.run(this.prefix + key)
      for (const itemId of batch.nearRemove) s.deleteNear.run(itemId)
      for (const r of batch.nearAdd) seqs.push(Number(s.insertNear.run(r.itemId, r.sourceId, r.clusterId, signatureBytes(r.signature), bucketBytes(r.buckets), r.shingles, JSON.stringify(r.titles), JSON.stringify(r.figures)).lastInsertRowid))
      let last: number | bigint = 0
      for (const itemId of batch.changed) last = s.logChange.run(itemId, 0).lastInsertRowid
      for (const itemId of batch.deleted) last = s.logChange.run(itemId, 1).lastInsertRowid
      const count = batch.changed.length + batch.deleted.length
      if (count && Math.floor(Number(last) / LOG_TRIM_STEP) !== Math.floor((Number(last) - count) / LOG_TRIM_STEP)) s.trimLog.run(Number(last) - CHANGE_LOG_KEEP)
    })()
    return seqs
  }

  async setIfAbsent(key: string, value: string): Promise<void> {
    this.statements.insertNew.run(this.prefix + key, storedValue(value))
  }

  async nearRows(seq: number, limit: number): Promise<NearRow[]> {
    return this.statements.rows.all(seq, limit)
  }

  async nearRowCount(): Promise<number> {
    return this.statements.rowCount.get()!.n
  }

  async nearBySeq(seqs: number[]): Promise<Map<number, NearRecord>> {
    const out = new Map<number, NearRecord>()
    if (seqs.length) for (const row of this.statements.bySeq.iterate(JSON.stringify(seqs))) out.set(row.seq, fromRow(row))
    return out
  }

  async nearByItem(itemIds: string[]): Promise<Map<string, NearRecord & { seq: number }>> {
    const out = new Map<string, NearRecord & { seq: number }>()
    if (itemIds.length) for (const row of this.statements.byItem.iterate(JSON.stringify(itemIds))) out.set(row.item, { ...fromRow(row), seq: row.seq })
    return out
  }

  async changesSince(seq: number, limit: number): Promise<ChangePage> {
    const changes = this.statements.changes.all(seq, limit).map((r) => ({ seq: r.seq, itemId: r.item, deleted: r.deleted === 1 }))
    const last = this.statements.lastChange.get()?.seq ?? 0
    const oldest = this.statements.oldestChange.get()?.seq ?? last + 1
    return { changes, oldest, last }
  }

  async *scan(prefix: string): AsyncIterable<[string, string]> {
    const pattern = `${likePrefix(this.prefix.slice(0, -1))}${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    let after = ''
    for (;;) {
      const rows = this.statements.scan.all(pattern, after)
      for (const row of rows) yield [row.key.slice(this.prefix.length), valueText(row.value)]
      if (rows.length < 1000) return
      after = rows[rows.length - 1].key
    }
  }

  async close(): Promise<void> {
    if (this.checkpointer) {
      // Its connection closes first, so closing ours (the last) checkpoints the log and removes it.
      const closed = once(this.checkpointer, 'message').catch(() => undefined)
      this.checkpointer.postMessage('close')
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, BUSY_TIMEOUT_MS).unref())])
      await this.checkpointer.terminate()
    }
    if (this.db.open) this.db.close()
  }
}

function fromRow(row: StoredNear): NearRecord {
  return {
    itemId: row.item,
    sourceId: row.source,
    clusterId: row.cluster,
    signature: signatureFromBytes(row.signature),
    buckets: bucketsFromBytes(row.buckets),
    shingles: row.shingles,
    titles: JSON.parse(row.titles),
    figures: JSON.parse(row.figures),
  }
}
