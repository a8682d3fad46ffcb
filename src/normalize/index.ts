/**
 * normalize/: the stage where loose parser output becomes the strict `Entry` (DESIGN.md).
 * Pure: the clock, the source and what earlier polls learned come in through `NormalizeContext`.
 */
import * as crypto from 'node:crypto'
import type { Enclosure, Entry, RawEntry, RawFeed, SourceConfig } from '../model.js'
import { parseDate } from './date.js'
import { extractOriginalTitle, stripBoilerplate } from './boilerplate.js'
import { capHtml, capTitle, precutHtml } from './size.js'
import { cleanEnclosures, enclosureFileName, leadImage } from './media.js'
import { extractCredits, extractOrigin } from './origin.js'
import { sanitizeWithText } from './sanitize.js'
import { collapseWhitespace, excerpt, htmlToText, stripXmlIllegal } from './text.js'
import { absoluteUrl, canonicalUrl, isRootUrl } from './url.js'

export { parseDate } from './date.js'
export { matchesFilters } from './filter.js'
export { extractCredits, extractOrigin } from './origin.js'
export { extractOriginalTitle, isBoilerplateLine, stripBoilerplate } from './boilerplate.js'
export { MAX_CONTENT_HTML_CHARS, MAX_TITLE_CHARS } from './size.js'
export { sanitizeHtml } from './sanitize.js'
export { excerpt, htmlToText, stripXmlIllegal } from './text.js'
export { absoluteUrl, canonicalUrl, isRootUrl } from './url.js'

export interface NormalizeContext {
  source: SourceConfig
  /** Final URL the feed was fetched from, for resolving relative links. */
  feedUrl: string
  now: Date
  /** Canonical links this source already gave to several different items. */
  ambiguousLinks: ReadonlySet<string>
}

export interface Normalized {
  entries: Entry[]
  /** Canonical links found ambiguous in this feed for the first time: the caller remembers them. */
  ambiguousLinks: string[]
  /** Entries with neither title, text, link nor enclosure: nothing to show or follow, so not kept (issue 10). */
  skipped: number
  warnings: string[]
}

/**
 * A date this far ahead of our clock is the source's clock or zone being wrong, not a scheduled
 * item: the item is dated when we first saw it. Ten minutes absorbs ordinary clock skew.
 */
export const FUTURE_DATE_TOLERANCE_MS = 10 * 60 * 1000

/** Characters of text a missing title is made of. */
export const FALLBACK_TITLE_CHARS = 60

/** The title when an item has neither title, text nor a named enclosure (only a link or an image). */
export const UNTITLED = '(untitled)'

/** Hex digits kept of sha256 for ids: 128 bits, no collision among any store's items. */
const ID_HEX_CHARS = 32
/** Hex digits kept of sha256 for content hashes: enough to tell an edit from a re-poll. */
const CONTENT_HASH_HEX_CHARS = 16

/** Markup or an entity reference: only then is a title read as HTML, so `a<b` keeps its `<`. */
const LOOKS_LIKE_HTML = /<\/?[a-z][^>]*>|&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);/i

/** sha256 of a string, in hex: the one-shot `crypto.hash` (Node 20.12+) costs a third of a Hash object. */
const sha256Hex: (s: string) => string =
  typeof crypto.hash === 'function' ? (s) => crypto.hash('sha256', s, 'hex') : (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex')

/** A one-line plain string from a title, author or category as a feed wrote it. */
function cleanLine(s: string | undefined): string {
  if (s === undefined) return ''
  const text = LOOKS_LIKE_HTML.test(s) ? htmlToText(s) : s
  return stripXmlIllegal(collapseWhitespace(text))
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function uniqueClean(values: string[]): string[] {
  return [...new Set(values.map(cleanLine).filter((v) => v !== ''))]
}

/** `editor@example.com (张三)`, RSS 2.0's author form, is the name in parentheses. */
function cleanAuthor(author: string): string {
  const named = /^\s*\S+@\S+\s*\((.+)\)\s*$/.exec(author)
  return named ? named[1] : author
}

/**
 * A title for an item whose feed gave none, so that every output stays valid (RSS 2.0 wants a
 * title or a description, Atom a title): the first words of its text, else the file name of its
 * first enclosure (a podcast episode), else {@link UNTITLED}.
 */
function fallbackTitle(text: string, enclosures: Enclosure[]): string {
  if (text) return excerpt(text.split('\n')[0], FALLBACK_TITLE_CHARS)
  const named = enclosures.map((enclosure) => enclosureFileName(enclosure.url)).find((name) => name !== undefined)
  return named === undefined ? UNTITLED : cleanLine(named)
}

/** The entry's link, else its guid when that is a permalink to an http(s) page. */
function entryUrl(raw: RawEntry, base: string | undefined): string | undefined {
  const link = absoluteUrl(raw.link, base)
  if (link) return link
  if (raw.guidIsPermaLink === false || !raw.guid || !/^https?:\/\//i.test(raw.guid.trim())) return undefined
  return absoluteUrl(raw.guid, undefined)
}

/** An entry cleaned as far as it can be alone, before the feed-wide questions (ids, ambiguity). */
interface Prepared {
  raw: RawEntry
  guid?: string
  url?: string
  canonical?: string
  title: string
  /** Where this entry's relative URLs are resolved. */
  base: string
  html: string
  text: string
  enclosures: Enclosure[]
  image?: string
  /** Whether it has a title, text, link, enclosure or image of its own: anything a reader can show or follow. */
  usable: boolean
}

/**
 * Links that identify no single item of this feed: several entries share it with different
 * guids or titles (a home page or a section page used as every item's link).
 */
function linksSharedByDifferentItems(prepared: readonly Prepared[]): Set<string> {
  const itemsByLink = new Map<string, Set<string>>()
  for (const p of prepared) {
    if (!p.canonical) continue
    const items = itemsByLink.get(p.canonical) ?? new Set<string>()
    items.add(p.guid !== undefined ? `guid:${p.guid}` : `title:${p.title}`)
    itemsByLink.set(p.canonical, items)
  }
  return new Set([...itemsByLink].filter(([, items]) => items.size > 1).map(([link]) => link))
}

export function normalizeFeed(raw: RawFeed, ctx: NormalizeContext): Normalized {
  const { source, now } = ctx
  const warnings: string[] = []
  const nowIso = now.toISOString()
  const feedBase = absoluteUrl(raw.link, ctx.feedUrl) ?? absoluteUrl(ctx.feedUrl, undefined) ?? ctx.feedUrl
  const dateOptions = { zone: source.timezone, now }

  const prepared = raw.entries.map((entry, index): Prepared => {
    const base = absoluteUrl(entry.baseUrl, feedBase) ?? feedBase
    const guid = stripXmlIllegal(entry.guid?.trim() ?? '') || undefined
    const url = entryUrl(entry, base)
    const markup = entry.contentHtml?.trim() || entry.summaryHtml?.trim() || escapeHtml(entry.contentText?.trim() ?? '').replace(/\r?\n/g, '<br>')
    const precut = precutHtml(markup)
    const sanitized = sanitizeWithText(precut, base)
    const html = capHtml(sanitized.html)
    const text = html === sanitized.html ? sanitized.text : htmlToText(html)
    const enclosures = cleanEnclosures(entry.enclosures, base)
    const image = leadImage(entry.image, enclosures, html, base)
    const written = cleanLine(entry.title)
    const title = capTitle(written || fallbackTitle(text, enclosures))
    // Each cut is named, so an operator can tell the source what it publishes (issue 12 §5).
    const item = () => `source ${source.id}, item ${JSON.stringify(guid ?? url ?? title.slice(0, 40))}`
    if (title.length < written.length) warnings.push(`normalize: entry ${index}: title cut from ${written.length} to ${title.length} characters (${item()})`)
    if (precut.length < markup.length || html.length < sanitized.html.length) {
      warnings.push(`normalize: entry ${index}: content cut from ${markup.length} to ${html.length} characters of HTML (${item()})`)
    }
    const usable = Boolean(written || text || url || enclosures.length > 0 || image)
    return { raw: entry, guid, url, canonical: url ? canonicalUrl(url) : undefined, title, base, html, text, enclosures, ...(image && { image }), usable }
  })

  const shared = linksSharedByDifferentItems(prepared)
  const newlyAmbiguous = [...shared].filter((link) => !ctx.ambiguousLinks.has(link))
  const isAmbiguous = (link: string) => shared.has(link) || ctx.ambiguousLinks.has(link) || isRootUrl(link)

  /** The source's date, unless it is missing, unreadable or in the future (then first-seen). */
  function dated(entry: RawEntry, index: number): Date | undefined {
    const written = [entry.published, entry.updated].filter((s): s is string => !!s?.trim())
    if (written.length === 0) return undefined
    const date = written.map((s) => parseDate(s, dateOptions)).find((d) => d !== undefined)
    if (date === undefined) {
      warnings.push(`normalize: entry ${index}: unreadable date ${JSON.stringify(written[0])}, dated first-seen (source ${source.id})`)
      return undefined
    }
    if (date.getTime() - now.getTime() > FUTURE_DATE_TOLERANCE_MS) {
      warnings.push(`normalize: entry ${index}: date ${date.toISOString()} is in the future, dated first-seen (source ${source.id})`)
      return undefined
    }
    return date
  }

  const entries: Entry[] = []
  const firstIndexById = new Map<string, number>()
  let skipped = 0
  prepared.forEach((p, index) => {
    const { raw: entry } = p
    if (!p.usable) {
      skipped += 1
      warnings.push(`normalize: entry ${index}: no title, text, link or enclosure, skipped (source ${source.id})`)
      return
    }
    const linkIdentifies = p.canonical !== undefined && !isAmbiguous(p.canonical)
    // A changed id shows as a new, duplicate item in every reader (SPEC §4): the id comes from
    // the guid or an unambiguous link whenever there is one, never from title or body.
    const identity =
      p.guid !== undefined ? `guid:${p.guid}`
      : linkIdentifies ? `link:${p.canonical}`
      : `text:${p.title}\n${entry.published ?? entry.updated ?? ''}`
    const id = sha256Hex(`${source.id}\n${identity}`).slice(0, ID_HEX_CHARS)
    const earlier = firstIndexById.get(id)
    if (earlier !== undefined) {
      warnings.push(`normalize: entry ${index} repeats entry ${earlier} (${identity.split('\n')[0]}), dropped (source ${source.id})`)
      return
    }
    firstIndexById.set(id, index)

    const sourceDate = dated(entry, index)
    const updated = entry.updated ? parseDate(entry.updated, dateOptions) : undefined
    const origin = extractOrigin(p.text)
    const originalTitle = extractOriginalTitle(p.text)
    const credits = extractCredits(p.text)
    // Every key written, in one order, the absent ones undefined (which JSON leaves out): one shape
    // for all entries, where spreading the optional ones made a shape per combination.
    entries.push({
      id,
      sourceId: source.id,
      guid: p.guid,
      url: p.url,
      // An ambiguous link must never match another item's, so it is no key for matching.
      canonicalUrl: linkIdentifies ? p.canonical : undefined,
      title: p.title,
      html: p.html,
      text: p.text,
      // The site's dateline, credits and disclaimer are not the story (issue 3 §3).
      excerpt: excerpt(stripBoilerplate(p.text)),
      published: (sourceDate ?? now).toISOString(),
      updated: updated && updated.getTime() - now.getTime() <= FUTURE_DATE_TOLERANCE_MS ? updated.toISOString() : undefined,
      firstSeen: nowIso,
      dateFrom: sourceDate ? 'source' : 'first-seen',
      // Bylines in the text come after whatever the feed itself names.
      authors: uniqueClean([...entry.authors.map(cleanAuthor), ...credits.reporters, ...credits.editors]),
      categories: uniqueClean(entry.categories),
      enclosures: p.enclosures,
      image: p.image,
      origin,
      originalTitle,
      contentHash: sha256Hex(`${p.title}\n${p.html}`).slice(0, CONTENT_HASH_HEX_CHARS),
      clusterId: id,
    })
  })

  return { entries, ambiguousLinks: newlyAmbiguous, skipped, warnings }
}
