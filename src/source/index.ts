/**
 * source/: one reader per kind of source (issue 9 §5), behind one interface — fetch with the
 * stored validators, then read the body into clean entries — so refresh.ts runs every source the
 * same way: fetch → read → merge → commit, as miniflux's RefreshFeed does.
 *
 *   feed  a feed URL fetched as feed readers fetch it, parsed as RSS, Atom, RDF or JSON Feed
 *   page  a list page (SPEC §2 "Page sources"): robots.txt first, the host's polite queue, CSS
 *         selectors and `next` pages
 *
 * Reading is the same for both after parsing: the newest `maxItems` entries, normalize, the
 * article pages of new items when the source asks for them, the include/exclude words.
 */
import type { Decoded, Entry, FetchResult, RawFeed, SourceConfig, Validators } from '../model.js'
import type { Fetcher } from '../fetch/index.js'
import { decode } from '../decode/index.js'
import { parseFeed } from '../parse/index.js'
import { normalizeFeed } from '../normalize/index.js'
import { matchesFilters } from '../normalize/filter.js'
import { newestEntries } from '../normalize/limit.js'
import { politeFetcher, politeFetchOptions, readPageSource, robotsGate, wantsArticles, withArticles } from '../page/index.js'

export type Fetched = Extract<FetchResult, { kind: 'ok' }>

export interface ReadContext {
  now: Date
  /** Links earlier polls found to identify nothing (SourceState.ambiguousLinks). */
  knownAmbiguous: readonly string[]
  /** Stored copies of this poll's items, for work carried over between polls (article pages). */
  stored?: (ids: string[]) => Promise<ReadonlyMap<string, Entry>>
  /** Article pages to read at most (page/ MAX_ARTICLES_PER_POLL by default). */
  articleLimit?: number
}

export interface Read {
  decoded: Decoded
  raw: RawFeed
  /** Clean entries that pass the source's include/exclude words, as they go to the merge. */
  entries: Entry[]
  /** Every link known to identify nothing: the stored ones plus those found in this body. */
  ambiguous: Set<string>
  /** Article pages read, when the source reads them. */
  articles?: number
  warnings: string[]
}

export interface SourceReader {
  /**
   * The source's URL, conditional on the stored validators. `warnings` are what a poll reports
   * even when nothing changed (a page source's `ignoreRobots`); `read` repeats them with a body.
   */
  fetch(validators: Validators, signal?: AbortSignal): Promise<{ fetched: FetchResult; warnings: string[] }>
  read(fetched: Fetched, context: ReadContext): Promise<Read>
}

/** The reader for a source: the only place that asks what kind of source it is. */
export function readerFor(source: SourceConfig, fetcher: Fetcher): SourceReader {
  const parse: Parse = source.page
    ? (text, url) => readPageSource(source, source.page!, { text, url }, fetcher)
    : (text, url) => parseFeed(text, { url, sourceId: source.id })
  const fetch: SourceReader['fetch'] = source.page
    ? // A page source's list page asks robots.txt first (RFC 9309) and waits its turn on the portal like its other pages.
      async (validators) => {
        const warnings = await robotsGate(source, source.url, fetcher)
        return { fetched: await politeFetcher(fetcher).fetch(source.url, politeFetchOptions(source), validators), warnings }
      }
    : async (validators, signal) => ({ fetched: await fetcher.fetch(source.url, validators, { sourceId: source.id, ...(signal && { signal }) }), warnings: [] })
  return { fetch, read: (fetched, context) => read(source, fetcher, parse, fetched, context) }
}

type Parse = (text: string, url: string) => Promise<RawFeed>

async function read(source: SourceConfig, fetcher: Fetcher, parse: Parse, fetched: Fetched, context: ReadContext): Promise<Read> {
  const decoded = decode(fetched.body, { contentType: fetched.contentType, override: source.encoding, sourceId: source.id })
  const parsed = await parse(decoded.text, fetched.finalUrl)
  // Before the expensive stages: a 100,000-item feed costs what its newest maxItems cost (issue 12 §5).
  const raw = newestEntries(parsed, source, context.now)
  const normalized = normalizeFeed(raw, { source, feedUrl: fetched.finalUrl, now: context.now, ambiguousLinks: new Set(context.knownAmbiguous) })
  const warnings = [...decoded.warnings, ...raw.warnings, ...normalized.warnings]
  let entries = normalized.entries
  let articles: number | undefined
  if (wantsArticles(source)) {
    const stored = (await context.stored?.(entries.map((e) => e.id))) ?? new Map<string, Entry>()
    const withPages = await withArticles(source, entries, stored, { fetcher, now: context.now, ...(context.articleLimit !== undefined && { limit: context.articleLimit }) })
    entries = withPages.entries
    articles = withPages.read
    warnings.push(...withPages.warnings)
  }
  // After the article pages: include/exclude words look at the article's text too.
  entries = entries.filter((e) => matchesFilters(e, source.include, source.exclude))
  return { decoded, raw, entries, ambiguous: new Set([...context.knownAmbiguous, ...normalized.ambiguousLinks]), ...(articles !== undefined && { articles }), warnings }
}
