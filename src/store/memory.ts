/**
 * `memory://`: Keyv over a Map, with the indexes in Maps beside it. Nothing survives the process;
 * for tests, previews and trying feedloom out. A batch is applied without yielding, so it is
 * atomic for every reader in the process.
 */
import Keyv from 'keyv'
import type { NearRecord } from '../model.js'
import { capBuckets, CHANGE_LOG_KEEP, LOG_TRIM_STEP, MAX_POSTINGS_PER_BUCKET, type Backend, type Batch, type Change, type NearCandidates } from './backend.js'
import { deserialize, serialize } from './codec.js'

export class MemoryBackend implements Backend {
  readonly keyv: Keyv
  private readonly map = new Map<string, string>()
  /** Bucket → item ids, oldest first. */
  private readonly postings = new Map<number, string[]>()
  private readonly records = new Map<string, NearRecord>()
  private log: Change[] = []
  private seq = 0
  private readonly prefix: string

  constructor(namespace: string) {
    this.keyv = new Keyv({ store: this.map, namespace, serialize, deserialize, throwOnErrors: true })
    this.prefix = `${namespace}:`
  }

  async apply(batch: Batch): Promise<void> {
    for (const [key, value] of batch.set) this.map.set(this.prefix + key, value)
    for (const key of batch.delete) this.map.delete(this.prefix + key)
    for (const itemId of batch.nearRemove) {
      const record = this.records.get(itemId)
      if (!record) continue
      this.records.delete(itemId)
      for (const bucket of record.buckets) {
        const ids = this.postings.get(bucket)?.filter((id) => id !== itemId)
        if (ids?.length) this.postings.set(bucket, ids)
        else this.postings.delete(bucket)
      }
    }
    for (const record of batch.nearAdd) {
      this.records.set(record.itemId, record)
      for (const bucket of record.buckets) {
        const ids = this.postings.get(bucket)
        if (!ids) this.postings.set(bucket, [record.itemId])
        else if (ids.push(record.itemId) > MAX_POSTINGS_PER_BUCKET) ids.shift()
      }
    }
    for (const itemId of batch.changed) this.log.push({ seq: ++this.seq, itemId, deleted: false })
    for (const itemId of batch.deleted) this.log.push({ seq: ++this.seq, itemId, deleted: true })
    if (this.log.length > CHANGE_LOG_KEEP + LOG_TRIM_STEP) this.log = this.log.slice(-CHANGE_LOG_KEEP)
  }

  async nearCandidates(buckets: number[], perBucket: number): Promise<NearCandidates> {
    const rows: Array<[number, string]> = []
    for (const bucket of buckets) {
      const ids = this.postings.get(bucket) ?? []
      for (let i = ids.length - 1; i >= 0 && i >= ids.length - perBucket; i--) rows.push([bucket, ids[i]])
    }
    const capped = capBuckets(rows, perBucket, () => undefined)
    return { buckets: capped, records: await this.nearRecords([...new Set(rows.map((r) => r[1]))]) }
  }

  async nearRecords(itemIds: string[]): Promise<Map<string, NearRecord>> {
    const out = new Map<string, NearRecord>()
    for (const id of itemIds) {
      const record = this.records.get(id)
      if (record) out.set(id, record)
    }
    return out
  }

  async changesSince(seq: number, limit: number): Promise<{ changes: Change[]; oldest: number }> {
    // Sequence numbers are consecutive, so an entry's place in the log is its distance from the first.
    const first = this.log[0]?.seq ?? this.seq + 1
    const from = Math.max(0, seq + 1 - first)
    return { changes: this.log.slice(from, from + limit), oldest: first }
  }

  async *scan(prefix: string): AsyncIterable<[string, string]> {
    for (const [key, value] of this.map) if (key.startsWith(this.prefix + prefix)) yield [key.slice(this.prefix.length), value]
  }

  async close(): Promise<void> {}
}
