/**
 * What every feed format says the same way about a `FeedView`: titles, links, dates, rights,
 * enclosures. One place, so RSS, Atom and JSON Feed never disagree about an item.
 */
import type { Disclaimer, FeedView, PublishedItem } from '../model.js'
import { publishedId } from './ids.js'
import { xmlSafe } from './xml.js'

/** The `<generator>` of every feed we write. */
export const GENERATOR = 'feedloom'

/** RSS 2.0 requires `type` on `<enclosure>`; when the source did not say, claim nothing more specific. */
export const UNKNOWN_ENCLOSURE_TYPE = 'application/octet-stream'

/** RSS 2.0 requires `length` on `<enclosure>`; 0 is the customary "unknown" (RSS Best Practices Profile). */
export const UNKNOWN_ENCLOSURE_LENGTH = 0

/**
 * What WHATWG URL serialization leaves raw in paths, queries and fragments but RFC 3986 §2 does
 * not allow there (JSON Feed's `format: uri` and strict readers follow RFC 3986), and `%` not
 * starting a percent-encoding.
 */
const NOT_RFC3986 = /[[\]{}|^`\\]|%(?![0-9A-Fa-f]{2})/g

function percentEncode(character: string): string {
  return `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
}

/**
 * Answers of {@link absoluteUrl} by input: a feed of 50 items asks for each item's link twice
 * (link and footer), its source's URL and image, and WHATWG URL parsing was a tenth of rendering
 * one. Emptied when full, so it stays small whatever the store holds.
 */
const ABSOLUTE_URLS = new Map<string, string | undefined>()
const ABSOLUTE_URLS_MAX = 4_096
/** Longer inputs are parsed every time: the map holds at most 4,096 × 2 KiB of them. */
const ABSOLUTE_URL_MAX_KEPT = 2_048

/** `url` as an absolute URL that is also an RFC 3986 URI (non-ASCII and stray characters
 * percent-encoded), or undefined when it is not an absolute URL at all. */
export function absoluteUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined
  const known = ABSOLUTE_URLS.get(url)
  if (known !== undefined || ABSOLUTE_URLS.has(url)) return known
  const absolute = parseAbsoluteUrl(url)
  if (url.length > ABSOLUTE_URL_MAX_KEPT) return absolute
  if (ABSOLUTE_URLS.size >= ABSOLUTE_URLS_MAX) ABSOLUTE_URLS.clear()
  ABSOLUTE_URLS.set(url, absolute)
  return absolute
}

function parseAbsoluteUrl(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  parsed.pathname = parsed.pathname.replace(NOT_RFC3986, percentEncode)
  parsed.search = parsed.search.replace(NOT_RFC3986, percentEncode)
  parsed.hash = parsed.hash.replace(NOT_RFC3986, percentEncode)
  return parsed.href
}

/**
 * `url` as an absolute http(s) URL, or undefined: only web addresses become links or images in
 * anything we publish (a `javascript:` URL survives every escaping, so escaping is not enough).
 */
export function webUrl(url: string | undefined): string | undefined {
  const absolute = absoluteUrl(url)
  return absolute !== undefined && /^https?:/i.test(absolute) ? absolute : undefined
}

/** Where every published story has a page of its own (SPEC §7). */
export const ITEM_PATH = '/items/'

/** The path of a story's page: its published id without the `urn:uuid:` prefix. */
export function itemPath(id: string): string {
  return ITEM_PATH + publishedId(id).slice('urn:uuid:'.length)
}

/** The site's URL: config validation guarantees it, so a bad one is a programming error. */
export function siteUrl(view: FeedView): string {
  const url = absoluteUrl(view.site.url)
  if (url === undefined) throw new TypeError(`render: site.url ${JSON.stringify(view.site.url)} is not an absolute URL`)
  return url
}

export function feedTitle(view: FeedView): string {
  return view.category.key === 'all' ? view.site.title : `${view.site.title} · ${view.category.title}`
}

export function feedDescription(view: FeedView): string {
  return view.category.description ?? view.site.description ?? feedTitle(view)
}

/** Feed-level and entry-level rights statement: the disclaimer followed by its contact. */
export function rightsText(disclaimer: Disclaimer): string {
  return [disclaimer.text, disclaimer.contact].filter((part) => part !== undefined && part !== '').join(' ')
}

/** The absolute URL of a story's page on this site (JSON Feed `_feedloom.page`). */
export function itemPage(item: PublishedItem, view: FeedView): string {
  return siteUrl(view).replace(/\/+$/, '') + itemPath(item.id)
}

/**
 * The item's link: the original article, or its page here when the source gave no usable one
 * (none, or a `javascript:` one): every headline links somewhere useful, never to the home page
 * (SPEC §7), and RSS readers and RFC 4287 §4.1.2 want a link.
 */
export function itemLink(item: PublishedItem, view: FeedView): string {
  return webUrl(item.entry.url) ?? itemPage(item, view)
}

function firstValidDate(candidates: (string | undefined)[]): Date {
  for (const candidate of candidates) {
    if (candidate === undefined) continue
    const date = new Date(candidate)
    if (!Number.isNaN(date.getTime())) return date
  }
  return new Date(0)
}

/** Published and last-updated dates of an item; `updated` never precedes `published`. */
export function itemDates(item: PublishedItem, view: FeedView): { published: Date; updated: Date } {
  const published = firstValidDate([item.entry.published, item.entry.firstSeen, view.updated])
  const updated = firstValidDate([item.entry.updated, item.entry.published, item.entry.firstSeen, view.updated])
  return { published, updated: updated < published ? published : updated }
}

export function feedUpdated(view: FeedView): Date {
  return firstValidDate([view.updated])
}

/** `type/subtype` with optional parameters (RFC 9110 §8.3.1), printable ASCII only: RFC 4287's
 * grammar and RSS readers need a real media type, so anything else counts as unknown. */
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7E]*)?$/

export interface Attachment {
  url: string
  type: string
  length: number
}

/** The item's enclosures that have a usable URL, with RSS's required attributes filled in. */
export function attachments(item: PublishedItem): Attachment[] {
  return item.entry.enclosures.flatMap((enclosure) => {
    const url = absoluteUrl(enclosure.url)
    if (url === undefined) return []
    const length = enclosure.length !== undefined && Number.isSafeInteger(enclosure.length) && enclosure.length >= 0 ? enclosure.length : UNKNOWN_ENCLOSURE_LENGTH
    const type = enclosure.type !== undefined && MEDIA_TYPE.test(enclosure.type) ? enclosure.type : UNKNOWN_ENCLOSURE_TYPE
    return [{ url, type, length }]
  })
}

/** Authors or categories that still say something once XML-illegal characters are gone. */
export function nonEmpty(values: string[]): string[] {
  return values.filter((value) => xmlSafe(value).trim() !== '')
}

export interface FeedLink {
  rel: string
  href: string
}

/**
 * Feed-level links beyond `self` and `alternate`: the WebSub hub (WebSub §4), and RFC 5005 paging —
 * `next` (§3) to the older page, mirrored as `prev-archive` (§4) for readers that follow archives,
 * and `first` back to the subscription document on an older page.
 */
export function feedLinks(view: FeedView): FeedLink[] {
  const links: FeedLink[] = []
  const add = (rel: string, url: string | undefined) => {
    const href = absoluteUrl(url)
    if (href !== undefined) links.push({ rel, href })
  }
  add('hub', view.site.websubHub)
  add('first', view.pages?.first)
  add('next', view.pages?.next)
  add('prev-archive', view.pages?.next)
  return links
}

/** The plain-text summary to publish: the excerpt, except in `title` mode where no body text may appear. */
export function itemSummary(item: PublishedItem): string | undefined {
  return item.content === 'title' || item.entry.excerpt === '' ? undefined : item.entry.excerpt
}
