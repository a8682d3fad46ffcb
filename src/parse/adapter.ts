/**
 * rss-parser's output (with our raw nodes) → RawFeed, as miniflux's `rss/adapter.go` converts its
 * raw format shape to the one model. Strings are kept as written; nothing is resolved or cleaned
 * here except `baseUrl`, which is what later stages resolve against.
 */
import type { Enclosure, FeedFormat, RawEntry, RawFeed } from '../model.js'
import { type ParsedFeed, type ParsedItem, type XmlNode, rawKey } from './rss.js'

type Raw = Record<string, unknown>

/** The raw nodes of one field (always an array, possibly empty). */
function nodes(from: Raw, field: Parameters<typeof rawKey>[0]): XmlNode[] {
  const value = from[rawKey(field)]
  if (value === undefined || value === null) return []
  // Only text and element objects are nodes; anything else is not from the document.
  return (Array.isArray(value) ? value : [value]).filter((node) => typeof node === 'string' || (typeof node === 'object' && node !== null)) as XmlNode[]
}

/** The attributes of the item/channel/feed element itself (the `$` custom field holds the map). */
function ownAttributes(raw: Raw): Record<string, string> {
  const value = raw[rawKey('$')]
  return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {}
}

function attrs(node: XmlNode | undefined): Record<string, string> {
  return node !== undefined && typeof node === 'object' && node.$ ? node.$ : {}
}

/**
 * The text of a node. Children (an Atom `type="xhtml"` title, or markup a feed forgot to escape)
 * contribute their text too, in the order xml2js kept them.
 */
function textOf(node: XmlNode | undefined): string | undefined {
  if (node === undefined || node === null) return undefined
  if (typeof node === 'string') return node
  if (typeof node !== 'object') return String(node)
  let text = typeof node._ === 'string' ? node._ : ''
  for (const [key, value] of Object.entries(node)) {
    if (key === '_' || key === '$') continue
    for (const child of Array.isArray(value) ? value : [value]) text += textOf(child as XmlNode) ?? ''
  }
  return text
}

/**
 * Whether a node's text is base64: Atom 0.3's `mode="base64"`, or an Atom 1.0 `type` that is a MIME
 * type neither textual nor XML (RFC 4287 §4.1.3.3, rule 5).
 */
function isBase64(node: XmlNode): boolean {
  const { mode, type } = attrs(node)
  return mode === 'base64' || (type !== undefined && type.includes('/') && !/^text\/|[+/]xml$/i.test(type))
}

/** The first node's text, trimmed (base64 decoded), or undefined when there is none or it is blank. */
function firstText(list: XmlNode[]): string | undefined {
  for (const node of list) {
    let text = textOf(node)?.trim()
    if (text && isBase64(node)) text = Buffer.from(text, 'base64').toString('utf8').trim()
    if (text) return text
  }
  return undefined
}

/** A string rss-parser derived, when it is one (it passes objects through for odd markup). */
function derived(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

/** Atom `<link>`s (attributes) and RSS `<link>`s (text) in one shape; a missing rel is `alternate` (RFC 4287 §4.2.7.2). */
function links(list: XmlNode[]): Array<{ rel: string; href: string; type?: string; length?: string }> {
  const out: Array<{ rel: string; href: string; type?: string; length?: string }> = []
  for (const node of list) {
    const a = attrs(node)
    const href = (a.href ?? textOf(node) ?? '').trim()
    if (href) out.push({ rel: a.rel ?? 'alternate', href, type: a.type, length: a.length })
  }
  return out
}

/** The element children named `name` of a node (xml2js keeps them as arrays under the name). */
function children(node: XmlNode, name: string): XmlNode[] {
  if (typeof node !== 'object') return []
  const value = node[name]
  return (Array.isArray(value) ? value : []).filter((child) => typeof child === 'string' || (typeof child === 'object' && child !== null)) as XmlNode[]
}

/**
 * An item's Media RSS objects (https://www.rssboard.org/media-rss): its own `media:content`s, then
 * those grouped as alternatives of one object in `media:group`s.
 */
function mediaContents(raw: Raw): XmlNode[] {
  return [...nodes(raw, 'media:content'), ...nodes(raw, 'media:group').flatMap((group) => children(group, 'media:content'))]
}

/**
 * The image the feed itself gives the item, first found: a Media RSS thumbnail (the item's own,
 * then its group's, then its media objects'; Media RSS lists them "in order of importance"), then
 * the episode art of iTunes (`itunes:image href`, some feeds write `url`; the pre-2005
 * `itunes:link rel="image"`).
 */
function declaredImage(raw: Raw): string | undefined {
  const thumbnails = [
    ...nodes(raw, 'media:thumbnail'),
    ...nodes(raw, 'media:group').flatMap((group) => children(group, 'media:thumbnail')),
    ...mediaContents(raw).flatMap((content) => children(content, 'media:thumbnail')),
  ]
  const candidates = [
    ...thumbnails.map((node) => attrs(node).url),
    ...nodes(raw, 'itunes:image').map((node) => attrs(node).href ?? attrs(node).url),
    ...nodes(raw, 'itunes:link').filter((node) => attrs(node).rel === 'image').map((node) => attrs(node).href),
  ]
  return candidates.map((url) => url?.trim()).find((url) => !!url)
}

function enclosureOf(url: string | undefined, type: string | undefined, length: string | undefined): Enclosure | undefined {
  if (!url?.trim()) return undefined
  const enclosure: Enclosure = { url: url.trim() }
  if (type) enclosure.type = type
  const bytes = Number(length)
  if (length && Number.isFinite(bytes) && bytes >= 0) enclosure.length = bytes
  return enclosure
}

/** `relative` against `base`, or `relative` itself when either is not a URL. */
function resolve(relative: string | undefined, base: string | undefined): string | undefined {
  if (relative === undefined) return base
  try {
    return new URL(relative, base).href
  } catch {
    return relative
  }
}

/**
 * Date elements by preference, the way feedparser and miniflux rank them (issue 10): the
 * publication date (RSS `pubDate`, Atom `published` also inside RSS, Atom 0.3 `issued`, Dublin
 * Core), then the creation date; the update dates only when there is none of these.
 */
const PUBLISHED_FIELDS = ['pubDate', 'published', 'atom:published', 'issued', 'dc:date', 'dcterms:issued', 'created', 'dcterms:created'] as const
const UPDATED_FIELDS = ['updated', 'atom:updated', 'modified', 'dcterms:modified'] as const

function adaptEntry(item: ParsedItem, isAtom: boolean, feedBase: string | undefined): RawEntry {
  const raw = item as Raw
  const itemLinks = links([...nodes(raw, 'link'), ...nodes(raw, 'atom:link')])
  const guidNode = nodes(raw, 'guid')[0]
  const own = ownAttributes(raw)
  const entry: RawEntry = {
    guid: firstText(nodes(raw, 'guid')) ?? firstText(nodes(raw, 'id')) ?? own['rdf:about'],
    link: itemLinks.find((link) => link.rel === 'alternate')?.href,
    // Media RSS titles the media object; it stands in for an item title only when there is none (as in feedparser).
    title: firstText([...nodes(raw, 'title'), ...nodes(raw, 'dc:title'), ...nodes(raw, 'media:title')]),
    published: firstText(PUBLISHED_FIELDS.flatMap((field) => nodes(raw, field))),
    updated: firstText(UPDATED_FIELDS.flatMap((field) => nodes(raw, field))),
    authors: [],
    categories: [],
    enclosures: [],
    image: declaredImage(raw),
    baseUrl: resolve(own['xml:base'], feedBase),
  }
  const permaLink = attrs(guidNode).isPermaLink
  if (permaLink !== undefined) entry.guidIsPermaLink = permaLink.trim().toLowerCase() !== 'false'

  // rss-parser turns content that holds child elements (Atom xhtml, markup a feed forgot to
  // escape) back into markup; when it threw on this item, or the text is base64, or an Atom text
  // construct that is not xhtml holds stray elements (RFC 4287 §3.1.1: only their text counts),
  // the node's own text is read instead.
  const html = (field: 'content' | 'summary' | 'description' | 'content:encoded', parsed: unknown) => {
    const [node] = nodes(raw, field)
    // `xhtml` in Atom 1.0, `application/xhtml+xml` in Atom 0.3.
    const ownText = node !== undefined && (isBase64(node) || (isAtom && typeof node === 'object' && !/xhtml/i.test(attrs(node).type ?? '')))
    return (ownText ? undefined : derived(parsed)) ?? firstText(nodes(raw, field))
  }
  if (isAtom) {
    entry.contentHtml = html('content', item.content)
    entry.summaryHtml = html('summary', item.summary)
  } else {
    entry.contentHtml = html('content:encoded', item['content:encoded'])
    // RSS 1.0 modules and podcasts describe items in Dublin Core or iTunes terms when not in RSS's own.
    entry.summaryHtml = html('description', item.content) ?? firstText([...nodes(raw, 'dc:description'), ...nodes(raw, 'itunes:summary')])
  }
  // A Media RSS description is plain text unless it says `type="html"`; it describes the item only when nothing else does.
  const mediaDescription = [...nodes(raw, 'media:description'), ...nodes(raw, 'media:group').flatMap((group) => children(group, 'media:description'))]
  if (!entry.contentHtml && !entry.summaryHtml && mediaDescription.length > 0) {
    const text = firstText(mediaDescription)
    if (attrs(mediaDescription[0]).type === 'html') entry.summaryHtml = text
    else entry.contentText = text
  }

  for (const node of [...nodes(raw, 'author'), ...nodes(raw, 'atom:author'), ...nodes(raw, 'dc:creator')]) {
    // Atom persons hold `name` and `email` (prefixed `atom:` when inside RSS); RSS and DC authors are text.
    const person = ['name', 'email', 'atom:name', 'atom:email'].flatMap((field) => (typeof node === 'object' ? children(node, field) : []))
    const author = person.length > 0 ? firstText(person) : textOf(node)?.trim()
    if (author && !entry.authors.includes(author)) entry.authors.push(author)
  }
  for (const node of [...nodes(raw, 'category'), ...nodes(raw, 'dc:subject')]) {
    const a = attrs(node)
    const category = (a.term ?? a.label ?? textOf(node) ?? '').trim()
    if (category && !entry.categories.includes(category)) entry.categories.push(category)
  }
  for (const node of nodes(raw, 'enclosure')) {
    const a = attrs(node)
    const enclosure = enclosureOf(a.url, a.type, a.length)
    if (enclosure) entry.enclosures.push(enclosure)
  }
  for (const link of itemLinks.filter((l) => l.rel === 'enclosure')) {
    const enclosure = enclosureOf(link.href, link.type, link.length)
    if (enclosure) entry.enclosures.push(enclosure)
  }
  for (const node of mediaContents(raw)) {
    const a = attrs(node)
    const enclosure = enclosureOf(a.url, a.type, a.fileSize)
    if (enclosure) entry.enclosures.push(enclosure)
  }
  return entry
}

function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key]
  return value
}

/** The whole document: feed fields, then each entry, with what went wrong in `warnings`. */
export function adaptFeed(parsed: ParsedFeed, format: Exclude<FeedFormat, 'json' | 'html'>, url: string, warnings: string[]): RawFeed {
  const raw = parsed as Raw
  const isAtom = format === 'atom'
  const feedLinks = links(nodes(raw, 'link'))
  const atomLinks = links(nodes(raw, 'atom:link'))
  const own = ownAttributes(raw)
  const link = feedLinks.find((l) => l.rel === 'alternate')?.href
  const feed: RawFeed = {
    format,
    title: firstText([...nodes(raw, 'title'), ...nodes(raw, 'dc:title')]),
    link,
    description: firstText([...nodes(raw, 'description'), ...nodes(raw, 'subtitle'), ...nodes(raw, 'tagline')]),
    language: firstText([...nodes(raw, 'language'), ...nodes(raw, 'dc:language')]) ?? own['xml:lang'],
    hub: [...feedLinks, ...atomLinks].find((l) => l.rel === 'hub')?.href,
    entries: [],
    warnings,
  }
  if (parsed.x_error) warnings.push(`feed: rss-parser failed (${parsed.x_error}); read from raw fields`)

  // RFC 3986 §5.1: xml:base on the element, else the document's base; the feed's own link stands in
  // for the document URL as miniflux does, since aggregated feeds are often served from elsewhere.
  const feedBase = resolve(own['xml:base'], resolve(link, url)) ?? url
  feed.entries = (Array.isArray(parsed.items) ? parsed.items : []).map((item, index) => {
    if (item?.x_error) warnings.push(`entry ${index + 1}: rss-parser failed (${item.x_error}); read from raw fields`)
    return stripUndefined(adaptEntry(item ?? {}, isAtom, feedBase))
  })
  return stripUndefined(feed)
}
