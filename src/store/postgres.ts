/**
 * `postgres://`: records in @keyv/postgres's own table (`public.keyv`, so stores it wrote open as
 * they are) through a Keyv adapter of ours on `pg`, because a poll's commit must be one
 * transaction over that table and the index tables beside it, which @keyv/postgres's pool cannot
 * give. Every batch is one statement (`unnest`/`jsonb_to_recordset`), whatever its size.
 */
import { EventEmitter } from 'node:events'
import Keyv from 'keyv'
import pg from 'pg'
import type { NearRecord } from '../model.js'
import { bucketBytes, bucketsFromBytes, CHANGE_LOG_KEEP, LOG_TRIM_STEP, signatureBytes, signatureFromBytes, type Backend, type Batch, type ChangePage, type NearRow } from './backend.js'
import { deserialize, serialize } from './codec.js'

/**
 * Connections per process: a poll's commit holds one for its transaction while the web layer reads
 * with the others. Connecting gives up after 10 s, like every store call (store/index.ts).
 */
const POOL_SIZE = 8
const CONNECT_TIMEOUT_MS = 10_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS feedloom_near(
  seq bigserial PRIMARY KEY, item text NOT NULL UNIQUE, source text NOT NULL, cluster text NOT NULL,
  signature bytea NOT NULL, buckets bytea NOT NULL, shingles integer NOT NULL, titles text NOT NULL, figures text NOT NULL);
CREATE TABLE IF NOT EXISTS feedloom_changes(seq bigserial PRIMARY KEY, item text NOT NULL, deleted boolean NOT NULL);
`
/** @keyv/postgres made keys VARCHAR(255); a canonical link can be longer, so the column becomes text (no rewrite). */
const WIDEN_KEYS = `ALTER TABLE keyv ALTER COLUMN key TYPE text`

class PostgresAdapter extends EventEmitter {
  namespace?: string
  readonly opts: { dialect: 'postgres'; url: string }

  constructor(private readonly pool: pg.Pool, url: string) {
    super()
    this.opts = { dialect: 'postgres', url }
  }

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM keyv WHERE key = $1', [key])
    return rows[0]?.value
  }

  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    const { rows } = await this.pool.query<{ key: string; value: string }>('SELECT key, value FROM keyv WHERE key = ANY($1::text[])', [keys])
    const found = new Map(rows.map((r) => [r.key, r.value]))
    return keys.map((k) => found.get(k))
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  async set(key: string, value: string): Promise<boolean> {
    await upsert(this.pool, [[key, value]])
    return true
  }

  async setMany(entries: Array<{ key: string; value: string }>): Promise<void> {
    await upsert(this.pool, entries.map((e) => [e.key, e.value]))
  }

  async delete(key: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM keyv WHERE key = $1', [key])).rowCount ?? 0) > 0
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    await this.pool.query('DELETE FROM keyv WHERE key = ANY($1::text[])', [keys])
    return true
  }

  async clear(): Promise<void> {
    await this.pool.query("DELETE FROM keyv WHERE key LIKE $1 ESCAPE '\\'", [`${likePrefix(this.namespace)}%`])
  }

  async *iterator(namespace?: string): AsyncGenerator<[string, string]> {
    let after = ''
    for (;;) {
      const { rows } = await this.pool.query<{ key: string; value: string }>("SELECT key, value FROM keyv WHERE key LIKE $1 ESCAPE '\\' AND key > $2 ORDER BY key LIMIT 500", [`${likePrefix(namespace)}%`, after])
      for (const row of rows) yield [row.key, row.value]
      if (rows.length < 500) return
      after = rows[rows.length - 1].key
    }
  }

  async disconnect(): Promise<void> {}
}

function likePrefix(namespace: string | undefined): string {
  return namespace ? `${namespace.replace(/[\\%_]/g, (c) => `\\${c}`)}:` : ''
}

/** One statement for any number of records; a key named twice keeps its last value. */
async function upsert(db: pg.Pool | pg.PoolClient, entries: Array<[string, string]>): Promise<void> {
  if (entries.length === 0) return
  const unique = new Map(entries)
  await db.query('INSERT INTO keyv (key, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [[...unique.keys()], [...unique.values()]])
}

/** `fn` in one transaction on one connection of the pool: committed when it returns, rolled back when it throws. */
async function transaction(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await fn(client)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}

export class PostgresBackend implements Backend {
  readonly keyv: Keyv
  private readonly prefix: string

  private constructor(
    private readonly pool: pg.Pool,
    url: string,
    namespace: string,
  ) {
    this.keyv = new Keyv({ store: new PostgresAdapter(pool, url), namespace, serialize, deserialize, throwOnErrors: true })
    this.prefix = `${namespace}:`
  }

  static async open(url: string, namespace: string): Promise<PostgresBackend> {
    const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
    // A dropped connection must not crash the process: the next query reconnects or fails alone.
    pool.on('error', () => undefined)
    try {
      // Two processes starting at once must not both create the tables.
      await transaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['feedloom schema'])
        await client.query(SCHEMA)
        const { rows } = await client.query<{ data_type: string }>("SELECT data_type FROM information_schema.columns WHERE table_name = 'keyv' AND column_name = 'key' AND table_schema = current_schema()")
        if (rows[0]?.data_type !== 'text') await client.query(WIDEN_KEYS)
      })
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw error
    }
    return new PostgresBackend(pool, url, namespace)
  }

  async apply(batch: Batch): Promise<number[]> {
    let seqs: number[] = []
    await transaction(this.pool, async (client) => {
      await upsert(client, batch.set.map(([k, v]) => [this.prefix + k, v]))
      if (batch.delete.length) await client.query('DELETE FROM keyv WHERE key = ANY($1::text[])', [batch.delete.map((k) => this.prefix + k)])
      if (batch.nearRemove.length) await client.query('DELETE FROM feedloom_near WHERE item = ANY($1::text[])', [batch.nearRemove])
      if (batch.nearAdd.length) {
        const rows = batch.nearAdd.map((r) => ({ item: r.itemId, source: r.sourceId, cluster: r.clusterId, signature: signatureBytes(r.signature).toString('base64'), buckets: bucketBytes(r.buckets).toString('base64'), shingles: r.shingles, titles: JSON.stringify(r.titles), figures: JSON.stringify(r.figures) }))
        // A fingerprint written again (an item fingerprinted anew) gets a new row number, so readers that catch up see it.
        await client.query('DELETE FROM feedloom_near WHERE item = ANY($1::text[])', [rows.map((r) => r.item)])
        const inserted = await client.query<{ item: string; seq: string }>(
          `INSERT INTO feedloom_near (item, source, cluster, signature, buckets, shingles, titles, figures)
           SELECT item, source, cluster, decode(signature, 'base64'), decode(buckets, 'base64'), shingles, titles, figures
           FROM jsonb_to_recordset($1::jsonb) AS r(item text, source text, cluster text, signature text, buckets text, shingles integer, titles text, figures text)
           RETURNING item, seq`,
          [JSON.stringify(rows)],
        )
        const seqOf = new Map(inserted.rows.map((r) => [r.item, Number(r.seq)]))
        seqs = rows.map((r) => seqOf.get(r.item)!)
      }
      const logged = [...batch.changed.map((id) => [id, false] as const), ...batch.deleted.map((id) => [id, true] as const)]
      if (logged.length) {
        const { rows } = await client.query<{ seq: string }>('INSERT INTO feedloom_changes (item, deleted) SELECT * FROM unnest($1::text[], $2::boolean[]) RETURNING seq', [logged.map((l) => l[0]), logged.map((l) => l[1])])
        const last = Math.max(...rows.map((r) => Number(r.seq)))
        if (Math.floor(last / LOG_TRIM_STEP) !== Math.floor((last - logged.length) / LOG_TRIM_STEP)) await client.query('DELETE FROM feedloom_changes WHERE seq <= $1', [last - CHANGE_LOG_KEEP])
      }
    })
    return seqs
  }

  async setIfAbsent(key: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO keyv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [this.prefix + key, value])
  }

  async nearRows(seq: number, limit: number): Promise<NearRow[]> {
    const { rows } = await this.pool.query<{ seq: string; source: string; buckets: Buffer }>('SELECT seq, source, buckets FROM feedloom_near WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit])
    return rows.map((r) => ({ seq: Number(r.seq), source: r.source, buckets: r.buckets }))
  }

  async nearRowCount(): Promise<number> {
    // The planner's estimate: exact counts scan the table, and the index only sizes itself by it.
    const { rows } = await this.pool.query<{ n: string }>("SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = to_regclass('feedloom_near')")
    return Number(rows[0]?.n ?? 0)
  }

  async nearBySeq(seqs: number[]): Promise<Map<number, NearRecord>> {
    const out = new Map<number, NearRecord>()
    if (seqs.length === 0) return out
    const { rows } = await this.pool.query<StoredNear>('SELECT * FROM feedloom_near WHERE seq = ANY($1::bigint[])', [seqs])
    for (const row of rows) out.set(Number(row.seq), fromRow(row))
    return out
  }

  async nearByItem(itemIds: string[]): Promise<Map<string, NearRecord & { seq: number }>> {
    const out = new Map<string, NearRecord & { seq: number }>()
    if (itemIds.length === 0) return out
    const { rows } = await this.pool.query<StoredNear>('SELECT * FROM feedloom_near WHERE item = ANY($1::text[])', [itemIds])
    for (const row of rows) out.set(row.item, { ...fromRow(row), seq: Number(row.seq) })
    return out
  }

  async changesSince(seq: number, limit: number): Promise<ChangePage> {
    const [{ rows }, bounds] = await Promise.all([
      this.pool.query<{ seq: string; item: string; deleted: boolean }>('SELECT seq, item, deleted FROM feedloom_changes WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit]),
      // A sequence never used yet holds last_value 1 with is_called false: no entry so far.
      this.pool.query<{ last: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS last FROM feedloom_changes_seq_seq'),
    ])
    const last = Number(bounds.rows[0]?.last ?? 0)
    const oldest = await this.pool.query<{ seq: string | null }>('SELECT min(seq) AS seq FROM feedloom_changes')
    return { changes: rows.map((r) => ({ seq: Number(r.seq), itemId: r.item, deleted: r.deleted })), oldest: oldest.rows[0]?.seq == null ? last + 1 : Number(oldest.rows[0].seq), last }
  }

  async *scan(prefix: string): AsyncIterable<[string, string]> {
    const pattern = `${likePrefix(this.prefix.slice(0, -1))}${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    let after = ''
    for (;;) {
      const { rows } = await this.pool.query<{ key: string; value: string }>("SELECT key, value FROM keyv WHERE key LIKE $1 ESCAPE '\\' AND key > $2 ORDER BY key LIMIT 1000", [pattern, after])
      for (const row of rows) yield [row.key.slice(this.prefix.length), row.value]
      if (rows.length < 1000) return
      after = rows[rows.length - 1].key
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined)
  }
}

interface StoredNear {
  seq: string
  item: string
  source: string
  cluster: string
  signature: Buffer
  buckets: Buffer
  shingles: number
  titles: string
  figures: string
}

function fromRow(r: StoredNear): NearRecord {
  return { itemId: r.item, sourceId: r.source, clusterId: r.cluster, signature: signatureFromBytes(r.signature), buckets: bucketsFromBytes(r.buckets), shingles: r.shingles, titles: JSON.parse(r.titles), figures: JSON.parse(r.figures) }
}
