/**
 * The RSS 2.0 rules the W3C Feed Validator (no offline copy exists) reports as errors or
 * avoidable warnings, checked on a real XML parse (saxes with namespaces). Returns one line per
 * problem; [] means clean. Rules, with the validator message each stands for:
 *
 *   - dates (`pubDate`, `lastBuildDate`) are RFC 822 with a 4-digit year        "Invalid RFC 822 date"
 *   - `guid` without `isPermaLink="false"` is an absolute http(s) URL           "guid must be a full URL, unless isPermaLink attribute is false"
 *   - the channel has `atom:link rel="self" type="application/rss+xml"`          "Missing atom:link with rel="self""
 *   - `enclosure` has an absolute `url`, a whole-number `length`, a media `type`  "Missing enclosure attribute: length/type"
 *     (and there is at most one per item: RSS Best Practices Profile)
 *   - Media RSS: `media:content` and `media:thumbnail` have an absolute `url`;  "Missing media:content attribute: url"
 *     `fileSize`, when given, is a whole number; `type` is a media type         "fileSize must be an integer"
 *   - `author` holds an e-mail address (names belong in `dc:creator`)           "author must be an email address"
 *   - every prefix is declared, to one of the namespaces RSS readers know        "Use of unknown namespace"
 *   - `source` has an absolute `url`                                            "source url must be a full URL"
 *   - channel `title`, `link`, `description`; item `title` or `description`      "Missing channel element" / "item must contain title or description"
 *   - item `link`, channel `link` and `atom:link` hrefs are absolute http(s) URLs
 *   - `language` is an RFC 1766 language(-country) code                         "Invalid language"
 */
import { SaxesParser, type SaxesTagNS } from 'saxes'

const KNOWN_NAMESPACES = new Map([
  ['http://www.w3.org/2005/Atom', 'atom'],
  ['http://purl.org/rss/1.0/modules/content/', 'content'],
  ['http://purl.org/dc/elements/1.1/', 'dc'],
  ['http://search.yahoo.com/mrss/', 'media'],
])
const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|UT|[+-]\d{4})$/
const EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+/
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z]{2,3})?$/

interface Node {
  uri: string
  name: string
  attributes: Record<string, string>
  children: Node[]
  text: string
  line: number
}

function parse(xml: string): { root: Node; errors: string[] } {
  const parser = new SaxesParser({ xmlns: true, position: true })
  const errors: string[] = []
  const stack: Node[] = []
  let root: Node | undefined
  parser.on('error', (error) => errors.push(`line ${parser.line}: ${error.message}`))
  parser.on('opentag', (tag: SaxesTagNS) => {
    const attributes: Record<string, string> = {}
    for (const attribute of Object.values(tag.attributes)) {
      attributes[attribute.name] = attribute.value
      if (attribute.prefix && attribute.prefix !== 'xmlns' && attribute.prefix !== 'xml' && !KNOWN_NAMESPACES.has(attribute.uri)) errors.push(`line ${parser.line}: attribute ${attribute.name} in unknown namespace ${attribute.uri}`)
      if (attribute.prefix === 'xmlns' && !KNOWN_NAMESPACES.has(attribute.value)) errors.push(`line ${parser.line}: declares unknown namespace ${attribute.value}`)
    }
    if (tag.prefix && !KNOWN_NAMESPACES.has(tag.uri)) errors.push(`line ${parser.line}: element ${tag.name} in unknown namespace ${tag.uri}`)
    const node: Node = { uri: tag.uri, name: tag.uri ? `${KNOWN_NAMESPACES.get(tag.uri) ?? tag.uri}:${tag.local}` : tag.local, attributes, children: [], text: '', line: parser.line }
    stack.at(-1)?.children.push(node)
    root ??= node
    stack.push(node)
  })
  parser.on('text', (text) => {
    const top = stack.at(-1)
    if (top) top.text += text
  })
  parser.on('cdata', (text) => {
    const top = stack.at(-1)
    if (top) top.text += text
  })
  parser.on('closetag', () => void stack.pop())
  try {
    parser.write(xml).close()
  } catch (error) {
    errors.push(String(error))
  }
  if (!root) throw new Error(`rss-lint: no root element (${errors.join('; ')})`)
  return { root, errors }
}

function absoluteHttp(url: string | undefined): boolean {
  if (!url) return false
  try {
    const parsed = new URL(url)
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && !/\s/.test(url)
  } catch {
    return false
  }
}

export function rssLintErrors(xml: string): string[] {
  const { root, errors } = parse(xml)
  const child = (node: Node, name: string) => node.children.filter((c) => c.name === name)
  const one = (node: Node, name: string) => child(node, name)[0]
  const at = (node: Node) => `line ${node.line}: ${node.name}`
  if (root.name !== 'rss' || root.attributes.version !== '2.0') return [...errors, 'root is not <rss version="2.0">']
  const channel = one(root, 'channel')
  if (!channel) return [...errors, 'no <channel>']

  for (const name of ['title', 'link', 'description']) if (!one(channel, name)) errors.push(`channel: missing <${name}>`)
  const link = one(channel, 'link')
  if (link && !absoluteHttp(link.text.trim())) errors.push(`${at(link)}: not an absolute http(s) URL: ${link.text}`)
  const language = one(channel, 'language')
  if (language && !LANGUAGE.test(language.text.trim())) errors.push(`${at(language)}: not an RFC 1766 code: ${language.text}`)
  const atomLinks = child(channel, 'atom:link')
  if (!atomLinks.some((l) => l.attributes.rel === 'self' && l.attributes.type === 'application/rss+xml')) errors.push('channel: missing <atom:link rel="self" type="application/rss+xml">')
  for (const l of atomLinks) if (!absoluteHttp(l.attributes.href)) errors.push(`${at(l)}: href is not an absolute http(s) URL: ${l.attributes.href}`)

  const dated = [...child(channel, 'lastBuildDate'), ...child(channel, 'pubDate')]
  const items = child(channel, 'item')
  for (const item of items) {
    dated.push(...child(item, 'pubDate'))
    if (!one(item, 'title') && !one(item, 'description')) errors.push(`${at(item)}: neither title nor description`)
    const itemLink = one(item, 'link')
    if (itemLink && !absoluteHttp(itemLink.text.trim())) errors.push(`${at(itemLink)}: not an absolute http(s) URL: ${itemLink.text}`)
    for (const guid of child(item, 'guid')) {
      if (guid.attributes.isPermaLink !== 'false' && !absoluteHttp(guid.text.trim())) errors.push(`${at(guid)}: a permalink guid must be a full URL (or isPermaLink="false"): ${guid.text}`)
      if (guid.text.trim() === '') errors.push(`${at(guid)}: empty`)
    }
    const enclosures = child(item, 'enclosure')
    if (enclosures.length > 1) errors.push(`${at(item)}: more than one enclosure`)
    for (const enclosure of enclosures) {
      if (!absoluteHttp(enclosure.attributes.url)) errors.push(`${at(enclosure)}: url is not an absolute http(s) URL`)
      if (!/^\d+$/.test(enclosure.attributes.length ?? '')) errors.push(`${at(enclosure)}: length must be a whole number`)
      if (!MEDIA_TYPE.test(enclosure.attributes.type ?? '')) errors.push(`${at(enclosure)}: type must be a media type`)
    }
    for (const media of [...child(item, 'media:content'), ...child(item, 'media:thumbnail')]) {
      if (!absoluteHttp(media.attributes.url)) errors.push(`${at(media)}: url is not an absolute http(s) URL: ${media.attributes.url}`)
      if (media.attributes.fileSize !== undefined && !/^\d+$/.test(media.attributes.fileSize)) errors.push(`${at(media)}: fileSize must be a whole number`)
      if (media.attributes.type !== undefined && !MEDIA_TYPE.test(media.attributes.type)) errors.push(`${at(media)}: type must be a media type`)
    }
    for (const author of child(item, 'author')) if (!EMAIL.test(author.text)) errors.push(`${at(author)}: not an e-mail address (use dc:creator): ${author.text}`)
    for (const source of child(item, 'source')) if (!URL.canParse(source.attributes.url ?? '')) errors.push(`${at(source)}: url is not an absolute http(s) URL: ${source.attributes.url}`)
  }
  for (const date of dated) if (!RFC822.test(date.text.trim())) errors.push(`${at(date)}: not an RFC 822 date: ${date.text}`)
  return errors
}
