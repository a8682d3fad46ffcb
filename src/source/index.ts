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
import type { Fingerprint } from '../dedupe/index.js'
import { matchesFilters } from '../normalize/filter.js'
import { wantsArticles } from '../page/wants.js'
import type { DigestInput, Parse } from './digest.js'
import type { ReadPool } from './pool.js'

export { ReadPool, defaultReaders } from './pool.js'

export type Fetched = Extract<FetchResult, { kind: 'ok' }>

export interface ReadContext {
  now: Date
  /** Reader threads for the CPU-bound part of feeds (absent: this thread does it). */
  pool?: ReadPool
  /** Ids of the items the source already has (not fingerprinted again). */
  storedIds?: readonly string[]
  /** Links earlier polls found to identify nothing (SourceState.ambiguousLinks). */
  knownAmbiguous: readonly string[]
  /** Stored copies of this poll's items, for work carried over between polls (article pages). */
  stored?: (ids: string[]) => Promise<ReadonlyMap<string, Entry>>
  /** Article pages to read at most (page/ MAX_ARTICLES_PER_POLL by default). */
  articleLimit?: number
}

export interface Read {
  decoded: Omit<Decoded, 'text'>
  /** The feed's own fields (title, link, hub, format…) and parse warnings. */
  raw: Omit<RawFeed, 'entries'>
  /** Clean entries that pass the source's include/exclude words, as they go to the merge. */
  entries: Entry[]
  /** Every link known to identify nothing: the stored ones plus those found in this body. */
  ambiguous: Set<string>
  /** Article pages read, when the source reads them. */
  articles?: number
  /** Entries skipped for carrying nothing (SPEC §8), counted on /status. */
  skipped: number
  /** Fingerprints of the entries new to the source, when the read made them. */
  prints?: Map<string, Fingerprint>
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

/**
 * page/ (which loads its HTML readers itself, on first use) and the in-thread reader, with the
 * feed parser and sanitizer they bring, load on first use too: a process whose sources are feeds
 * read by the reader threads never needs them on its main thread (~0.07 s of start-up).
 */
const pages = () => import('../page/index.js')

/** The reader for a source: the only place that asks what kind of source it is. */
export function readerFor(source: SourceConfig, fetcher: Fetcher): SourceReader {
  // A list page's `next` pages are fetched while it is read, so it is read in this thread.
  const parse: Parse | undefined = source.page ? async (text, url) => (await pages()).readPageSource(source, source.page!, { text, url }, fetcher) : undefined
  const fetch: SourceReader['fetch'] = source.page
    ? // A page source's list page asks robots.txt first (RFC 9309) and waits its turn on the portal like its other pages.
      async (validators) => {
        const { politeFetcher, politeFetchOptions, robotsGate } = await pages()
        const warnings = await robotsGate(source, source.url, fetcher)
        return { fetched: await politeFetcher(fetcher).fetch(source.url, politeFetchOptions(source), validators), warnings }
      }
    : async (validators, signal) => ({ fetched: await fetcher.fetch(source.url, validators, { sourceId: source.id, ...(signal && { signal }) }), warnings: [] })
  return { fetch, read: (fetched, context) => read(source, fetcher, parse, fetched, context) }
}

async function read(source: SourceConfig, fetcher: Fetcher, parse: Parse | undefined, fetched: Fetched, context: ReadContext): Promise<Read> {
  const articles = wantsArticles(source)
  const input: DigestInput = {
    source,
    body: fetched.body,
    ...(fetched.contentType !== undefined && { contentType: fetched.contentType }),
    finalUrl: fetched.finalUrl,
    nowMs: context.now.getTime(),
    knownAmbiguous: context.knownAmbiguous,
    storedIds: context.storedIds ?? [],
    final: !articles,
  }
  const digested = context.pool && !parse ? await context.pool.run(input) : await (await import('./digest.js')).digest(input, parse)
  const warnings = [...digested.warnings]
  let entries = digested.entries
  let read: number | undefined
  if (articles) {
    const stored = (await context.stored?.(entries.map((e) => e.id))) ?? new Map<string, Entry>()
    const withPages = await (await pages()).withArticles(source, entries, stored, { fetcher, now: context.now, ...(context.articleLimit !== undefined && { limit: context.articleLimit }) })
    // After the article pages: include/exclude words look at the article's text too.
    entries = withPages.entries.filter((e) => matchesFilters(e, source.include, source.exclude))
    read = withPages.read
    warnings.push(...withPages.warnings)
  }
  return {
    decoded: digested.decoded,
    raw: digested.feed,
    entries,
    ambiguous: new Set([...context.knownAmbiguous, ...digested.ambiguousLinks]),
    skipped: digested.skipped,
    ...(read !== undefined && { articles: read }),
    ...(digested.prints && { prints: digested.prints }),
    warnings,
  }
}
