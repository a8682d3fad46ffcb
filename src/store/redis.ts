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
import { bucketBytes, CHANGE_LOG_KEEP, LOG_TRIM_STEP, type Backend, type Batch, type ChangePage, type NearRow } from './backend.js'
import { deserialize, serialize } from './codec.js'

/** What this backend uses of @redis/client (its full types are too heavy to check for nothing). */
interface Client {
  multi(): Multi
  sendCommand(args: string[]): Promise<unknown>
  mGet(keys: string[]): Promise<Array<string | null | unknown>>
  readonly isReady: boolean
}
interface Multi {
  addCommand(args: string[]): Multi
  exec(): Promise<unknown[]>
  execAsPipeline(): Promise<unknown[]>
}

/** How long close() lets commands in flight finish before it drops the connection. */
const CLOSE_GRACE_MS = 2_000

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
return {base, redis.call('lrange', KEYS[1], start, start + tonumber(ARGV[2]) - 1), redis.call('llen', KEYS[1])}`

/**
 * Fingerprint rows: a counter gives each new row its number, a hash keeps the row by number, a
 * sorted set orders the numbers (and the bucket bytes ride as its members' suffix, so a reader
 * catching up reads one range), and a hash maps item id → number. One script appends, inside the
 * commit's MULTI. KEYS: counter, rows, order, items; ARGV: per row item id, bucket bytes (base64), JSON.
 */
const APPEND_NEAR = `
local first = redis.call('incrby', KEYS[1], #ARGV / 3) - #ARGV / 3
for i = 1, #ARGV, 3 do
  local old = redis.call('hget', KEYS[4], ARGV[i])
  if old then
    redis.call('hdel', KEYS[2], old)
    redis.call('zremrangebyscore', KEYS[3], old, old)
  end
  local seq = first + (i + 2) / 3
  redis.call('hset', KEYS[2], seq, ARGV[i + 2])
  redis.call('zadd', KEYS[3], seq, seq .. ':' .. ARGV[i + 1])
  redis.call('hset', KEYS[4], ARGV[i], seq)
end
return first`
/** Deletes the rows of item ids. KEYS: rows, order, items. */
const REMOVE_NEAR = `
for i = 1, #ARGV do
  local seq = redis.call('hget', KEYS[3], ARGV[i])
  if seq then
    redis.call('hdel', KEYS[1], seq)
    redis.call('zremrangebyscore', KEYS[2], seq, seq)
    redis.call('hdel', KEYS[3], ARGV[i])
  end
end
return 0`

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

  /** counter, rows, order, items */
  private nearKeys(): [string, string, string, string] {
    const base = `${this.namespace}::index:near`
    return [`${base}:seq`, `${base}:rows`, `${base}:order`, `${base}:items`]
  }

  async apply(batch: Batch): Promise<number[]> {
    const [counter, rows, order, items] = this.nearKeys()
    const multi = this.client.multi()
    for (const [key, value] of batch.set) multi.addCommand(['SET', this.recordKey(key), value])
    if (batch.delete.length) multi.addCommand(['UNLINK', ...batch.delete.map((k) => this.recordKey(k))])
    if (batch.nearRemove.length) multi.addCommand(['EVAL', REMOVE_NEAR, '3', rows, order, items, ...batch.nearRemove])
    let appended = -1
    if (batch.nearAdd.length) {
      appended = batch.set.length + (batch.delete.length ? 1 : 0) + (batch.nearRemove.length ? 1 : 0)
      const args = batch.nearAdd.flatMap((r) => {
        const stored: StoredNear = { ...r, signature: Buffer.from(r.signature.buffer, r.signature.byteOffset, r.signature.byteLength).toString('base64') }
        return [r.itemId, bucketBytes(r.buckets).toString('base64'), JSON.stringify(stored)]
      })
      multi.addCommand(['EVAL', APPEND_NEAR, '4', counter, rows, order, items, ...args])
    }
    const entries = [...batch.changed.map((id) => `u:${id}`), ...batch.deleted.map((id) => `d:${id}`)]
    if (entries.length) multi.addCommand(['EVAL', APPEND_LOG, '2', ...this.logKeys(), ...entries])
    const replies = await multi.exec()
    // The script answers the number before the first row it gave.
    return appended < 0 ? [] : batch.nearAdd.map((_, i) => Number(replies[appended]) + i + 1)
  }

  async setIfAbsent(key: string, value: string): Promise<void> {
    await this.client.sendCommand(['SET', this.recordKey(key), value, 'NX'])
  }

  async nearRows(seq: number, limit: number): Promise<NearRow[]> {
    const members = (await this.client.sendCommand(['ZRANGE', this.nearKeys()[2], `(${seq}`, '+inf', 'BYSCORE', 'LIMIT', '0', String(limit)])) as string[]
    return members.map((m) => {
      const at = m.indexOf(':')
      return { seq: Number(m.slice(0, at)), buckets: Buffer.from(m.slice(at + 1), 'base64') }
    })
  }

  async nearRowCount(): Promise<number> {
    return Number(await this.client.sendCommand(['ZCARD', this.nearKeys()[2]]))
  }

  async nearBySeq(seqs: number[]): Promise<Map<number, NearRecord>> {
    const out = new Map<number, NearRecord>()
    for (let i = 0; i < seqs.length; i += READ_CHUNK) {
      const chunk = seqs.slice(i, i + READ_CHUNK)
      const values = (await this.client.sendCommand(['HMGET', this.nearKeys()[1], ...chunk.map(String)])) as Array<string | null>
      values.forEach((v, j) => v !== null && out.set(chunk[j], parseNear(v)))
    }
    return out
  }

  async nearByItem(itemIds: string[]): Promise<Map<string, NearRecord & { seq: number }>> {
    const out = new Map<string, NearRecord & { seq: number }>()
    if (itemIds.length === 0) return out
    const seqs = (await this.client.sendCommand(['HMGET', this.nearKeys()[3], ...itemIds])) as Array<string | null>
    const found = await this.nearBySeq(seqs.filter((s): s is string => s !== null).map(Number))
    itemIds.forEach((id, i) => {
      const record = seqs[i] === null ? undefined : found.get(Number(seqs[i]))
      if (record) out.set(id, { ...record, seq: Number(seqs[i]) })
    })
    return out
  }

  private logKeys(): [string, string] {
    return [`${this.namespace}::index:changes`, `${this.namespace}::index:changes:trimmed`]
  }

  async changesSince(seq: number, limit: number): Promise<ChangePage> {
    const [base, entries, length] = (await this.client.sendCommand(['EVAL', READ_LOG, '2', ...this.logKeys(), String(seq), String(limit)])) as [number, string[], number]
    const start = Math.max(0, seq - base)
    const changes = entries.map((entry, i) => ({ seq: base + start + i + 1, itemId: entry.slice(2), deleted: entry.startsWith('d:') }))
    return { changes, oldest: base + 1, last: base + length }
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

  /**
   * Lets commands in flight finish, but never waits on a server that has gone: a client that is
   * not connected, or does not finish within CLOSE_GRACE_MS, is destroyed (its queued commands
   * fail, as they would have anyway), so shutting down during an outage does not hang.
   */
  async close(): Promise<void> {
    const destroy = () => this.adapter.disconnect(true).catch(() => undefined)
    if (!this.client.isReady) return destroy()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS, 'late')))
    const closed = this.adapter.disconnect().then(() => 'closed' as const, () => 'closed' as const)
    if ((await Promise.race([closed, late])) === 'late') await destroy()
    clearTimeout(timer)
  }
}

function parseNear(value: string): NearRecord {
  const stored = JSON.parse(value) as StoredNear
  const bytes = Buffer.from(stored.signature, 'base64')
  return { ...stored, signature: new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) }
}
