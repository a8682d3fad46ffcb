/**
 * parse: Unicode text → RawFeed. The format is told by the first significant character or element
 * (DESIGN.md "parse"): `{` is JSON Feed; `<rss>`, `<rdf:RDF>` and `<feed>` go to rss-parser; an
 * HTML page is named as such, so the operator learns the URL points at a web page, not a feed.
 */
import { ParseError } from '../errors.js'
import type { FeedFormat, RawFeed } from '../model.js'
import { adaptFeed } from './adapter.js'
import { isJsonFeed, readJsonFeed } from './jsonfeed.js'
import { canonicalNamespaces } from './namespaces.js'
import { prepareXml } from './prepare.js'
import { parseRss } from './rss.js'
import { countElements } from './tokens.js'
import { xhtmlAsHtml } from './xhtml.js'

export { readJsonFeed } from './jsonfeed.js'

export interface ParseOptions {
  /** The URL the document came from: the base of last resort for relative links. */
  url: string
  /** For messages only. */
  sourceId?: string
}

/** Comments, processing instructions, the XML declaration and a DOCTYPE that may precede the root. */
const PROLOG = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE(?:[^[>]|\[[\s\S]*?\])*>)*/i

/** Root element name (prefix dropped, case kept) → feed format. */
const FEED_ROOTS: Record<string, Exclude<FeedFormat, 'json' | 'html'>> = { rss: 'rss', RDF: 'rdf', feed: 'atom' }

export type Detected =
  | { kind: 'json' }
  | { kind: 'xml'; format: Exclude<FeedFormat, 'json' | 'html'>; root: string }
  | { kind: 'html' }
  | { kind: 'unknown'; what: string }

/** What the document is, from its first significant character or element. */
export function detectFormat(text: string): Detected {
  const start = text.replace(/^\uFEFF/, '').trimStart()
  if (start.startsWith('{')) return { kind: 'json' }
  if (/^<!DOCTYPE\s+html\b/i.test(start)) return { kind: 'html' }
  const afterProlog = start.slice(PROLOG.exec(start)?.[0].length ?? 0)
  const root = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(afterProlog)
  if (!root) {
    const what = start === '' ? 'the document is empty' : afterProlog.trim() === '' ? 'the document has no root element' : `it starts with ${JSON.stringify(afterProlog.slice(0, 20))}`
    return { kind: 'unknown', what }
  }
  const name = root[2]
  if (name.toLowerCase() === 'html') return { kind: 'html' }
  const format = FEED_ROOTS[name]
  if (format) return { kind: 'xml', format, root: `${root[1] ?? ''}${name}` }
  return { kind: 'unknown', what: `root element <${root[1] ?? ''}${name}> is not RSS, Atom or RDF` }
}

/**
 * The document → RawFeed with every entry as found, usable or not: which entries are worth keeping
 * is normalize/'s question, asked once the content is cleaned (issue 10).
 */
export async function parseFeed(text: string, opts: ParseOptions): Promise<RawFeed> {
  const source = opts.sourceId === undefined ? '' : ` (source ${opts.sourceId})`
  const detected = detectFormat(text)
  switch (detected.kind) {
    case 'html':
      throw new ParseError(`parse: got an HTML page, not a feed${source}`)
    case 'unknown':
      throw new ParseError(`parse: not a feed: ${detected.what}${source}`)
    case 'json':
      return parseJson(text, opts.url, source)
    case 'xml':
      return parseXml(text, detected.format, detected.root, opts.url, source)
  }
}

function parseJson(text: string, url: string, source: string): RawFeed {
  let document: unknown
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ParseError(`parse: malformed JSON: ${(error as Error).message}${source}`, { cause: error })
  }
  if (!isJsonFeed(document)) throw new ParseError(`parse: not a feed: JSON without a JSON Feed version or items${source}`)
  return readJsonFeed(document, url)
}

/** The element each format's entries are written as. */
const ENTRY_ELEMENT: Record<Exclude<FeedFormat, 'json' | 'html'>, string> = { rss: 'item', rdf: 'item', atom: 'entry' }

async function parseXml(text: string, format: Exclude<FeedFormat, 'json' | 'html'>, root: string, url: string, source: string): Promise<RawFeed> {
  const prepared = prepareXml(text)
  const canonical = canonicalNamespaces(prepared.xml, format === 'atom')
  const xml = format === 'atom' ? xhtmlAsHtml(canonical) : canonical
  const warnings = prepared.repairs.map((repair) => `xml: ${repair}`)
  let parsed
  try {
    parsed = await parseRss(xml)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // sax's syntax errors carry `Line: N`, counted from 0.
    const line = /\nLine: (\d+)/.exec(message)
    if (line) throw new ParseError(`parse: malformed XML at line ${Number(line[1]) + 1}: ${message.split('\n')[0]}${source}`, { cause: error })
    // rss-parser refuses a root with neither attributes nor children (`<rss></rss>`): well-formed, just empty.
    if (/not recognized/i.test(message) && countElements(xml, ENTRY_ELEMENT[format]) === 0) return { format, entries: [], warnings: [...warnings, `feed: <${root}> is empty`] }
    throw new ParseError(`parse: not a feed: ${message}${source}`, { cause: error })
  }
  const feed = adaptFeed(parsed, format, url, warnings)
  // A feed read as empty that holds entries is a reading failure, never a quiet "nothing new" (issue 10).
  const written = feed.entries.length === 0 ? countElements(xml, ENTRY_ELEMENT[format]) : 0
  if (written > 0) throw new ParseError(`parse: <${root}> holds ${written} <${ENTRY_ELEMENT[format]}> element${written === 1 ? '' : 's'} but none could be read${source}`)
  return feed
}
