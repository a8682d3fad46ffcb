/**
 * Near-duplicate fingerprints (issue 3 §5): MinHash over character shingles of the folded title and
 * boilerplate-free text, with LSH band keys, so finding the reprints of an item costs a fixed
 * number of bucket reads whatever the store holds — never a comparison with every item.
 *
 * The parameters below are part of the stored data: signatures and bucket keys written with other
 * values never match new ones. Change them only with a store that is rebuilt, or a migration that
 * fingerprints the stored items again (store/migrate.ts does, for stores written before issue 9).
 */
import type { Entry, NearRecord } from '../model.js'
import { stripBoilerplate } from '../normalize/boilerplate.js'
import { foldForMatch } from '../variant/index.js'
import { mix32 } from '../hash.js'

/** Characters per shingle: 3-grams carry Chinese words (mostly two or three characters) and their order. */
export const SHINGLE_CHARS = 3
/** Rows (hashes) per band: a band matches when all its rows do, with probability J^ROWS. */
export const LSH_ROWS = 3
/**
 * Bands: two items of Jaccard J share a bucket with probability 1 − (1 − J³)⁴². That is 0.94 at
 * J = 0.4 (`NEAR_POLICY.minJaccard`) and 0.996 at 0.5, but only 0.04 at J = 0.1, the overlap of
 * unrelated stories that share a portal's phrasing, so candidates stay few. (32 bands of 4 rows
 * find only 56% of the pairs at J = 0.4.)
 */
export const LSH_BANDS = 42
/** Signature length: one hash per row of every band. */
export const MINHASH_SIZE = LSH_BANDS * LSH_ROWS
/**
 * Fewer shingles than this (a bare headline, a photo caption) say too little to tell one story
 * from another of the same kind: such items cluster by exact link or GUID only.
 */
export const MIN_SHINGLES = 40
/** Numbers kept per fingerprint for the figure check; more add nothing but record size. */
const MAX_FIGURES = 96

/** What is compared of two items: their MinHash signature and what the guards of `sameStory` read. */
export interface Fingerprint {
  signature: Uint32Array
  /** The LSH bucket of each band (`bandKeys`), computed once. */
  buckets: number[]
  /** Distinct shingles the signature was taken over, to estimate containment from Jaccard. */
  shingles: number
  /** Folded headline and, when the text names it, the original headline (`原标题`). */
  titles: string[]
  /** Figures in their context, `context#value` (see `figures`). */
  figures: string[]
}

/** FNV-1a over UTF-16 code units, then mixed. */
function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return mix32(h)
}

/** No shingle fell in this bin (yet). */
const EMPTY_BIN = 0xffffffff

const SURROGATE = /[\ud800-\udfff]/

/**
 * The character shingles of folded text, as 32-bit hashes, one per position (repeats kept):
 * `hashString` of each run of SHINGLE_CHARS code points, computed over the code units in place
 * (no substring per position).
 */
function shinglesAt(folded: string): Uint32Array {
  const n = folded.length
  if (n === 0) return new Uint32Array(0)
  if (!SURROGATE.test(folded)) {
    // Every code point one code unit (nearly all text): a shingle is three units.
    if (n < SHINGLE_CHARS) return Uint32Array.of(hashString(folded))
    const out = new Uint32Array(n - SHINGLE_CHARS + 1)
    let a = folded.charCodeAt(0)
    let b = folded.charCodeAt(1)
    for (let p = 0; p < out.length; p++) {
      const c = folded.charCodeAt(p + 2)
      out[p] = mix32(Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ a, 0x01000193) ^ b, 0x01000193) ^ c, 0x01000193))
      a = b
      b = c
    }
    return out
  }
  // Start of each code point, so a shingle is the code units from starts[i] to starts[i + 3].
  const starts = new Uint32Array(n + 1)
  let points = 0
  for (let i = 0; i < n; points++) {
    starts[points] = i
    const c = folded.charCodeAt(i)
    const low = i + 1 < n ? folded.charCodeAt(i + 1) : 0
    i += c >= 0xd800 && c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1
  }
  starts[points] = n
  if (points < SHINGLE_CHARS) return Uint32Array.of(hashString(folded))
  const out = new Uint32Array(points - SHINGLE_CHARS + 1)
  for (let p = 0; p < out.length; p++) {
    let h = 0x811c9dc5
    for (let i = starts[p], end = starts[p + SHINGLE_CHARS]; i < end; i++) h = Math.imul(h ^ folded.charCodeAt(i), 0x01000193)
    out[p] = mix32(h)
  }
  return out
}

/** An open-addressing set reused by every count: cleared, not reallocated, between items. */
let seen = new Uint32Array(1 << 11)

/** How many distinct values `hashes` holds (a hash set in one pass, where sorting cost twice as much). */
function countDistinct(hashes: Uint32Array): number {
  let size = 1 << 4
  while (size < hashes.length * 2) size <<= 1
  if (seen.length < size) seen = new Uint32Array(size)
  const table = seen.length === size ? seen : seen.subarray(0, size)
  table.fill(0)
  const mask = size - 1
  let distinct = 0
  let zero = false
  for (let j = 0; j < hashes.length; j++) {
    const v = hashes[j]
    if (v === 0) {
      if (!zero) distinct++
      zero = true
      continue
    }
    // The values are mixed hashes already: their low bits place them.
    let i = v & mask
    for (;;) {
      const t = table[i]
      if (t === 0) {
        table[i] = v
        distinct++
        break
      }
      if (t === v) break
      i = (i + 1) & mask
    }
  }
  return distinct
}

/**
 * The MinHash signature of a set of shingle hashes (repeats change nothing), by one-permutation hashing with
 * densification (Li, Owen, Zhang 2012; Shrivastava 2017): one hash per shingle picks a bin and is
 * that bin's candidate minimum, where the classic scheme computed one hash per shingle and per
 * function — 126 times the work, the largest cost of reading an item. Each position still agrees
 * between two sets with probability equal to their Jaccard similarity, which is all the estimate
 * and the LSH bands ask of it. A bin no shingle fell in borrows the minimum of another bin, picked
 * by a fixed hash of its index and the attempt, so two sets borrow alike.
 */
export function minhash(shingles: Uint32Array): Uint32Array {
  const bins = new Uint32Array(MINHASH_SIZE).fill(EMPTY_BIN)
  let filled = 0
  for (let j = 0; j < shingles.length; j++) {
    const h = mix32(shingles[j] ^ 0x5bd1e995)
    // The high bits choose the bin, so the value compared within a bin is the hash itself.
    const bin = Math.floor((h / 0x1_0000_0000) * MINHASH_SIZE)
    if (bins[bin] === EMPTY_BIN) filled++
    if (h < bins[bin]) bins[bin] = h
  }
  if (filled === MINHASH_SIZE || filled === 0) return bins
  const signature = bins.slice()
  for (let i = 0; i < MINHASH_SIZE; i++) {
    if (bins[i] !== EMPTY_BIN) continue
    for (let attempt = 1; ; attempt++) {
      const from = Math.floor((mix32(Math.imul(i + 1, 0x9e3779b9) ^ Math.imul(attempt, 0x85ebca6b)) / 0x1_0000_0000) * MINHASH_SIZE)
      if (bins[from] === EMPTY_BIN) continue
      signature[i] = mix32(bins[from] ^ attempt)
      break
    }
  }
  return signature
}

/** 2³²: a bucket key is `band × BAND_STRIDE + hash`, so the bands never share a bucket. */
const BAND_STRIDE = 0x1_0000_0000

/**
 * The bucket of each band: `band × 2³² + a 32-bit hash of its rows`, an integer below 2⁴⁸ that
 * every store keeps as a number (the stores written before kept it as `lsh:{band}:{hash in base 36}`).
 */
export function bandKeys(signature: Uint32Array): number[] {
  const keys: number[] = new Array(LSH_BANDS)
  for (let band = 0; band < LSH_BANDS; band++) {
    let h = band + 1
    for (let row = 0; row < LSH_ROWS; row++) h = mix32(h ^ signature[band * LSH_ROWS + row]) + row
    keys[band] = band * BAND_STRIDE + (h >>> 0)
  }
  return keys
}

/** Digit runs, and ordinals in Chinese numerals (`第三十六次`), as figures. */
const FIGURE = /\d+(?:\.\d+)?|第[〇零一二三四五六七八九十百千两]+/gu
/** Characters of context on each side that say what a figure counts (`月#日`, `难#人`). */
const FIGURE_CONTEXT = 1

/**
 * The figures of folded text with the characters around them: `于8月3日` gives `于#月:8` and
 * `月#日:3`. Reprints keep every figure they keep the sentence of; two notices from one template
 * show different figures in the same context (see `figuresConflict`).
 */
export function figures(folded: string): string[] {
  const out = new Set<string>()
  for (const m of folded.matchAll(FIGURE)) {
    const before = folded.slice(Math.max(0, m.index - FIGURE_CONTEXT), m.index).replace(/\d/g, '')
    const after = folded.slice(m.index + m[0].length, m.index + m[0].length + FIGURE_CONTEXT).replace(/\d/g, '')
    if (before === '' && after === '') continue
    out.add(`${before}#${after}:${m[0].replace(/^第/, '')}`)
    if (out.size >= MAX_FIGURES) break
  }
  return [...out]
}

/**
 * The fingerprint of an item, or `undefined` when its text is too short to be told from another
 * story of the same kind. Title and text are folded (script, width, case, punctuation) after the
 * site's boilerplate is dropped, so a reprint's added 来源/编辑 lines and disclaimer change nothing.
 */
export function fingerprint(entry: Pick<Entry, 'title' | 'text' | 'originalTitle'>): Fingerprint | undefined {
  const body = foldForMatch(stripBoilerplate(entry.text))
  const title = foldForMatch(entry.title)
  const folded = `${title}${body}`
  // A repeated shingle changes no bin's minimum: the signature is taken over every position, and
  // only the count needs the distinct ones.
  const shingles = shinglesAt(folded)
  const distinct = countDistinct(shingles)
  if (distinct < MIN_SHINGLES) return undefined
  const titles = [title]
  if (entry.originalTitle) titles.push(foldForMatch(entry.originalTitle))
  const signature = minhash(shingles)
  return { signature, buckets: bandKeys(signature), shingles: distinct, titles, figures: figures(folded) }
}

/** Share of equal positions: an unbiased estimate of the shingle sets' Jaccard similarity. */
export function estimatedJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0
  for (let i = 0; i < MINHASH_SIZE; i++) if (a[i] === b[i]) same++
  return same / MINHASH_SIZE
}

/**
 * How much of the smaller shingle set the larger holds, from Jaccard and the two sizes
 * (|A∩B| = J·(|A|+|B|)/(1+J)): a reprint that trimmed a paragraph is contained in the original
 * even when their Jaccard is modest.
 */
export function estimatedContainment(jaccard: number, sizeA: number, sizeB: number): number {
  const shared = (jaccard * (sizeA + sizeB)) / (1 + jaccard)
  return Math.min(1, shared / Math.min(sizeA, sizeB))
}

function bigrams(s: string): Set<string> {
  const chars = Array.from(s)
  const out = new Set<string>()
  if (chars.length === 1) out.add(s)
  for (let i = 0; i + 2 <= chars.length; i++) out.add(chars[i] + chars[i + 1])
  return out
}

/** How much of the shorter headline the other repeats, in character bigrams; best pair of headlines. */
export function titleOverlap(a: readonly string[], b: readonly string[]): number {
  let best = 0
  for (const x of a) {
    const bx = bigrams(x)
    for (const y of b) {
      const by = bigrams(y)
      if (bx.size === 0 || by.size === 0) continue
      let shared = 0
      for (const g of bx) if (by.has(g)) shared++
      best = Math.max(best, shared / Math.min(bx.size, by.size))
    }
  }
  return best
}

/**
 * Whether some context holds different figures in the two items, neither set containing the
 * other: `月#日` is {3} in one notice and {12} in the next. A reprint that trims a paragraph
 * loses figures but never changes one.
 */
export function figuresConflict(a: readonly string[], b: readonly string[]): boolean {
  const byContext = (list: readonly string[]) => {
    const map = new Map<string, Set<string>>()
    for (const f of list) {
      const at = f.lastIndexOf(':')
      const context = f.slice(0, at)
      map.set(context, (map.get(context) ?? new Set()).add(f.slice(at + 1)))
    }
    return map
  }
  const ma = byContext(a)
  const mb = byContext(b)
  for (const [context, va] of ma) {
    const vb = mb.get(context)
    if (!vb) continue
    const aInB = [...va].every((v) => vb.has(v))
    const bInA = [...vb].every((v) => va.has(v))
    if (!aInB && !bInA) return true
  }
  return false
}

/**
 * Acceptance thresholds, checked on test/fixtures/reprints (BENCHMARKS.md). There every true
 * reprint has Jaccard ≥ 0.67 and containment ≥ 0.93, and the thresholds sit well below that, for
 * reprints that trim more; the hard negatives are stopped by the figure check or the containment,
 * not by a threshold fitted to them.
 */
export const NEAR_POLICY = {
  /** Below this Jaccard two texts share phrasing, not a story (a digest and one of its briefs). */
  minJaccard: 0.4,
  /** The smaller text must be this much inside the larger: a trimmed reprint is, a follow-up is not. */
  minContainment: 0.75,
  /** Headlines must share this much, unless the texts are nearly identical (a reworded headline). */
  minTitleOverlap: 0.5,
  /** Containment at which the texts alone prove the story, whatever the headlines say. */
  strongContainment: 0.9,
} as const

export interface Similarity {
  jaccard: number
  containment: number
  titleOverlap: number
  figuresConflict: boolean
}

export function similarity(a: Fingerprint, b: Fingerprint): Similarity {
  const jaccard = estimatedJaccard(a.signature, b.signature)
  return {
    jaccard,
    containment: estimatedContainment(jaccard, a.shingles, b.shingles),
    titleOverlap: titleOverlap(a.titles, b.titles),
    figuresConflict: figuresConflict(a.figures, b.figures),
  }
}

/** The clustering decision for two items of different sources that share an LSH bucket. */
export function sameStory(s: Similarity, policy = NEAR_POLICY): boolean {
  if (s.figuresConflict || s.jaccard < policy.minJaccard || s.containment < policy.minContainment) return false
  return s.titleOverlap >= policy.minTitleOverlap || s.containment >= policy.strongContainment
}

/** The stored form of a fingerprint, kept beside the item and read back to confirm a candidate. */
export function toRecord(entry: Pick<Entry, 'id' | 'sourceId' | 'clusterId'>, print: Fingerprint): NearRecord {
  return {
    itemId: entry.id,
    sourceId: entry.sourceId,
    clusterId: entry.clusterId,
    signature: print.signature,
    buckets: print.buckets,
    shingles: print.shingles,
    titles: print.titles,
    figures: print.figures,
  }
}

/** A stored record as a fingerprint; `undefined` for a record written with other parameters. */
export function fromRecord(record: NearRecord): Fingerprint | undefined {
  if (record.signature.length !== MINHASH_SIZE) return undefined
  return { signature: record.signature, buckets: record.buckets, shingles: record.shingles, titles: record.titles, figures: record.figures }
}
