/**
 * One HTML list page → raw entries, by the source's CSS selectors (SPEC §2 "Page sources").
 * Pure: the page's text and URL in, strings as found out; dates are read later by normalize/
 * in the source's zone, like a feed's.
 */
import { load, type CheerioAPI } from 'cheerio'
import { ParseError } from '../errors.js'
import type { PageConfig, RawEntry } from '../model.js'
import { collapse, parseField, readField } from './selector.js'

export interface ListPage {
  /** The page's `<title>`. */
  title?: string
  entries: RawEntry[]
  /** Absolute URL of the next list page, when `next` is set and found. */
  next?: string
  warnings: string[]
}

/** Where relative links of the page resolve: its `<base href>` (HTML §4.2.3), else its own URL. */
export function documentBase($: CheerioAPI, url: string): string {
  const href = $('base[href]').first().attr('href')
  if (href === undefined) return url
  try {
    return new URL(href.trim(), url).href
  } catch {
    return url
  }
}

/**
 * `href` as a link a reader can follow: absolute, and of the page's own scheme or http(s)
 * (`javascript:`, `mailto:` and `#` links are no article).
 */
export function resolveLink(href: string | undefined, base: string): string | undefined {
  if (href === undefined || href.trim() === '' || href.trim().startsWith('#')) return undefined
  let url: URL
  try {
    url = new URL(href.trim(), base)
  } catch {
    return undefined
  }
  const pageProtocol = new URL(base).protocol
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== pageProtocol) return undefined
  return url.href
}

/** The `page.item matched 0 elements on …` error: the page's structure changed, or the selector is wrong. */
export function noItems(page: PageConfig, url: string, sourceId?: string): ParseError {
  return new ParseError(`page: page.item matched 0 elements on ${url} (selector ${JSON.stringify(page.item)}${sourceId ? `, source ${sourceId}` : ''})`)
}

export function readListPage(html: string, url: string, page: PageConfig, sourceId?: string): ListPage {
  const $ = load(html)
  const base = documentBase($, url)
  const items = $(page.item)
  if (items.length === 0) throw noItems(page, url, sourceId)

  const fields = { title: parseField(page.title), link: parseField(page.link), date: page.date === undefined ? undefined : parseField(page.date) }
  const warnings: string[] = []
  const entries: RawEntry[] = []
  items.each((index, element) => {
    const item = $(element)
    const title = readField($, item, fields.title)
    const href = readField($, item, fields.link)
    const link = resolveLink(href, base)
    const published = fields.date && readField($, item, fields.date)
    if (title === undefined && link === undefined) {
      warnings.push(`page: item ${index} on ${url} has neither title nor link, skipped`)
      return
    }
    if (link === undefined) warnings.push(`page: item ${index} on ${url} has no usable link${href ? ` (${JSON.stringify(href)})` : ''}`)
    entries.push({
      ...(link !== undefined && { link }),
      ...(title !== undefined && { title }),
      ...(published !== undefined && { published }),
      authors: [],
      categories: [],
      enclosures: [],
      baseUrl: base,
    })
  })

  const next = page.next === undefined ? undefined : resolveLink(readField($, $.root(), parseField(page.next)), base)
  const title = collapse($('title').first().text())
  return { ...(title !== '' && { title }), entries, ...(next !== undefined && { next }), warnings }
}
