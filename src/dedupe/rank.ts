/**
 * Which stored items a new item is compared with (issue 9 §3). Kept apart from the rest of
 * dedupe/ so the store can rank by row number before it reads a single fingerprint: reading every
 * item of a new item's buckets first and ranking after made a reprinting source's per-item cost
 * grow with the batch (a template's crowded buckets named ~8,000 rows per 1,000 new items, of which
 * the comparisons used a few hundred).
 */

/**
 * A bucket keeps the ids of its newest items only. A story's reprints arrive within days of it;
 * a bucket that fills past this is a phrase every item of some portal shares, not a story, and
 * bounding it bounds the reads a new item costs (LSH_BANDS × this, at worst).
 */
export const LSH_BUCKET_CAP = 16

/**
 * Candidates confirmed per new item at most, those that share the most of the item's buckets
 * first — each bucket counting less the more items it holds. A story's reprint shares the rare
 * buckets of its own wording with it; a crowded bucket (a phrase every notice of a template
 * shares, holding only its newest LSH_BUCKET_CAP items) says little. So this bounds the work per
 * item, even among hundreds of same-template notices, without losing the older notice a reprint
 * copies.
 */
export const MAX_CANDIDATES = 16

/**
 * Scratch space of `rankCandidates`, reused from call to call: an open-addressing table of row
 * numbers and their scores, a slot being current when its stamp is this call's. (A Map per call
 * cost ~60 µs an item in a poll of 100,000 items whose buckets a shared text crowds.)
 */
let slotSeq = new Uint32Array(2_048)
let slotScore = new Float64Array(2_048)
let slotStamp = new Uint32Array(2_048)
let used = new Int32Array(1_024)
let stamp = 0

/**
 * The candidates of a fingerprint with these buckets, best first, at most MAX_CANDIDATES: the
 * rows of each bucket's `window` (its newest LSH_BUCKET_CAP row numbers, newest first), each
 * scored by the buckets it shares with the fingerprint, a bucket of n rows adding 1/n. Rows
 * `eligible` refuses (the polled source's own, deleted ones) still count in their buckets' n but
 * are never ranked; it is asked only of rows good enough to rank. Ties go to the smaller row number.
 */
export function rankCandidates(buckets: readonly number[], window: (bucket: number) => readonly number[], eligible: (seq: number) => boolean): number[] {
  const windows: Array<readonly number[]> = []
  let postings = 0
  for (const bucket of buckets) {
    const seqs = window(bucket)
    if (seqs.length) {
      windows.push(seqs)
      postings += seqs.length
    }
  }
  if (postings === 0) return []
  if (slotSeq.length < postings * 2) {
    const size = 2 ** Math.ceil(Math.log2(postings * 2))
    ;[slotSeq, slotScore, slotStamp, used] = [new Uint32Array(size), new Float64Array(size), new Uint32Array(size), new Int32Array(size / 2)]
    stamp = 0
  }
  if (++stamp === 0x1_0000_0000) {
    slotStamp.fill(0)
    stamp = 1
  }
  const mask = slotSeq.length - 1
  const shift = 32 - Math.log2(slotSeq.length)
  let distinct = 0
  for (const seqs of windows) {
    const weight = 1 / seqs.length
    for (const seq of seqs) {
      let at = Math.imul(seq, 0x9e3779b1) >>> shift
      while (slotStamp[at] === stamp && slotSeq[at] !== seq) at = (at + 1) & mask
      if (slotStamp[at] === stamp) slotScore[at] += weight
      else {
        slotStamp[at] = stamp
        slotSeq[at] = seq
        slotScore[at] = weight
        used[distinct++] = at
      }
    }
  }
  // The best MAX_CANDIDATES, kept sorted (best first) by insertion: most rows never beat the last.
  const bestSeq: number[] = []
  const bestScore: number[] = []
  for (let i = 0; i < distinct; i++) {
    const seq = slotSeq[used[i]]
    const score = slotScore[used[i]]
    const n = bestSeq.length
    if (n === MAX_CANDIDATES && !better(score, seq, bestScore[n - 1], bestSeq[n - 1])) continue
    if (!eligible(seq)) continue
    let at = n === MAX_CANDIDATES ? n - 1 : n
    while (at > 0 && better(score, seq, bestScore[at - 1], bestSeq[at - 1])) {
      bestSeq[at] = bestSeq[at - 1]
      bestScore[at] = bestScore[at - 1]
      at--
    }
    bestSeq[at] = seq
    bestScore[at] = score
  }
  return bestSeq
}

function better(score: number, seq: number, thanScore: number, thanSeq: number): boolean {
  return score > thanScore || (score === thanScore && seq < thanSeq)
}
