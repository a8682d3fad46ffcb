/**
 * XML namespaces made canonical before rss-parser, which matches element names as written:
 * `<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">`, `<r:rss xmlns:r="http://backend.userland.com/rss2">`,
 * RSS 1.0 in an `rss:` prefix, Atom in RSS written `a10:` (.NET's SyndicationFeed) or `atom10:`
 * (FeedBurner) are all legal (Namespaces in XML 1.0 §3) and were read as nothing (issue 10).
 * Every element and attribute in a namespace we read is renamed to the one prefix the adapter
 * knows it by; names in other namespaces stay as written, unless their prefix is one of ours.
 * Documents that already use our prefixes (nearly all) are returned untouched after one scan.
 */

import { DECLARATION, splitName, tokens, type StartTag } from './tokens.js'

const ATOM = 'http://www.w3.org/2005/Atom'

/**
 * The prefix each namespace we read is known by, keyed by its URI folded (see {@link fold}).
 * The RSS cores are unprefixed; Atom is unprefixed in an Atom document and `atom:` inside RSS.
 */
const PREFIXES = new Map<string, string>(
  (
    [
      ['http://purl.org/rss/1.0/', ''],
      ['http://backend.userland.com/rss2', ''],
      ['http://backend.userland.com/rss', ''],
      ['http://my.netscape.com/rdf/simple/0.9/', ''],
      ['http://channel.netscape.com/rdf/simple/0.9/', ''],
      [ATOM, 'atom'],
      // Atom 0.3, still served by old blogs; its elements are read under the same names as 1.0's.
      ['http://purl.org/atom/ns#', 'atom'],
      ['http://www.w3.org/1999/02/22-rdf-syntax-ns#', 'rdf'],
      ['http://purl.org/dc/elements/1.1/', 'dc'],
      ['http://purl.org/dc/terms/', 'dcterms'],
      ['http://purl.org/rss/1.0/modules/content/', 'content'],
      ['http://search.yahoo.com/mrss/', 'media'],
      ['http://www.itunes.com/dtds/podcast-1.0.dtd', 'itunes'],
    ] as const
  ).map(([uri, prefix]) => [fold(uri), prefix]),
)
const OUR_PREFIXES = new Set([...PREFIXES.values()].filter((prefix) => prefix !== ''))

/**
 * A namespace URI as compared here: case and a trailing `/` ignored, because feeds in the wild
 * write `http://www.itunes.com/DTDs/Podcast-1.0.dtd` and `http://search.yahoo.com/mrss` for the
 * namespaces every reader takes them to mean.
 */
function fold(uri: string): string {
  return uri.trim().toLowerCase().replace(/\/$/, '')
}

/** The prefix we read `uri` under in this document, or undefined when we do not read it. */
function ourPrefix(uri: string | undefined, atomDocument: boolean): string | undefined {
  if (uri === undefined) return undefined
  const prefix = PREFIXES.get(fold(uri))
  return prefix === 'atom' && atomDocument ? '' : prefix
}

const ATTRIBUTE = /(\s+)([^\s=/>]+)(\s*=\s*)("[^"]*"|'[^']*')/g

/** Whether `xml` binds any prefix differently from how we read it (the one scan of the fast path). */
function needsRenaming(xml: string, atomDocument: boolean): boolean {
  for (const match of xml.matchAll(DECLARATION)) {
    const prefix = match[1] ?? ''
    const ours = ourPrefix(match[2] ?? match[3], atomDocument)
    if (ours === undefined ? OUR_PREFIXES.has(prefix) : ours !== prefix) return true
  }
  return false
}

/**
 * The name an element or attribute gets: ours when its namespace is one we read; else as written,
 * with `ns-` before a prefix that would pass for one of ours. Unprefixed attributes have no
 * namespace (Namespaces in XML 1.0 §6.2) and an undeclared prefix binds nothing: both stay.
 */
function rename(name: string, scope: ReadonlyMap<string, string>, atomDocument: boolean, isAttribute: boolean): string {
  const [prefix, local] = splitName(name)
  if (prefix === 'xml' || prefix === 'xmlns' || (isAttribute && prefix === '')) return name
  const uri = scope.get(prefix)
  if (uri === undefined) return name
  const ours = ourPrefix(uri, atomDocument)
  if (ours !== undefined) return ours === '' ? local : `${ours}:${local}`
  return OUR_PREFIXES.has(prefix) ? `ns-${prefix}:${local}` : name
}

/** An attribute value as it was written (references and all), in quotes it cannot contain. */
function quoted(written: string): string {
  return written.includes('"') ? `'${written}'` : `"${written}"`
}

/** Line breaks of dropped markup, kept so that parser errors still name the right line. */
function lineBreaks(s: string): string {
  return s.replace(/[^\n]/g, '')
}

/** `xml` with the namespaces we read under our prefixes, declared once on the root element. */
export function canonicalNamespaces(xml: string, atomDocument: boolean): string {
  if (!needsRenaming(xml, atomDocument)) return xml
  const declared = new Map<string, string>()
  for (const match of xml.matchAll(DECLARATION)) {
    const uri = match[2] ?? match[3]
    const ours = ourPrefix(uri, atomDocument)
    if (ours !== undefined && !declared.has(ours)) declared.set(ours, uri)
  }
  const renamed = new WeakMap<StartTag, string>()
  let root = true
  let out = ''
  for (const token of tokens(xml)) {
    if (token.kind === 'end') {
      out += token.open ? `</${renamed.get(token.open)}${token.space}>` : token.text
      continue
    }
    if (token.kind !== 'start') {
      out += token.text
      continue
    }
    const name = rename(token.name, token.scope, atomDocument, false)
    renamed.set(token, name)
    const attributes = token.attributes.replace(ATTRIBUTE, (whole, space: string, attribute: string, equals: string, value: string) => {
      const [prefix, local] = splitName(attribute)
      if (attribute !== 'xmlns' && prefix !== 'xmlns') return `${space}${rename(attribute, token.scope, atomDocument, true)}${equals}${value}`
      if (ourPrefix(value.slice(1, -1), atomDocument) !== undefined) return lineBreaks(whole)
      return prefix === 'xmlns' && OUR_PREFIXES.has(local) ? `${space}xmlns:ns-${local}${equals}${value}` : whole
    })
    // One declaration per namespace we read, on the root, where rss-parser looks for them (it reads
    // iTunes fields only when the root declares `xmlns:itunes`).
    const declarations = root ? [...declared].map(([prefix, uri]) => ` ${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}=${quoted(uri)}`).join('') : ''
    root = false
    out += `<${name}${declarations}${attributes}${token.space}${token.selfClosing ? '/' : ''}>`
  }
  return out
}
