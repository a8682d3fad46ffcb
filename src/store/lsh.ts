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
 * Layout: one open-addressing table of (key, seq) slots in one Uint32Array — 8 bytes a posting,
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

/** A lookup that found nothing: shared, never written to. */
const NONE: readonly number[] = Object.freeze([])

export class LshIndex {
  /**
   * Slot i is `slots[2i]` (key) and `slots[2i + 1]` (seq): one array, so a probe reads the key and
   * its seq from one cache line. (Two arrays, one for keys and one for seqs, made every probe two
   * cache misses in a table of tens of megabytes.)
   */
  private slots: Uint32Array
  /** Slots, and how many may be used before the table grows (MAX_LOAD of them). */
  private capacity: number
  private maxUsed: number
  private used = 0
  private live = 0
  /** The newest row this index has seen: the next catch-up reads after it. */
  lastSeq = 0
  /**
   * Each row's source, where known (rows read before this was stored, from Redis, are learned
   * when first read): a poll ranks other sources' rows only, so it never reads its own. Rows that
   * left every bucket are dropped from it now and then (`pruneSources`).
   */
  private readonly sources = new Map<number, string>()
  private sourcesAfterPrune = 0
  /** Buckets a row has (the bands of its fingerprint), to tell from `live` about how many rows are held. */
  private bucketsPerRow = 1

  constructor(capacity = MIN_CAPACITY) {
    this.slots = new Uint32Array(capacity * 2)
    this.capacity = capacity
    this.maxUsed = Math.floor(capacity * MAX_LOAD)
  }

  /** Postings held, and the memory they take. */
  get size(): number {
    return this.live
  }

  get bytes(): number {
    return this.slots.byteLength
  }

  /** Indexes row `seq` (of `source`) under each of its buckets. Rows come in increasing seq. */
  add(seq: number, buckets: readonly number[], source?: string): void {
    for (const bucket of buckets) this.insert(keyOf(bucket), seq)
    if (seq > this.lastSeq) this.lastSeq = seq
    if (buckets.length) this.bucketsPerRow = buckets.length
    if (source !== undefined) this.learnSource(seq, source)
  }

  /** The source of row `seq`, if this index knows it. */
  sourceOf(seq: number): string | undefined {
    return this.sources.get(seq)
  }

  learnSource(seq: number, source: string): void {
    this.sources.set(seq, source)
    this.pruneSourcesIfLarge()
  }

  /**
   * Forgets the sources of rows no bucket holds any more (crowded out, or deleted by another
   * worker): one walk of the table once the map holds twice the rows the buckets seem to hold
   * (and twice what the last walk left), so it stays the size of the rows held. A store that only
   * grows never needs one.
   */
  private pruneSourcesIfLarge(): void {
    const size = this.sources.size
    if (size > 2 * Math.max(this.sourcesAfterPrune, this.live / this.bucketsPerRow) + 4_096) this.pruneSources()
  }

  private pruneSources(): void {
    const held = new Set<number>()
    const slots = this.slots
    for (let i = 1; i < slots.length; i += 2) if (slots[i] !== EMPTY && slots[i] !== DEAD) held.add(slots[i])
    for (const seq of this.sources.keys()) if (!held.has(seq)) this.sources.delete(seq)
    this.sourcesAfterPrune = this.sources.size
  }

  /**
   * Rows as stored (ascending seq; buckets 6 bytes each, little-endian: store/backend bucketBytes),
   * many at once: what `add` of each does, with the postings put in table order first, so the
   * writes sweep the table instead of landing anywhere in tens of megabytes (1.6 M postings,
   * 38,800 items: 0.24 s one by one, 0.18 s here).
   * A stable counting sort keeps each bucket's postings in seq order, so a crowded bucket keeps
   * the same newest MAX_PER_BUCKET as one by one.
   */
  addRows(rows: ReadonlyArray<{ seq: number; buckets: Uint8Array; source?: string }>): void {
    let n = 0
    for (const row of rows) {
      n += Math.floor(row.buckets.length / 6)
      if (row.source !== undefined) this.sources.set(row.seq, row.source)
    }
    if (n === 0) return
    const keys = new Uint32Array(n)
    const seqs = new Uint32Array(n)
    let k = 0
    for (const { seq, buckets: packed } of rows) {
      for (let at = 0; at + 6 <= packed.length; at += 6, k++) {
        keys[k] = keyOfParts((packed[at] | (packed[at + 1] << 8) | (packed[at + 2] << 16) | (packed[at + 3] << 24)) >>> 0, packed[at + 4] | (packed[at + 5] << 8))
        seqs[k] = seq
      }
      if (seq > this.lastSeq) this.lastSeq = seq
    }
    // Room for all first: growing half-way would rehash into another order.
    if (this.used + n > this.maxUsed) this.grow(this.live + n)
    // A key's slot grows with the key: ordered by its top 16 bits, the postings are in table order.
    const starts = new Uint32Array(0x10001)
    for (let i = 0; i < n; i++) starts[(keys[i] >>> 16) + 1]++
    for (let b = 1; b <= 0x10000; b++) starts[b] += starts[b - 1]
    const sortedKeys = new Uint32Array(n)
    const sortedSeqs = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      const at = starts[keys[i] >>> 16]++
      sortedKeys[at] = keys[i]
      sortedSeqs[at] = seqs[i]
    }
    for (let j = 0; j < n; j++) this.insert(sortedKeys[j], sortedSeqs[j])
    if (rows.length) this.bucketsPerRow = Math.max(1, Math.round(n / rows.length))
    this.pruneSourcesIfLarge()
  }

  /** The seqs of each bucket, newest first (an empty bucket answers a shared empty list). */
  lookup(bucket: number): readonly number[] {
    const key = keyOf(bucket)
    const slots = this.slots
    const n = slots.length
    let out: number[] | undefined
    for (let i = this.slot(key), probes = 0; probes < n; i = i + 2 === n ? 0 : i + 2, probes += 2) {
      const seq = slots[i + 1]
      if (seq === EMPTY) break
      if (seq !== DEAD && slots[i] === key) (out ??= []).push(seq)
    }
    return out ? out.sort((a, b) => b - a) : NONE
  }

  /** Forgets row `seq` in the given buckets (its item was deleted). */
  remove(seq: number, buckets: readonly number[]): void {
    this.sources.delete(seq)
    const slots = this.slots
    const n = slots.length
    for (const bucket of buckets) {
      const key = keyOf(bucket)
      for (let i = this.slot(key), probes = 0; probes < n; i = i + 2 === n ? 0 : i + 2, probes += 2) {
        const s = slots[i + 1]
        if (s === EMPTY) break
        if (s === seq && slots[i] === key) {
          slots[i + 1] = DEAD
          this.live--
        }
      }
    }
  }

  /** The index in `slots` of the key's first slot. */
  private slot(key: number): number {
    // Multiply-shift onto any capacity: the key is already mixed.
    return Math.floor((key / 0x1_0000_0000) * this.capacity) * 2
  }

  private insert(key: number, seq: number): void {
    if (this.used >= this.maxUsed) this.grow()
    const slots = this.slots
    const n = slots.length
    let same = 0
    let oldest = -1
    let free = -1
    let i = this.slot(key)
    for (let probes = 0; probes < n; i = i + 2 === n ? 0 : i + 2, probes += 2) {
      const s = slots[i + 1]
      if (s === EMPTY) break
      if (s === DEAD) {
        if (free < 0) free = i
        continue
      }
      if (slots[i] !== key) continue
      if (s === seq) return
      same++
      if (oldest < 0 || s < slots[oldest + 1]) oldest = i
    }
    if (same >= MAX_PER_BUCKET) {
      // A crowded bucket (a phrase every item of a portal shares) keeps its newest postings only.
      slots[oldest + 1] = seq
      return
    }
    const at = free >= 0 ? free : i
    if (slots[at + 1] === EMPTY) this.used++
    slots[at] = key
    slots[at + 1] = seq
    this.live++
  }

  /** A table for `postings` live postings: dead slots are dropped on the way. */
  private grow(postings = this.live + 1): void {
    const old = this.slots
    this.capacity = capacityFor(postings)
    this.maxUsed = Math.floor(this.capacity * MAX_LOAD)
    this.slots = new Uint32Array(this.capacity * 2)
    this.used = 0
    this.live = 0
    for (let i = 0; i < old.length; i += 2) {
      const s = old[i + 1]
      if (s !== EMPTY && s !== DEAD) this.insertFresh(old[i], s)
    }
  }

  /** Rehashing: no duplicates and no crowding to check. */
  private insertFresh(key: number, seq: number): void {
    const slots = this.slots
    const n = slots.length
    let i = this.slot(key)
    while (slots[i + 1] !== EMPTY) i = i + 2 === n ? 0 : i + 2
    slots[i] = key
    slots[i + 1] = seq
    this.used++
    this.live++
  }
}
