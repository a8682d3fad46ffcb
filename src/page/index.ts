/**
 * page/: sources without a feed (issue 6). A list page read by CSS selectors becomes a RawFeed of
 * format `html`, so page items go through the same normalize, dedupe and output path as feed
 * items; new items' article pages add their content, date and origin before the commit.
 */
import { ParseError, errorMessage } from '../errors.js'
import type { Entry, PageConfig, RawEntry, RawFeed, SourceConfig } from '../model.js'
import type { Fetcher } from '../fetch/index.js'
import { RobotsDisallowedError } from '../fetch/robots.js'
import { decode } from '../decode/index.js'
import { excerpt, normalizeFeed } from '../normalize/index.js'
import { PoliteFetcher, politeFetcher, politeFetchOptions } from './polite.js'
export { wantsArticles } from './wants.js'

// The HTML readers (cheerio, linkedom, readability) load when a page source is read, not with the
// poller: they take longer to load than a poll of unchanged feeds takes (article.ts, list.ts, suggest.ts).
export type { Article, ArticleConfig } from './article.js'
export type { ListPage } from './list.js'
export { PoliteFetcher, politeFetcher, politeFetchOptions, DEFAULT_CRAWL_DELAY_MS } from './polite.js'

/**
 * Pages followed by `next` when the source sets no `pages`: the first and one more. A poll every
 * few minutes only needs what is new; deeper pages are history the first poll already read.
 */
export const DEFAULT_PAGES_WITH_NEXT = 2

/**
 * Article pages fetched in one poll at most. At the default pause that is under a minute per
 * host; items left over keep their list data and get their article on the next polls.
 */
export const MAX_ARTICLES_PER_POLL = 30

function ignoreRobotsWarning(source: SourceConfig): string {
  return `page: ignoreRobots is set: robots.txt is not consulted for ${source.url} and its article pages (source ${source.id})`
}

/**
 * A page source's list pages → RawFeed: the first page (already fetched by refresh.ts, checked
 * against robots.txt here) and up to `pages - 1` more through `next`. 0 items on the first page is
 * a source error (`page.item matched 0 elements on …`); on a later page only a warning.
 */
/**
 * robots.txt's word on a page source's URL: throws RobotsDisallowedError when it says no, and
 * returns the warning `ignoreRobots` earns on every poll. Cached per host, so asking twice is free.
 */
export async function robotsGate(source: SourceConfig, url: string, fetcher: Fetcher | undefined): Promise<string[]> {
  if (source.ignoreRobots) return [ignoreRobotsWarning(source)]
  if (!fetcher) return []
  const verdict = await politeFetcher(fetcher).robots.check(url, source.id)
  if (!verdict.allowed) throw new RobotsDisallowedError(verdict, url, source.id)
  return []
}

export async function readPageSource(source: SourceConfig, page: PageConfig, first: { text: string; url: string }, fetcher: Fetcher | undefined): Promise<RawFeed> {
  const polite = fetcher && politeFetcher(fetcher)
  const options = politeFetchOptions(source)
  const warnings = await robotsGate(source, first.url, fetcher)

  const { readListPage } = await import('./list.js')
  const firstPage = readListPage(first.text, first.url, page, source.id)
  warnings.push(...firstPage.warnings)
  const entries = [...firstPage.entries]
  const visited = new Set([first.url])
  const maxPages = page.pages ?? (page.next ? DEFAULT_PAGES_WITH_NEXT : 1)
  let next = firstPage.next
  for (let n = 2; n <= maxPages && next !== undefined && !visited.has(next); n++) {
    if (!polite) {
      warnings.push(`page: list page ${n} (${next}) not read: no fetcher given (source ${source.id})`)
      break
    }
    visited.add(next)
    try {
      const fetched = await polite.fetch(next, options)
      if (fetched.kind !== 'ok') break
      const decoded = decode(fetched.body, { contentType: fetched.contentType, override: source.encoding, sourceId: source.id })
      const more = readListPage(decoded.text, fetched.finalUrl, page, source.id)
      warnings.push(...decoded.warnings, ...more.warnings)
      entries.push(...more.entries)
      next = more.next
    } catch (error) {
      // The first page carries the news; a broken later page costs older items, not the poll.
      warnings.push(`page: list page ${n} not read: ${errorMessage(error)}`)
      break
    }
  }

  return { format: 'html', ...(firstPage.title !== undefined && { title: firstPage.title }), link: first.url, entries: uniqueByLink(entries), warnings }
}

/** An item that moved from page 1 to page 2 between two requests is listed twice: keep the first. */
function uniqueByLink(entries: RawEntry[]): RawEntry[] {
  const seen = new Set<string>()
  return entries.filter((entry) => {
    if (entry.link === undefined) return true
    if (seen.has(entry.link)) return false
    seen.add(entry.link)
    return true
  })
}

export interface ArticleDeps {
  fetcher: Fetcher | PoliteFetcher
  now: Date
  /** Article pages to fetch at most (MAX_ARTICLES_PER_POLL). */
  limit?: number
}

export interface WithArticles {
  entries: Entry[]
  /** Article pages read successfully. */
  read: number
  warnings: string[]
}

/**
 * This poll's entries with their article content. An item already stored keeps the content its
 * article gave it (an article is never re-fetched once stored); it is fetched again only if its
 * title changed, or if the stored item never got its article (the fetch failed, robots.txt
 * forbade it, or the per-poll limit was reached). A failed article leaves the list's data and a warning.
 */
export async function withArticles(source: SourceConfig, fresh: Entry[], stored: ReadonlyMap<string, Entry>, deps: ArticleDeps): Promise<WithArticles> {
  const polite = deps.fetcher instanceof PoliteFetcher ? deps.fetcher : politeFetcher(deps.fetcher)
  const options = politeFetchOptions(source)
  const limit = deps.limit ?? MAX_ARTICLES_PER_POLL
  const warnings: string[] = []
  if (source.ignoreRobots && !source.page) warnings.push(ignoreRobotsWarning(source))
  let attempts = 0
  let read = 0
  let skipped = 0
  const entries: Entry[] = []
  for (const entry of fresh) {
    const before = stored.get(entry.id)
    if (before && before.title === entry.title && before.contentHash !== entry.contentHash) {
      entries.push(keepArticle(entry, before))
      continue
    }
    if (entry.url === undefined) {
      entries.push(entry)
      continue
    }
    if (attempts >= limit) {
      skipped++
      entries.push(entry)
      continue
    }
    attempts++
    try {
      entries.push(await readArticle(source, entry, polite, options, deps.now, warnings))
      read++
    } catch (error) {
      const message = errorMessage(error)
      warnings.push(error instanceof RobotsDisallowedError || error instanceof ParseError ? message : `page: article of "${entry.title}" not read: ${message}`)
      entries.push(entry)
    }
  }
  if (skipped) warnings.push(`page: ${skipped} article page${skipped === 1 ? '' : 's'} not read this time (at most ${limit} at once, source ${source.id}); later polls read them`)
  return { entries, read, warnings }
}

/** The stored article content on this poll's list entry. */
function keepArticle(entry: Entry, before: Entry): Entry {
  const { html, text, excerpt, origin, published, dateFrom, updated, contentHash } = before
  const { origin: _listOrigin, updated: _listUpdated, ...rest } = entry
  return { ...rest, html, text, excerpt, published, dateFrom, contentHash, ...(origin !== undefined && { origin }), ...(updated !== undefined && { updated }) }
}

async function readArticle(source: SourceConfig, entry: Entry, polite: PoliteFetcher, options: ReturnType<typeof politeFetchOptions>, now: Date, warnings: string[]): Promise<Entry> {
  const url = entry.url!
  const fetched = await polite.fetch(url, options)
  if (fetched.kind !== 'ok') return entry
  const decoded = decode(fetched.body, { contentType: fetched.contentType, override: source.encoding, sourceId: source.id })
  const { extractArticle } = await import('./article.js')
  const article = extractArticle(decoded.text, fetched.finalUrl, source.page?.article ?? {}, source.id)
  for (const w of decoded.warnings) warnings.push(`page: article ${url}: ${w}`)

  // A `summary` or `title` source never republishes full text (SPEC §2): only the excerpt is kept.
  const full = source.content === 'full'
  const raw: RawEntry = {
    ...(entry.guid !== undefined && { guid: entry.guid }),
    link: url,
    title: entry.title,
    ...(full ? { contentHtml: article.html } : { contentText: excerpt(article.text) }),
    // The article's date wins; a list date the list really gave is the fallback.
    ...((article.dateText ?? (entry.dateFrom === 'source' ? entry.published : undefined)) !== undefined && {
      published: article.dateText ?? entry.published,
    }),
    authors: entry.authors,
    categories: entry.categories,
    enclosures: entry.enclosures,
    baseUrl: fetched.finalUrl,
  }
  const normalized = normalizeFeed({ format: 'html', link: fetched.finalUrl, entries: [raw], warnings: [] }, { source, feedUrl: fetched.finalUrl, now, ambiguousLinks: new Set() })
  for (const w of normalized.warnings) warnings.push(`page: article ${url}: ${w}`)
  const read = normalized.entries[0]
  if (!read) return entry
  if (article.dateText !== undefined && read.dateFrom !== 'source' && entry.dateFrom === 'source') {
    // An unreadable article date must not throw away the list's good one.
    return withContent(entry, read, article.origin, { published: entry.published, dateFrom: 'source' })
  }
  return withContent(entry, read, article.origin, { published: read.published, dateFrom: read.dateFrom })
}

/** The list entry's identity (id, links, first-seen, cluster) with the article's content, date and origin. */
function withContent(entry: Entry, read: Entry, origin: string | undefined, date: Pick<Entry, 'published' | 'dateFrom'>): Entry {
  const found = origin ?? read.origin ?? entry.origin
  const { origin: _origin, ...rest } = entry
  return {
    ...rest,
    html: read.html,
    text: read.text,
    excerpt: read.excerpt,
    ...date,
    ...(read.updated !== undefined && { updated: read.updated }),
    contentHash: read.contentHash,
    ...(found !== undefined && { origin: found }),
  }
}
