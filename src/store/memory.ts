/**
 * `memory://`: Keyv over a Map, with the indexes in Maps beside it. Nothing survives the process;
 * for tests, previews and trying feedloom out. A batch is applied without yielding, so it is
 * atomic for every reader in the process.
 */
import Keyv from 'keyv'
import type { NearRecord } from '../model.js'
import { bucketBytes, CHANGE_LOG_KEEP, LOG_TRIM_STEP, type Backend, type Batch, type Change, type ChangePage, type NearRow } from './backend.js'
import { deserialize, serialize } from './codec.js'

export class MemoryBackend implements Backend {
  readonly keyv: Keyv
  private readonly map = new Map<string, string>()
  /** Fingerprint rows by number, and each item's row number. */
  private readonly rows = new Map<number, NearRecord>()
  private readonly rowOf = new Map<string, number>()
  private nearSeq = 0
  /** Every row number ever given, ascending (deleted ones are skipped when read). */
  private readonly order: number[] = []
  private log: Change[] = []
  private seq = 0
  private readonly prefix: string

  constructor(namespace: string) {
    this.keyv = new Keyv({ store: this.map, namespace, serialize, deserialize, throwOnErrors: true })
    this.prefix = `${namespace}:`
  }

  async apply(batch: Batch): Promise<number[]> {
    for (const [key, value] of batch.set) this.map.set(this.prefix + key, value)
    for (const key of batch.delete) this.map.delete(this.prefix + key)
    for (const itemId of batch.nearRemove) {
      const seq = this.rowOf.get(itemId)
      if (seq === undefined) continue
      this.rows.delete(seq)
      this.rowOf.delete(itemId)
    }
    const seqs: number[] = []
    for (const record of batch.nearAdd) {
      const old = this.rowOf.get(record.itemId)
      if (old !== undefined) this.rows.delete(old)
      this.rows.set(++this.nearSeq, record)
      this.rowOf.set(record.itemId, this.nearSeq)
      this.order.push(this.nearSeq)
      seqs.push(this.nearSeq)
    }
    for (const itemId of batch.changed) this.log.push({ seq: ++this.seq, itemId, deleted: false })
    for (const itemId of batch.deleted) this.log.push({ seq: ++this.seq, itemId, deleted: true })
    if (this.log.length > CHANGE_LOG_KEEP + LOG_TRIM_STEP) this.log = this.log.slice(-CHANGE_LOG_KEEP)
    return seqs
  }

  async setIfAbsent(key: string, value: string): Promise<void> {
    if (!this.map.has(this.prefix + key)) this.map.set(this.prefix + key, value)
  }

  async nearRows(seq: number, limit: number): Promise<NearRow[]> {
    const out: NearRow[] = []
    let lo = 0
    let hi = this.order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.order[mid] <= seq) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < this.order.length && out.length < limit; i++) {
      const record = this.rows.get(this.order[i])
      if (record) out.push({ seq: this.order[i], source: record.sourceId, buckets: bucketBytes(record.buckets) })
    }
    return out
  }

  async nearRowCount(): Promise<number> {
    return this.rows.size
  }

  async nearBySeq(seqs: number[]): Promise<Map<number, NearRecord>> {
    const out = new Map<number, NearRecord>()
    for (const seq of seqs) {
      const record = this.rows.get(seq)
      if (record) out.set(seq, record)
    }
    return out
  }

  async nearByItem(itemIds: string[]): Promise<Map<string, NearRecord & { seq: number }>> {
    const out = new Map<string, NearRecord & { seq: number }>()
    for (const id of itemIds) {
      const seq = this.rowOf.get(id)
      if (seq !== undefined) out.set(id, { ...this.rows.get(seq)!, seq })
    }
    return out
  }

  async changesSince(seq: number, limit: number): Promise<ChangePage> {
    // Sequence numbers are consecutive, so an entry's place in the log is its distance from the first.
    const first = this.log[0]?.seq ?? this.seq + 1
    const from = Math.max(0, seq + 1 - first)
    return { changes: this.log.slice(from, from + limit), oldest: first, last: this.seq }
  }

  async *scan(prefix: string): AsyncIterable<[string, string]> {
    for (const [key, value] of this.map) if (key.startsWith(this.prefix + prefix)) yield [key.slice(this.prefix.length), value]
  }

  async close(): Promise<void> {}
}
