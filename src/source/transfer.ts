/**
 * A digest as it crosses from a reader thread to the main thread (pool.ts), in the form that costs
 * least on both sides. Structured clone of the plain digest cost the main thread ~15 µs an item:
 * 4 µs for the entries and 11 µs for the fingerprints (a typed array and a list of heap numbers
 * each). Here the entries go as their JSON, which the main thread parses faster than it
 * deserializes the objects and then stores as it is (store/codec `rememberJson`: no second
 * `JSON.stringify` on the main thread, where every commit runs); the fingerprints go as a few
 * typed arrays moved, not copied, to the main thread.
 */
import type { Entry } from '../model.js'
import type { Fingerprint } from '../dedupe/index.js'
import { rememberJson } from '../store/codec.js'
import type { Digest } from './digest.js'

export interface PackedDigest extends Omit<Digest, 'entries' | 'prints'> {
  entries: string[]
  prints?: PackedPrints
}

interface PackedPrints {
  ids: string[]
  /** Words of each signature, one after another (every signature is `width` words). */
  width: number
  signatures: Uint32Array
  /** Buckets of each fingerprint, `bands` a fingerprint. */
  bands: number
  buckets: Float64Array
  shingles: Uint32Array
  /** JSON of `[titles, figures]` of each fingerprint. */
  texts: string
}

/** The digest packed, and the buffers to move with it (postMessage's transfer list). */
export function packDigest(digest: Digest): { packed: PackedDigest; transfer: ArrayBuffer[] } {
  const { entries, prints, ...rest } = digest
  const packed: PackedDigest = { ...rest, entries: entries.map((e) => JSON.stringify(e)) }
  if (!prints) return { packed, transfer: [] }
  const list = [...prints.values()]
  const width = list[0]?.signature.length ?? 0
  const bands = list[0]?.buckets.length ?? 0
  const signatures = new Uint32Array(list.length * width)
  const buckets = new Float64Array(list.length * bands)
  const shingles = new Uint32Array(list.length)
  list.forEach((print, i) => {
    if (print.signature.length !== width || print.buckets.length !== bands) throw new Error('read: fingerprints of different sizes in one digest')
    signatures.set(print.signature, i * width)
    for (let b = 0; b < bands; b++) buckets[i * bands + b] = print.buckets[b]
    shingles[i] = print.shingles
  })
  packed.prints = { ids: [...prints.keys()], width, signatures, bands, buckets, shingles, texts: JSON.stringify(list.map((p) => [p.titles, p.figures])) }
  return { packed, transfer: [signatures.buffer, buckets.buffer, shingles.buffer] }
}

export function unpackDigest(packed: PackedDigest): Digest {
  const { entries, prints, ...rest } = packed
  const digest: Digest = {
    ...rest,
    entries: entries.map((json) => {
      // Frozen: the JSON it is remembered with would go stale if it changed.
      const entry = Object.freeze(JSON.parse(json) as Entry)
      rememberJson(entry, json)
      return entry
    }),
  }
  if (!prints) return digest
  const texts = JSON.parse(prints.texts) as Array<[string[], string[]]>
  const out = new Map<string, Fingerprint>()
  prints.ids.forEach((id, i) => {
    const buckets: number[] = new Array(prints.bands)
    for (let b = 0; b < prints.bands; b++) buckets[b] = prints.buckets[i * prints.bands + b]
    out.set(id, {
      signature: prints.signatures.subarray(i * prints.width, (i + 1) * prints.width),
      buckets,
      shingles: prints.shingles[i],
      titles: texts[i][0],
      figures: texts[i][1],
    })
  })
  digest.prints = out
  return digest
}
