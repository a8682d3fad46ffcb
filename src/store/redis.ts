/**
 * `redis://`: Keyv over @keyv/redis for single records (keys `feedloom::feedloom:…`, as stores
 * written before have them), and the same connection for what Keyv cannot do: a poll's commit is
 * one MULTI/EXEC (Redis runs a transaction whole or not at all, and discards one whose EXEC never
 * arrived), and the indexes are Redis structures — a sorted set per LSH bucket, trimmed on every
 * write, and a string per fingerprint.
 */
import KeyvRedis from '@keyv/redis'
import Keyv from 'keyv'
import type { NearRecord } from '../model.js'
import { capBuckets, CHANGE_LOG_KEEP, LOG_TRIM_STEP, MAX_POSTINGS_PER_BUCKET, type Backend, type Batch, type Change, type NearCandidates } from './backend.js'
import { deserialize, serialize } from './codec.js'

/** What this backend uses of @redis/client (its full types are too heavy to check for nothing). */
interface Client {
  multi(): Multi
  sendCommand(args: string[]): Promise<unknown>
  mGet(keys: string[]): Promise<Array<string | null | unknown>>
}
interface Multi {
  addCommand(args: string[]): Multi
  exec(): Promise<unknown[]>
  execAsPipeline(): Promise<unknown[]>
}

/** Commands sent per round trip when reading buckets: large batches without one huge reply. */
const READ_CHUNK = 5_000

/**
 * The change log is a list of `u:{id}` / `d:{id}` entries and a counter of entries trimmed from
 * its head, so entry i has sequence number trimmed + i + 1. Appending and trimming run in one
 * script (inside the commit's MULTI), reading a page in another, so the two always agree.
 */
const APPEND_LOG = `
local n = 0
for i = 1, #ARGV, 2000 do n = redis.call('rpush', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV))) end
local keep = tonumber(${CHANGE_LOG_KEEP})
if n > keep + ${LOG_TRIM_STEP} then
  redis.call('ltrim', KEYS[1], -keep, -1)
  redis.call('incrby', KEYS[2], n - keep)
end
return n`
const READ_LOG = `
local base = tonumber(redis.call('get', KEYS[2]) or '0')
local start = math.max(0, tonumber(ARGV[1]) - base)
return {base, redis.call('lrange', KEYS[1], start, start + tonumber(ARGV[2]) - 1)}`

/** A fingerprint as the string Redis keeps (the signature and buckets as base64 and numbers). */
interface StoredNear extends Omit<NearRecord, 'signature'> {
  signature: string
}

export class RedisBackend implements Backend {
  readonly keyv: Keyv

  private constructor(
    private readonly adapter: KeyvRedis<string>,
    private readonly client: Client,
    private readonly namespace: string,
  ) {
    this.keyv = new Keyv({ store: adapter, namespace, serialize, deserialize, throwOnErrors: true })
  }

  static async open(url: string, namespace: string, timeoutMs: number): Promise<RedisBackend> {
    const adapter = new KeyvRedis<string>(url, { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: timeoutMs })
    adapter.namespace = namespace
    const client = (await adapter.getClient()) as unknown as Client
    return new RedisBackend(adapter, client, namespace)
  }

  /** The Redis key of a Keyv record, as Keyv (`ns:`) and @keyv/redis (`ns::`) prefix it. */
  private recordKey(key: string): string {
    return `${this.namespace}::${this.namespace}:${key}`
  }

  private bucketKey(bucket: number): string {
    return `${this.namespace}::index:lsh:${bucket}`
  }

  private nearKey(itemId: string): string {
    return `${this.namespace}::index:near:${itemId}`
  }

  async apply(batch: Batch): Promise<void> {
    // Fingerprints to remove are read first: their buckets say which sorted sets name them.
    const removed = batch.nearRemove.length ? await this.nearRecords(batch.nearRemove) : new Map<string, NearRecord>()
    const multi = this.client.multi()
    for (const [key, value] of batch.set) multi.addCommand(['SET', this.recordKey(key), value])
    if (batch.delete.length) multi.addCommand(['UNLINK', ...batch.delete.map((k) => this.recordKey(k))])
    for (const record of removed.values()) {
      for (const bucket of record.buckets) multi.addCommand(['ZREM', this.bucketKey(bucket), record.itemId])
      multi.addCommand(['UNLINK', this.nearKey(record.itemId)])
    }
    // Insertion order within one commit, after every earlier commit: the newest have the highest scores.
    const base = Date.now() * 1_000
    batch.nearAdd.forEach((record, i) => {
      const stored: StoredNear = { ...record, signature: Buffer.from(record.signature.buffer, record.signature.byteOffset, record.signature.byteLength).toString('base64') }
      multi.addCommand(['SET', this.nearKey(record.itemId), JSON.stringify(stored)])
      for (const bucket of record.buckets) {
        const key = this.bucketKey(bucket)
        multi.addCommand(['ZADD', key, String(base + (i % 1_000)), record.itemId])
        multi.addCommand(['ZREMRANGEBYRANK', key, '0', String(-MAX_POSTINGS_PER_BUCKET - 1)])
      }
    })
    const entries = [...batch.changed.map((id) => `u:${id}`), ...batch.deleted.map((id) => `d:${id}`)]
    if (entries.length) multi.addCommand(['EVAL', APPEND_LOG, '2', ...this.logKeys(), ...entries])
    await multi.exec()
  }

  async nearCandidates(buckets: number[], perBucket: number): Promise<NearCandidates> {
    const rows: Array<[number, string]> = []
    for (let i = 0; i < buckets.length; i += READ_CHUNK) {
      const chunk = buckets.slice(i, i + READ_CHUNK)
      const multi = this.client.multi()
      for (const bucket of chunk) multi.addCommand(['ZRANGE', this.bucketKey(bucket), '0', String(perBucket - 1), 'REV'])
      const replies = (await multi.execAsPipeline()) as unknown as string[][]
      replies.forEach((ids, j) => {
        for (const id of ids) rows.push([chunk[j], id])
      })
    }
    const capped = capBuckets(rows, perBucket, () => undefined)
    return { buckets: capped, records: await this.nearRecords([...new Set(rows.map((r) => r[1]))]) }
  }

  async nearRecords(itemIds: string[]): Promise<Map<string, NearRecord>> {
    const out = new Map<string, NearRecord>()
    for (let i = 0; i < itemIds.length; i += READ_CHUNK) {
      const chunk = itemIds.slice(i, i + READ_CHUNK)
      const values = await this.client.mGet(chunk.map((id) => this.nearKey(id)))
      values.forEach((value) => {
        if (value === null) return
        const stored = JSON.parse(String(value)) as StoredNear
        const bytes = Buffer.from(stored.signature, 'base64')
        out.set(stored.itemId, { ...stored, signature: new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) })
      })
    }
    return out
  }

  private logKeys(): [string, string] {
    return [`${this.namespace}::index:changes`, `${this.namespace}::index:changes:trimmed`]
  }

  async changesSince(seq: number, limit: number): Promise<{ changes: Change[]; oldest: number }> {
    const [base, entries] = (await this.client.sendCommand(['EVAL', READ_LOG, '2', ...this.logKeys(), String(seq), String(limit)])) as [number, string[]]
    const start = Math.max(0, seq - base)
    const changes = entries.map((entry, i) => ({ seq: base + start + i + 1, itemId: entry.slice(2), deleted: entry.startsWith('d:') }))
    return { changes, oldest: base + 1 }
  }

  async *scan(prefix: string): AsyncIterable<[string, string]> {
    const head = this.recordKey('')
    const match = `${head}${prefix}`.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*'
    let cursor = '0'
    do {
      const [next, keys] = (await this.client.sendCommand(['SCAN', cursor, 'MATCH', match, 'COUNT', '1000'])) as [string, string[]]
      cursor = next
      if (keys.length === 0) continue
      const values = await this.client.mGet(keys)
      for (let i = 0; i < keys.length; i++) if (values[i] !== null) yield [keys[i].slice(head.length), String(values[i])]
    } while (cursor !== '0')
  }

  async close(): Promise<void> {
    await this.adapter.disconnect().catch(() => undefined)
  }
}
