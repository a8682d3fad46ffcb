/**
 * RSS 0.9x/1.0/2.0 and Atom through rss-parser's `parseString`: one shared `Parser`, told by
 * `customFields` to hand over the raw nodes we need (attributes included), and guarded so that an
 * exception inside one entry (a `RangeError` from `new Date('bad').toISOString()` on an Atom date,
 * a `TypeError` on an Atom `<link>` without attributes) costs that entry's derived fields, not the feed.
 */
import Parser from 'rss-parser'

/** A node as xml2js builds it: text, or an object with `_` (text), `$` (attributes) and children. */
export type XmlNode = string | { _?: string; $?: Record<string, string>; [child: string]: unknown }

/**
 * Raw nodes copied onto each item, always as arrays (`keepArray`), under `x_` names so they never
 * collide with what rss-parser derives. `$` is the element's own attributes (xml:base, rdf:about).
 */
export const ITEM_FIELDS = [
  'title', 'dc:title', 'media:title', 'link', 'atom:link', 'guid', 'id',
  'description', 'dc:description', 'itunes:summary', 'media:description', 'content:encoded', 'content', 'summary',
  'pubDate', 'dc:date', 'published', 'atom:published', 'updated', 'atom:updated', 'issued', 'modified', 'created',
  'dcterms:issued', 'dcterms:created', 'dcterms:modified',
  'author', 'atom:author', 'dc:creator', 'category', 'dc:subject',
  'enclosure', 'media:content', 'media:group', 'media:thumbnail', 'itunes:image', 'itunes:link', '$',
] as const

/** The same for the channel (RSS/RDF) or the `<feed>` element (Atom). Prefixes are canonical (namespaces.ts). */
export const FEED_FIELDS = [
  'title', 'dc:title', 'link', 'atom:link', 'description', 'subtitle', 'tagline', 'language', 'dc:language', '$',
] as const

type Field = (typeof ITEM_FIELDS)[number] | (typeof FEED_FIELDS)[number]

/** The key under which a raw field lands on rss-parser's output. */
export function rawKey(field: Field): string {
  return `x_${field}`
}

/** One item as rss-parser returns it, with our raw nodes and, when its own code threw, the error. */
export interface ParsedItem {
  title?: unknown
  link?: unknown
  content?: unknown
  summary?: unknown
  'content:encoded'?: unknown
  /** Set when rss-parser threw on this item: its derived fields are missing, the raw ones are not. */
  x_error?: string
  [raw: string]: unknown
}

export interface ParsedFeed {
  items: ParsedItem[]
  x_error?: string
  [raw: string]: unknown
}

const asCustom = (fields: readonly Field[]) => fields.map((field) => [field, rawKey(field), { keepArray: true }])

const parser = new Parser({
  // An <rss> without a version attribute is read as RSS 2.0 rather than refused.
  defaultRSS: 2,
  customFields: {
    item: asCustom(ITEM_FIELDS) as unknown as string[],
    feed: asCustom(FEED_FIELDS) as unknown as string[],
  },
})

/** What rss-parser's item readers would have copied, when they threw before finishing. */
function rawOnly(node: unknown, fields: readonly Field[], error: unknown): ParsedItem {
  const item: ParsedItem = { x_error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  if (node && typeof node === 'object') {
    for (const field of fields) {
      const value = (node as Record<string, unknown>)[field]
      if (value !== undefined) item[rawKey(field)] = value
    }
  }
  return item
}

// rss-parser's item and feed builders are plain methods; wrapping them on our one instance keeps
// its format routing and output while containing the throws it has no handler for.
type XmlObject = Record<string, unknown>
type Internals = {
  parseItemAtom(entry: unknown): ParsedItem
  parseItemRss(item: unknown, fields: unknown): ParsedItem
  buildAtomFeed(xml: { feed: XmlObject }): ParsedFeed
  buildRSS(channel: unknown, items: unknown): ParsedFeed
  buildRSS2(xml: { rss: XmlObject }): ParsedFeed
  buildRSS0_9(xml: { rss: XmlObject }): ParsedFeed
  buildRSS1(xml: { 'rdf:RDF': XmlObject }): ParsedFeed
  decorateItunes(feed: ParsedFeed, channel: unknown): void
}
const internals = parser as unknown as Internals
const { parseItemAtom, parseItemRss, buildAtomFeed } = internals

/**
 * The channel of an RSS/RDF root, or the root itself when there is none: rss-parser reads
 * `root.channel[0]` unguarded, and RSS 0.9x/1.0 feeds in the wild (and an empty `<rss version="2.0">`)
 * have no channel, or items beside it rather than inside (RSS 1.0 puts them there by design).
 */
function channelAndItems(root: XmlObject): { channel: XmlObject; items: unknown } {
  const channel = Array.isArray(root.channel) && typeof root.channel[0] === 'object' ? (root.channel[0] as XmlObject) : root
  const items = [channel.item, root.item].filter(Array.isArray).flat()
  return { channel, items }
}

function buildChannelFeed(this: Internals, root: unknown, itunes: boolean): ParsedFeed {
  const object = typeof root === 'object' && root !== null ? (root as XmlObject) : {}
  const { channel, items } = channelAndItems(object)
  const feed = this.buildRSS(channel, items)
  if (itunes && (object.$ as Record<string, string> | undefined)?.['xmlns:itunes']) this.decorateItunes(feed, channel)
  return feed
}
internals.buildRSS2 = function guardedRss2(xml) {
  return buildChannelFeed.call(this, xml.rss, true)
}
internals.buildRSS0_9 = function guardedRss09(xml) {
  return buildChannelFeed.call(this, xml.rss, false)
}
internals.buildRSS1 = function guardedRss1(xml) {
  return buildChannelFeed.call(this, xml['rdf:RDF'], false)
}
/**
 * An element with text only (`<item>\n</item>`) reaches rss-parser as a string, on which it reads
 * `node.link` and gets `String.prototype.link`; give it the object shape instead.
 */
function asElement(node: unknown): unknown {
  return typeof node === 'string' ? { _: node } : node
}
internals.parseItemAtom = function guardedAtomItem(entry) {
  entry = asElement(entry)
  try {
    return parseItemAtom.call(this, entry)
  } catch (error) {
    return rawOnly(entry, ITEM_FIELDS, error)
  }
}
internals.parseItemRss = function guardedRssItem(item, fields) {
  item = asElement(item)
  try {
    return parseItemRss.call(this, item, fields)
  } catch (error) {
    return rawOnly(item, ITEM_FIELDS, error)
  }
}
internals.buildAtomFeed = function guardedAtomFeed(xml) {
  try {
    return buildAtomFeed.call(this, xml)
  } catch (error) {
    const entries = Array.isArray(xml.feed.entry) ? xml.feed.entry : []
    return { ...rawOnly(xml.feed, FEED_FIELDS, error), items: entries.map((entry) => this.parseItemAtom(entry)) }
  }
}

/**
 * rss-parser's reading of an XML document. The xml2js parser inside is replaced for each document:
 * after a syntax error xml2js resets itself while sax is still writing the rest of the string into
 * it, and the leftovers corrupt the next document parsed with the same instance.
 */
export function parseRss(xml: string): Promise<ParsedFeed> {
  const holder = parser as unknown as { xmlParser: object; options: { xml2js: object } }
  const XmlParser = holder.xmlParser.constructor as new (options: object) => object
  holder.xmlParser = new XmlParser(holder.options.xml2js)
  return parser.parseString(xml) as unknown as Promise<ParsedFeed>
}
