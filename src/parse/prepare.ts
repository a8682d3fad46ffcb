/**
 * Repairs the few things real feeds get wrong that make a strict XML parser (sax under rss-parser)
 * give up on the whole document, so that one stray `&` in one title never loses a feed.
 * Only what is outside CDATA sections, comments and processing instructions is touched.
 */
import { decodeHTML } from 'entities'
import { mayHoldXmlIllegal, XML_ILLEGAL } from '../normalize/text.js'

/** The five entities XML defines itself (XML 1.0 §4.6). */
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos'])

/** Markup whose content is never entity-expanded, matched whole so it is copied unchanged. */
const VERBATIM = /<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<!--[\s\S]*?(?:-->|$)|<\?[\s\S]*?(?:\?>|$)/g

/** `&` and what follows it: a character reference, a named reference, or a bare ampersand. */
const AMPERSAND = /&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)?/g

export interface Prepared {
  xml: string
  /** What was changed, in words, for the feed's warnings. */
  repairs: string[]
}

export function prepareXml(text: string): Prepared {
  const repairs: string[] = []
  let xml = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text

  // The regex over a whole document cost 3 µs an item; a loop over its code units tells a clean one (nearly all) faster.
  const illegal = mayHoldXmlIllegal(xml) ? (xml.match(XML_ILLEGAL)?.length ?? 0) : 0
  if (illegal > 0) {
    xml = xml.replace(XML_ILLEGAL, '')
    repairs.push(`removed ${illegal} character${illegal === 1 ? '' : 's'} that XML forbids`)
  }

  const declared = internalEntities(xml)
  const counts = { bare: 0, html: 0, unknown: 0 }
  let out = ''
  let last = 0
  for (const match of xml.matchAll(VERBATIM)) {
    out += fixAmpersands(xml.slice(last, match.index), declared, counts) + match[0]
    last = match.index + match[0].length
  }
  xml = out + fixAmpersands(xml.slice(last), declared, counts)
  if (counts.bare) repairs.push(`escaped ${counts.bare} bare &`)
  if (counts.html) repairs.push(`replaced ${counts.html} HTML entit${counts.html === 1 ? 'y' : 'ies'} with character references`)
  if (counts.unknown) repairs.push(`escaped ${counts.unknown} unknown entit${counts.unknown === 1 ? 'y' : 'ies'}`)

  // A feed cut off right after its last `</rss` (seen in the wild and in feedparser's tests):
  // the document is complete but for one `>`.
  const cut = /<\/[A-Za-z_][\w:.-]*\s*$/.exec(xml)
  if (cut) {
    xml += '>'
    repairs.push(`closed the final tag ${cut[0].trim()}`)
  }
  return { xml, repairs }
}

function fixAmpersands(segment: string, declared: Map<string, string>, counts: { bare: number; html: number; unknown: number }): string {
  return segment.replace(AMPERSAND, (whole, reference: string | undefined) => {
    if (reference === undefined) {
      counts.bare += 1
      return '&amp;'
    }
    if (reference.startsWith('#')) return whole
    const name = reference.slice(0, -1)
    if (XML_ENTITIES.has(name)) return whole
    // sax does not expand entities from the internal DTD subset; feeds that declare them mean them.
    const value = declared.get(name)
    if (value !== undefined) return value
    const character = htmlEntity(name)
    if (character !== undefined) {
      counts.html += 1
      return [...character].map((c) => `&#${c.codePointAt(0)};`).join('')
    }
    counts.unknown += 1
    return `&amp;${reference}`
  })
}

/** `<!ENTITY name "value">` declarations of the internal DTD subset, literal values only. */
function internalEntities(xml: string): Map<string, string> {
  const entities = new Map<string, string>()
  const doctype = /<!DOCTYPE[^[>]*\[([\s\S]*?)\]\s*>/.exec(xml.slice(0, 64 * 1024))
  if (!doctype) return entities
  for (const match of doctype[1].matchAll(/<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>/g)) {
    entities.set(match[1], match[2] ?? match[3])
  }
  return entities
}

/** Bound on remembered names: a hostile feed can invent any number of them. */
const MAX_CACHED_ENTITY_NAMES = 4096
const htmlEntityCache = new Map<string, string | undefined>()

/**
 * The characters an HTML named reference stands for (`nbsp` → U+00A0), by the HTML parser's own
 * table (WHATWG HTML §13.5), or undefined when HTML does not define the name either.
 */
function htmlEntity(name: string): string | undefined {
  if (htmlEntityCache.has(name)) return htmlEntityCache.get(name)
  const reference = `&${name};`
  const decoded = decodeHTML(reference)
  // A whole reference decodes to one or two code points; `&notit;` decoding to `¬it;` is HTML's
  // legacy prefix rule, not a reference to keep.
  const character = decoded !== reference && [...decoded].length <= 2 && !decoded.includes(';') ? decoded : undefined
  if (htmlEntityCache.size < MAX_CACHED_ENTITY_NAMES) htmlEntityCache.set(name, character)
  return character
}
