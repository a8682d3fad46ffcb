import { describe, expect, it } from 'vitest'
import { capacityFor, LshIndex, MAX_PER_BUCKET } from '../../src/store/lsh.js'
import fc from 'fast-check'
import { bucketBytes, bucketsFromBytes, signatureBytes, signatureFromBytes } from '../../src/store/backend.js'

const bucket = (band: number, hash: number) => band * 0x1_0000_0000 + hash

describe('LshIndex', () => {
  it('finds every row by each of its buckets, newest first', () => {
    const index = new LshIndex()
    index.add(1, [bucket(0, 7), bucket(1, 9)])
    index.add(2, [bucket(0, 7), bucket(1, 10)])
    expect(index.lookup(bucket(0, 7))).toEqual([2, 1])
    expect(index.lookup(bucket(1, 9))).toEqual([1])
    expect(index.lookup(bucket(1, 7))).toEqual([]) // the same hash in another band is another bucket
    expect(index.lastSeq).toBe(2)
  })

  it("knows each row's source until no bucket holds the row", () => {
    const index = new LshIndex()
    index.add(1, [bucket(0, 1), bucket(1, 1)], 'paper')
    index.addRows([{ seq: 2, buckets: bucketBytes([bucket(0, 1), bucket(1, 2)]), source: 'portal' }, { seq: 3, buckets: bucketBytes([bucket(0, 3), bucket(1, 3)]) }])
    expect([1, 2, 3].map((seq) => index.sourceOf(seq))).toEqual(['paper', 'portal', undefined])
    index.learnSource(3, 'county')
    expect(index.sourceOf(3)).toBe('county')
    index.remove(2, [bucket(0, 1), bucket(1, 2)])
    expect(index.sourceOf(2)).toBeUndefined()
    // A crowded bucket keeps its newest rows; the sources of the rows crowded out are forgotten, in bounded memory.
    for (let seq = 4; seq < 40_000; seq++) index.add(seq, [bucket(5, 5)], `s${seq}`)
    expect(index.sourceOf(4)).toBeUndefined()
    expect(index.sourceOf(39_999)).toBe('s39999')
    expect(index.sourceOf(1)).toBe('paper')
  })

  it('reads rows as stored (6 bytes a bucket) to the same buckets as from numbers, high bits included', () => {
    const rows = Array.from({ length: 500 }, (_, i) => Array.from({ length: 42 }, (_, band) => bucket(band, (Math.imul(i + 1, 2654435761) ^ (band << 20)) >>> 0)))
    rows[0][0] = 0xffff_ffff_ffff // the largest bucket there is: every byte of it set
    const fromNumbers = new LshIndex()
    // Made the size 500 rows need: it must not grow while they go in.
    const fromBytes = new LshIndex(capacityFor(500 * 42))
    const sized = fromBytes.bytes
    rows.forEach((buckets, i) => fromNumbers.add(i + 1, buckets))
    fromBytes.addRows(rows.map((buckets, i) => ({ seq: i + 1, buckets: bucketBytes(buckets) })))
    expect(fromBytes.bytes).toBe(sized)
    for (const buckets of rows) for (const b of buckets) expect(fromBytes.lookup(b)).toEqual(fromNumbers.lookup(b))
    expect(fromBytes.lookup(0xffff_ffff_ffff)).toEqual([1])
    expect(fromBytes.lastSeq).toBe(500)
  })

  it('indexes rows given together as one by one: every bucket, crowded ones included, through growth', () => {
    // Rows of 42 buckets; every 7th row also in one crowded bucket, every 3rd in a shared one.
    const rows = Array.from({ length: 3_000 }, (_, i) => ({
      seq: i + 1,
      buckets: Array.from({ length: 42 }, (_, band) => (band === 0 && i % 7 === 0 ? bucket(0, 1) : band === 1 && i % 3 === 0 ? bucket(1, i % 50) : bucket(band, (Math.imul(i + 1, 2654435761) ^ (band << 20)) >>> 0))),
    }))
    const one = new LshIndex()
    rows.forEach((r) => one.add(r.seq, r.buckets))
    const together = new LshIndex()
    // In three reads, as a catch-up gets them; the first into a table too small, so it grows.
    for (const part of [rows.slice(0, 10), rows.slice(10, 2_000), rows.slice(2_000)]) together.addRows(part.map((r) => ({ seq: r.seq, buckets: bucketBytes(r.buckets) })))
    expect(together.lastSeq).toBe(3_000)
    expect(together.size).toBe(one.size)
    for (const r of rows) for (const b of r.buckets) expect(together.lookup(b)).toEqual(one.lookup(b))
    expect(together.lookup(bucket(0, 1))).toHaveLength(MAX_PER_BUCKET)
  })

  it('keeps a crowded bucket to its newest MAX_PER_BUCKET rows', () => {
    const index = new LshIndex()
    for (let seq = 1; seq <= MAX_PER_BUCKET * 3; seq++) index.add(seq, [bucket(3, 42), bucket(4, seq)])
    expect(index.lookup(bucket(3, 42))).toEqual(Array.from({ length: MAX_PER_BUCKET }, (_, i) => MAX_PER_BUCKET * 3 - i))
    expect(index.lookup(bucket(4, 1))).toEqual([1])
  })

  it('forgets removed rows, and keeps everything else through growth', () => {
    const index = new LshIndex()
    const rows = 50_000
    const bucketsOf = (seq: number) => Array.from({ length: 42 }, (_, band) => bucket(band, Math.imul(seq, 2654435761 + band) >>> 0))
    for (let seq = 1; seq <= rows; seq++) index.add(seq, bucketsOf(seq))
    for (let seq = 1; seq <= rows; seq += 2) index.remove(seq, bucketsOf(seq))
    for (const seq of [2, 1000, 33_334, rows]) for (const b of bucketsOf(seq)) expect(index.lookup(b)).toContain(seq)
    for (const seq of [1, 999, 49_999]) for (const b of bucketsOf(seq)) expect(index.lookup(b)).not.toContain(seq)
    expect(index.size).toBe((rows / 2) * 42)
    // 8 bytes a slot, at least 30 % of slots in use.
    expect(index.bytes).toBeLessThanOrEqual(rows * 42 * 8 / 0.3)
  })
})

describe('stored fingerprint bytes', () => {
  // The format on disk: six little-endian bytes a bucket, four a signature word, as Buffer's own writers put them.
  it('writes buckets and signatures as Buffer.writeUIntLE would, and reads them back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 48 - 1 }), { maxLength: 50 }), fc.uint32Array({ maxLength: 130 }), (buckets, signature) => {
        const expected = Buffer.alloc(buckets.length * 6)
        buckets.forEach((b, i) => expected.writeUIntLE(b, i * 6, 6))
        expect(bucketBytes(buckets).equals(expected)).toBe(true)
        expect(bucketsFromBytes(expected)).toEqual(buckets)
        const words = Buffer.alloc(signature.length * 4)
        signature.forEach((w, i) => words.writeUInt32LE(w, i * 4))
        expect(Buffer.from(signatureBytes(signature)).equals(words)).toBe(true)
        // Read from a slice of a larger buffer, as a driver may hand it over.
        const padded = Buffer.concat([Buffer.from([9, 9, 9]), words]).subarray(3)
        expect(Array.from(signatureFromBytes(padded))).toEqual(Array.from(signature))
      }),
    )
  })
})
