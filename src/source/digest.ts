/**
 * The pure, CPU-bound part of reading a source: bytes → decode → parse (or list page) → the newest
 * `maxItems` → normalize, and when nothing more will change the entries (no article pages to read),
 * the include/exclude words and the near-duplicate fingerprints. It runs in the calling thread or
 * in a reader thread (pool.ts); its input and output are plain, cloneable data.
 */
import type { Decoded, Entry, RawFeed, SourceConfig } from '../model.js'
import { decode } from '../decode/index.js'
import { parseFeed } from '../parse/index.js'
import { normalizeFeed } from '../normalize/index.js'
import { forgetStrippedTexts } from '../normalize/boilerplate.js'
import { matchesFilters } from '../normalize/filter.js'
import { newestEntries } from '../normalize/limit.js'
import { fingerprints, type Fingerprint } from '../dedupe/index.js'

export interface DigestInput {
  source: SourceConfig
  body: Uint8Array
  contentType?: string
  finalUrl: string
  nowMs: number
  knownAmbiguous: readonly string[]
  /** Items the source already has: they are not fingerprinted again. */
  storedIds: readonly string[]
  /** Whether the entries are final (no article pages to come): then words are applied and fingerprints made here. */
  final: boolean
}

export interface Digest {
  decoded: Omit<Decoded, 'text'>
  feed: Omit<RawFeed, 'entries'>
  entries: Entry[]
  /** Links found in this body to identify nothing. */
  ambiguousLinks: string[]
  /** Entries with neither title, text, link nor media: not items (SPEC §8). */
  skipped: number
  /** Fingerprints of the final entries that are new to the source (only when `final`). */
  prints?: Map<string, Fingerprint>
  warnings: string[]
}

/** A list page's parse needs the network (its `next` pages): it is given as `parse`; feeds parse here. */
export type Parse = (text: string, url: string) => Promise<RawFeed>

export async function digest(input: DigestInput, parse: Parse = (text, url) => parseFeed(text, { url, sourceId: input.source.id })): Promise<Digest> {
  try {
    return await digestBody(input, parse)
  } finally {
    // The texts stripped for excerpts were kept for the fingerprints; both are made now.
    forgetStrippedTexts()
  }
}

async function digestBody(input: DigestInput, parse: Parse): Promise<Digest> {
  const { source } = input
  const now = new Date(input.nowMs)
  const { text, ...decoded } = decode(input.body, { contentType: input.contentType, override: source.encoding, sourceId: source.id })
  // Before the expensive stages: a 100,000-item feed costs what its newest maxItems cost (issue 12 §5).
  const { entries: rawEntries, ...feed } = newestEntries(await parse(text, input.finalUrl), source, now)
  const normalized = normalizeFeed({ ...feed, entries: rawEntries }, { source, feedUrl: input.finalUrl, now, ambiguousLinks: new Set(input.knownAmbiguous) })
  const warnings = [...decoded.warnings, ...feed.warnings, ...normalized.warnings]
  const common = { decoded, feed, ambiguousLinks: normalized.ambiguousLinks, skipped: normalized.skipped, warnings }
  if (!input.final) return { ...common, entries: normalized.entries }
  const entries = normalized.entries.filter((e) => matchesFilters(e, source.include, source.exclude))
  const stored = new Set(input.storedIds)
  const prints = fingerprints(entries.filter((e) => !stored.has(e.id)))
  return { ...common, entries, prints }
}
