/**
 * Reads our rendered feeds back with real parsers (cheerio/htmlparser2 in XML mode, JSON.parse)
 * into one shape, so the same assertions run over RSS, Atom and JSON Feed.
 */
import * as cheerio from 'cheerio'

export type Format = 'rss' | 'atom' | 'json'

export interface ReadItem {
  id: string
  link: string
  /** Plain text, whatever the format's title construct. */
  title: string
  contentHtml: string
  /** Plain text. */
  summary?: string
  source: { id?: string; title: string; url?: string }
  /** Atom entry `<rights>`. */
  rights?: string
  /** Every character of the item a reader could show, for "no body text" checks. */
  everything: string
  /** Media files in the order written: RSS `<enclosure>` then `media:content`, Atom enclosure links, JSON Feed attachments. */
  enclosures: ReadEnclosure[]
  /** RSS and Atom `media:thumbnail`, JSON Feed `image`. */
  image?: string
}

export interface ReadEnclosure {
  url: string
  type?: string
  length?: number
}

/** An enclosure's attributes, whatever each format calls them. */
function enclosureOf(url: string | undefined, type: string | undefined, length: string | undefined): ReadEnclosure {
  return { url: url ?? '', ...(type !== undefined && { type }), ...(length !== undefined && { length: Number(length) }) }
}

export interface ReadFeed {
  title: string
  rights: string
  items: ReadItem[]
}

/** Text of an HTML fragment (entities decoded, tags dropped). */
export function htmlText(html: string): string {
  return cheerio.load(html, null, false).text()
}

/**
 * htmlparser2 is not a conforming XML processor: it skips the line-end normalization of XML 1.0
 * §2.11, which every real reader applies, so it is done here.
 */
function loadXml(body: string): cheerio.CheerioAPI {
  return cheerio.load(body.replace(/\r\n?/g, '\n'), { xml: true })
}

function readRss(body: string): ReadFeed {
  const $ = loadXml(body)
  return {
    title: $('channel > title').text(),
    rights: $('channel > copyright').text(),
    items: $('channel > item')
      .toArray()
      .map((element) => {
        const item = $(element)
        const description = item.children('description')
        return {
          id: item.children('guid').text(),
          link: item.children('link').text(),
          title: item.children('title').text(),
          contentHtml: item.children('content\\:encoded').text(),
          summary: description.length > 0 ? htmlText(description.text()) : undefined,
          source: { title: item.children('source').text(), url: item.children('source').attr('url') },
          everything: `${item.text()} ${item.children('source').attr('url') ?? ''}`,
          enclosures: [
            ...item.children('enclosure').toArray().map((e) => enclosureOf(e.attribs.url, e.attribs.type, e.attribs.length)),
            ...item.children('media\\:content').toArray().map((e) => enclosureOf(e.attribs.url, e.attribs.type, e.attribs.fileSize)),
          ],
          image: item.children('media\\:thumbnail').attr('url'),
        }
      }),
  }
}

function readAtom(body: string): ReadFeed {
  const $ = loadXml(body)
  return {
    title: $('feed > title').text(),
    rights: $('feed > rights').text(),
    items: $('feed > entry')
      .toArray()
      .map((element) => {
        const entry = $(element)
        const summary = entry.children('summary')
        const source = entry.children('source')
        return {
          id: entry.children('id').text(),
          link: entry.children('link:not([rel]), link[rel="alternate"]').attr('href') ?? '',
          // feed writes entry titles as type="html".
          title: htmlText(entry.children('title').text()),
          contentHtml: entry.children('content').text(),
          summary: summary.length > 0 ? htmlText(summary.text()) : undefined,
          source: {
            id: source.children('id').text(),
            title: source.children('title').text(),
            url: source.children('link[rel="self"]').attr('href') ?? source.children('link').attr('href'),
          },
          rights: entry.children('rights').text(),
          everything: entry.text(),
          enclosures: entry.children('link[rel="enclosure"]').toArray().map((e) => enclosureOf(e.attribs.href, e.attribs.type, e.attribs.length)),
          image: entry.children('media\\:thumbnail').attr('url'),
        }
      }),
  }
}

interface JsonItem {
  id: string
  url: string
  title: string
  content_html: string
  summary?: string
  image?: string
  attachments?: { url: string; mime_type?: string; size_in_bytes?: number }[]
  _feedloom: { source: { id: string; title: string; url: string } }
}

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(allStrings)
  return []
}

function readJson(body: string): ReadFeed {
  const feed = JSON.parse(body) as { title: string; _feedloom: { disclaimer: { text: string; contact?: string } }; items: JsonItem[] }
  return {
    title: feed.title,
    rights: [feed._feedloom.disclaimer.text, feed._feedloom.disclaimer.contact].join(' '),
    items: feed.items.map((item) => ({
      id: item.id,
      link: item.url,
      title: item.title,
      contentHtml: item.content_html,
      summary: item.summary,
      source: item._feedloom.source,
      everything: allStrings(item).join(' '),
      enclosures: (item.attachments ?? []).map((a) => ({ url: a.url, ...(a.mime_type !== undefined && { type: a.mime_type }), ...(a.size_in_bytes !== undefined && { length: a.size_in_bytes }) })),
      image: item.image,
    })),
  }
}

export function readFeed(format: Format, body: string): ReadFeed {
  switch (format) {
    case 'rss':
      return readRss(body)
    case 'atom':
      return readAtom(body)
    case 'json':
      return readJson(body)
  }
}
