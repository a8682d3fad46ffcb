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
 * The candidates of a fingerprint with these buckets, best first, at most MAX_CANDIDATES: the
 * items of each bucket's `window` (its newest LSH_BUCKET_CAP, newest first), each scored by the
 * buckets it shares with the fingerprint, a bucket of n items adding 1/n. Items `eligible` refuses
 * (the polled source's own, deleted ones) still count in their buckets' n but are never ranked.
 * Ties go to the smaller id: row number or item id, whichever the caller ranks.
 */
export function rankCandidates<T extends number | string>(buckets: readonly number[], window: (bucket: number) => readonly T[], eligible: (candidate: T) => boolean): T[] {
  const score = new Map<T, number>()
  for (const bucket of buckets) {
    const ids = window(bucket)
    const weight = 1 / ids.length
    for (const id of ids) score.set(id, (score.get(id) ?? 0) + weight)
  }
  const ranked: Array<[T, number]> = []
  for (const scored of score) if (eligible(scored[0])) ranked.push(scored)
  ranked.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const out: T[] = []
  for (let i = 0; i < ranked.length && i < MAX_CANDIDATES; i++) out.push(ranked[i][0])
  return out
}
