import { describe, expect, it } from 'vitest'
import { MAX_CANDIDATES, rankCandidates } from '../../src/dedupe/index.js'

/** The rule, written plainly: a score per row, eligible rows best first, ties to the smaller row. */
function reference(buckets: number[], windows: Map<number, number[]>, eligible: (seq: number) => boolean): number[] {
  const score = new Map<number, number>()
  for (const bucket of buckets) {
    const seqs = windows.get(bucket) ?? []
    for (const seq of seqs) score.set(seq, (score.get(seq) ?? 0) + 1 / seqs.length)
  }
  return [...score]
    .filter(([seq]) => eligible(seq))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, MAX_CANDIDATES)
    .map(([seq]) => seq)
}

describe('rankCandidates', () => {
  it('ranks rows by the buckets they share, rare buckets weighing more, and leaves out the ineligible', () => {
    // Row 7 shares two rare buckets; rows 1–16 crowd a third, rows 17–24 a fourth; row 3 is the polled source's own.
    const windows = new Map<number, number[]>([
      [10, [7]],
      [11, [7, 5]],
      [12, Array.from({ length: 16 }, (_, i) => 16 - i)],
      [13, Array.from({ length: 8 }, (_, i) => 24 - i)],
    ])
    const ranked = rankCandidates([10, 11, 12, 13, 14], (b) => windows.get(b) ?? [], (seq) => seq !== 3)
    expect(ranked.slice(0, 2)).toEqual([7, 5])
    expect(ranked).not.toContain(3)
    // Rows of the less crowded bucket next, then equal scores: the smaller row first; no more than MAX_CANDIDATES.
    expect(ranked).toEqual([7, 5, 17, 18, 19, 20, 21, 22, 23, 24, 1, 2, 4, 6, 8, 9].slice(0, MAX_CANDIDATES))
    expect(rankCandidates([14], () => [], () => true)).toEqual([])
  })

  it('agrees with the plain rule on random buckets, call after call (its scratch space reused and grown)', () => {
    let seed = 12345
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    for (let round = 0; round < 300; round++) {
      const bandCount = 1 + random(round < 250 ? 42 : 400)
      const rows = 1 + random(round % 3 === 0 ? 40 : 5_000)
      const windows = new Map<number, number[]>()
      const buckets = Array.from({ length: bandCount }, (_, band) => band * 1_000 + random(3))
      for (const bucket of buckets) windows.set(bucket, [...new Set(Array.from({ length: random(17) }, () => 1 + random(rows)))].sort((a, b) => b - a))
      const eligible = (seq: number) => seq % 5 !== round % 5
      expect(rankCandidates(buckets, (b) => windows.get(b) ?? [], eligible)).toEqual(reference(buckets, windows, eligible))
    }
  })
})
