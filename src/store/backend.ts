import type Keyv from 'keyv'
import type { NearRecord } from '../model.js'

/**
 * Everything one poll writes, ready for a backend to apply in one atomic step (issue 9 §2): Keyv
 * records already serialized (`codec.ts`), keys without Keyv's namespace, and the changes to the
 * two indexes kept beside the records.
 */
export interface Batch {
  set: Array<[key: string, value: string]>
  delete: string[]
  /** Fingerprints of new items, indexed by their buckets. */
  nearAdd: NearRecord[]
  /** Items whose fingerprints and bucket entries go. */
  nearRemove: string[]
  /** Items written or deleted, appended to the change log that the search index follows. */
  changed: string[]
  deleted: string[]
}

/** One entry of the change log: an item written (or deleted) by a commit, in commit order. */
export interface Change {
  seq: number
  itemId: string
  deleted: boolean
}

/** A page of the change log, with its bounds. */
export interface ChangePage {
  changes: Change[]
  oldest: number
  last: number
}

/**
 * A fingerprint row as the in-memory LSH index (lsh.ts) reads it: its place in commit order and
 * its buckets as stored, 6 bytes each, little-endian (bucketBytes): the index reads them from the
 * bytes, with no array per row.
 */
export interface NearRow {
  seq: number
  buckets: Uint8Array
  /** The row's source, where the backend reads it with the row (not Redis: the index learns it when it reads the row). */
  source?: string
}

/**
 * One kind of store (SQLite, PostgreSQL, Redis, memory): a Keyv over its storage adapter for
 * single records, plus what Keyv cannot do — apply a whole poll atomically, with the fingerprint
 * rows and the change log kept beside the records in the same transaction.
 */
export interface Backend {
  readonly keyv: Keyv
  /**
   * All of it or nothing: after a crash at any instant the store is as before or as after.
   * Resolves to the row numbers given to `nearAdd`, in its order.
   */
  apply(batch: Batch): Promise<number[]>
  /** Writes a record unless it exists (two processes racing to create it keep one). */
  setIfAbsent(key: string, value: string): Promise<void>
  /**
   * Fingerprint rows appended after `seq`, in order, at most `limit`. Rows are numbered in commit
   * order and numbers are never reused, so a reader that has seen up to `seq` has seen all before it.
   */
  nearRows(seq: number, limit: number): Promise<NearRow[]>
  /** Fingerprint rows stored (an estimate will do: the index sizes itself by it before reading them). */
  nearRowCount(): Promise<number>
  /** Fingerprints by row number; deleted rows are absent. */
  nearBySeq(seqs: number[]): Promise<Map<number, NearRecord>>
  /** Fingerprints, with their row numbers, by item id; items without one are absent. */
  nearByItem(itemIds: string[]): Promise<Map<string, NearRecord & { seq: number }>>
  /**
   * Change-log entries after `seq`, oldest first, at most `limit`; and the oldest entry the log
   * still holds (a reader behind it has missed changes and must start over), and the newest (0
   * when there is none yet).
   */
  changesSince(seq: number, limit: number): Promise<ChangePage>
  /** Every Keyv record whose key (without namespace) starts with `prefix`, as stored: for migrations. */
  scan(prefix: string): AsyncIterable<[key: string, raw: string]>
  close(): Promise<void>
}

/** Whether this machine stores a Uint32Array's elements little-endian (every platform Node runs on here). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/** A signature as bytes and back (little-endian uint32s): on a little-endian machine, its own bytes. */
export function signatureBytes(signature: Uint32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength)
  const out = Buffer.allocUnsafe(signature.length * 4)
  for (let i = 0; i < signature.length; i++) out.writeUInt32LE(signature[i], i * 4)
  return out
}

export function signatureFromBytes(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.byteLength >>> 2)
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4))
    return out
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.readUInt32LE(i * 4)
  return out
}

/** Bucket keys (integers below 2⁴⁸) as bytes: six per key, little-endian. */
export function bucketBytes(buckets: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(buckets.length * 6)
  for (let i = 0, at = 0; i < buckets.length; i++, at += 6) {
    const key = buckets[i]
    const low = key >>> 0
    const high = Math.floor(key / 0x1_0000_0000)
    out[at] = low & 0xff
    out[at + 1] = (low >>> 8) & 0xff
    out[at + 2] = (low >>> 16) & 0xff
    out[at + 3] = low >>> 24
    out[at + 4] = high & 0xff
    out[at + 5] = (high >>> 8) & 0xff
  }
  return out
}

export function bucketsFromBytes(bytes: Uint8Array): number[] {
  const out: number[] = new Array(Math.floor(bytes.byteLength / 6))
  for (let i = 0, at = 0; i < out.length; i++, at += 6) {
    const low = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0
    out[i] = (bytes[at + 4] | (bytes[at + 5] << 8)) * 0x1_0000_0000 + low
  }
  return out
}

/**
 * Change-log entries kept: enough for a search index to catch up after minutes of heavy ingest;
 * one further behind rebuilds from the lists. Trimmed on commits, in steps of `LOG_TRIM_STEP`.
 */
export const CHANGE_LOG_KEEP = 1_000_000
export const LOG_TRIM_STEP = 10_000
