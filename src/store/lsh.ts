/**
 * The LSH buckets of the near-duplicate index, in memory (issue 9 §3). The store keeps one compact
 * row per fingerprint, appended in commit order; each process that ingests keeps bucket → item
 * postings here, built from those rows and caught up with the rows other workers appended.
 *
 * Why in memory: a bucket is a random key, and an item has 42 of them. Kept in a B-tree (the
 * first design, and a table keyed by bucket after it), every commit of a thousand new items
 * dirtied nearly every page of the index, so SQLite wrote the whole index to its log per commit
 * and the cost per item grew with the store (0.4 ms per item at 5,000 items, 1.1 ms at 100,000).
 * Here an insert is a few memory probes whatever the store holds, and the store appends.
 *
 * Layout: one open-addressing table of (key, seq) slots in two Uint32Arrays — 8 bytes a posting,
 * 11 bytes at the highest load: 100,000 items (4.2 M postings) take about 45 MiB. A key is a
 * 32-bit mix of the bucket: two buckets that share one only add a candidate, which the fingerprint
 * check rejects. A bucket holds at most `MAX_PER_BUCKET` postings; a new one replaces its oldest.
 */

import { mix32 } from '../hash.js'

/** Postings kept per bucket: twice what readers take (dedupe's LSH_BUCKET_CAP), so a few dead ones do not crowd out live ones. */
export const MAX_PER_BUCKET = 32
const EMPTY = 0
/** A posting removed (its item deleted): probing goes on past it. */
const DEAD = 0xffffffff
/** Grow when this share of slots is used (live or dead): linear probing stays short below it. */
const MAX_LOAD = 0.7
const MIN_CAPACITY = 1 << 12

/** A bucket (an integer below 2⁴⁸) as a 32-bit key; never 0, which marks an empty slot's key. */
function keyOf(bucket: number): number {
  return keyOfParts(bucket >>> 0, Math.floor(bucket / 0x1_0000_0000))
}

/** keyOf from the bucket's low 32 and high 16 bits. */
function keyOfParts(low: number, high: number): number {
  return (mix32(low ^ mix32(high + 0x9e3779b9)) || 1) >>> 0
}

/** Slots for `postings`, at the load the table has just after it grows. */
export function capacityFor(postings: number): number {
  return Math.max(MIN_CAPACITY, Math.ceil(postings / (MAX_LOAD / 2)))
}

export class LshIndex {
  private keys: Uint32Array
  private seqs: Uint32Array
  private used = 0
  private live = 0
  /** The newest row this index has seen: the next catch-up reads after it. */
  lastSeq = 0

  constructor(capacity = MIN_CAPACITY) {
    this.keys = new Uint32Array(capacity)
    this.seqs = new Uint32Array(capacity)
  }

  /** Postings held, and the memory they take. */
  get size(): number {
    return this.live
  }

  get bytes(): number {
    return this.keys.byteLength + this.seqs.byteLength
  }

  /** Indexes row `seq` under each of its buckets. Rows come in increasing seq. */
  add(seq: number, buckets: readonly number[]): void {
    for (const bucket of buckets) this.insert(keyOf(bucket), seq)
    if (seq > this.lastSeq) this.lastSeq = seq
  }

  /** The same from the buckets as stored: 6 bytes each, little-endian (store/backend bucketBytes). */
  addPacked(seq: number, packed: Uint8Array): void {
    for (let at = 0; at + 6 <= packed.length; at += 6) {
      const low = (packed[at] | (packed[at + 1] << 8) | (packed[at + 2] << 16) | (packed[at + 3] << 24)) >>> 0
      this.insert(keyOfParts(low, packed[at + 4] | (packed[at + 5] << 8)), seq)
    }
    if (seq > this.lastSeq) this.lastSeq = seq
  }

  /** The seqs of each bucket, newest first. */
  lookup(bucket: number): number[] {
    const key = keyOf(bucket)
    const mask = this.keys.length
    const out: number[] = []
    for (let i = this.slot(key), probes = 0; probes < mask; i = i + 1 === mask ? 0 : i + 1, probes++) {
      const seq = this.seqs[i]
      if (seq === EMPTY) break
      if (seq !== DEAD && this.keys[i] === key) out.push(seq)
    }
    return out.sort((a, b) => b - a)
  }

  /** Forgets row `seq` in the given buckets (its item was deleted). */
  remove(seq: number, buckets: readonly number[]): void {
    for (const bucket of buckets) {
      const key = keyOf(bucket)
      for (let i = this.slot(key), probes = 0; probes < this.keys.length; i = i + 1 === this.keys.length ? 0 : i + 1, probes++) {
        const s = this.seqs[i]
        if (s === EMPTY) break
        if (s === seq && this.keys[i] === key) {
          this.seqs[i] = DEAD
          this.live--
        }
      }
    }
  }

  private slot(key: number): number {
    // Multiply-shift onto any capacity: the key is already mixed.
    return Math.floor((key / 0x1_0000_0000) * this.keys.length)
  }

  private insert(key: number, seq: number): void {
    if ((this.used + 1) / this.keys.length > MAX_LOAD) this.grow()
    const n = this.keys.length
    let same = 0
    let oldest = -1
    let free = -1
    let i = this.slot(key)
    for (let probes = 0; probes < n; i = i + 1 === n ? 0 : i + 1, probes++) {
      const s = this.seqs[i]
      if (s === EMPTY) break
      if (s === DEAD) {
        if (free < 0) free = i
        continue
      }
      if (this.keys[i] !== key) continue
      if (s === seq) return
      same++
      if (oldest < 0 || s < this.seqs[oldest]) oldest = i
    }
    if (same >= MAX_PER_BUCKET) {
      // A crowded bucket (a phrase every item of a portal shares) keeps its newest postings only.
      this.seqs[oldest] = seq
      return
    }
    const at = free >= 0 ? free : i
    if (this.seqs[at] === EMPTY) this.used++
    this.keys[at] = key
    this.seqs[at] = seq
    this.live++
  }

  private grow(): void {
    const keys = this.keys
    const seqs = this.seqs
    // Dead slots are dropped on the way; grow only when live postings need the room.
    const capacity = capacityFor(this.live + 1)
    this.keys = new Uint32Array(capacity)
    this.seqs = new Uint32Array(capacity)
    this.used = 0
    this.live = 0
    for (let i = 0; i < keys.length; i++) {
      const s = seqs[i]
      if (s !== EMPTY && s !== DEAD) this.insertFresh(keys[i], s)
    }
  }

  /** Rehashing: no duplicates and no crowding to check. */
  private insertFresh(key: number, seq: number): void {
    const n = this.keys.length
    let i = this.slot(key)
    while (this.seqs[i] !== EMPTY) i = i + 1 === n ? 0 : i + 1
    this.keys[i] = key
    this.seqs[i] = seq
    this.used++
    this.live++
  }
}
