/**
 * The small escaping writer every XML renderer shares, and the placeholder table that keeps the
 * `feed` package's escaping bugs away from our strings.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../errors.js'

/** Media RSS (https://www.rssboard.org/media-rss): thumbnails and further media files, in RSS and Atom alike. */
export const MEDIA_NAMESPACE = 'http://search.yahoo.com/mrss/'

const CDATA_START = '<![CDATA['
const CDATA_END = ']]>'

/**
 * `xml` with `xmlns:prefix="uri"` added to the root element, whose start tag begins with `rootStart`
 * as `feed` writes it. By position, before {@link XmlSlots.fill}, while the document holds no text of ours.
 */
export function declareNamespace(xml: string, rootStart: string, prefix: string, uri: string): string {
  const at = xml.indexOf(rootStart)
  if (at < 0) throw new AppError(`render: feed wrote no ${rootStart}`)
  const end = at + rootStart.length
  return `${xml.slice(0, end)} xmlns:${prefix}="${escapeXmlAttr(uri)}"${xml.slice(end)}`
}

/**
 * Everything outside XML 1.0's `Char` production (§2.2): C0 controls other than tab/LF/CR,
 * U+FFFE/U+FFFF and lone surrogates (the `u` flag makes an unpaired surrogate one code point,
 * which falls outside every allowed range). One such character makes a whole feed unreadable.
 */
const XML_ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/**
 * What §2.2 "discourages": DEL, the C1 controls (XML 1.1 forbids them raw) and the Unicode
 * noncharacters. In feed text they are only ever decoding debris, and readers disagree on them
 * (feedparser turns C1 controls into windows-1252 letters), so they go too.
 */
const XML_DISCOURAGED = /[\u007F-\u009F\uFDD0-\uFDEF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/gu

/** `value` without the characters XML 1.0 forbids or discourages. Applied to every string we emit. */
export function xmlSafe(value: string): string {
  return mayNeedXmlSafe(value) ? value.replace(XML_ILLEGAL, '').replace(XML_DISCOURAGED, '') : value
}

/**
 * The code units after which either regex above may match: a control character, DEL or a C1
 * control, U+FDD0–U+FDEF, U+FFFE/U+FFFF, or any surrogate (the astral noncharacters and unpaired
 * surrogates are the `u` regexes' to tell). Without the `u` flag this is a plain scan of code
 * units: ~1 ns a character here, against ~12 for a `charCodeAt` loop over the strings a feed
 * renders (they come in several string representations) and more for the two `u` regexes.
 */
const SUSPECT = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uD800-\uDFFF\uFDD0-\uFDEF\uFFFE\uFFFF]/

/** Whether either regex above may match `s`. Nearly every string is clean. */
export function mayNeedXmlSafe(s: string): boolean {
  return SUSPECT.test(s)
}

const XML_TEXT_SPECIAL = /[&<>]/
const XML_TEXT_SPECIALS = /[&<>]/g
const XML_ATTR_SPECIAL = /[&<>"\t\n\r]/
const XML_ATTR_SPECIALS = /[&<>"\t\n\r]/g
const HTML_SPECIAL = /[&<>"']/
const HTML_SPECIALS = /[&<>"']/g
const REFERENCES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' }
const reference = (c: string): string => REFERENCES[c]

/** Character data: `&`, `<` and `>` escaped (`>` for `]]>`, XML 1.0 §2.4). */
export function escapeXmlText(value: string): string {
  const safe = xmlSafe(value)
  // One scan for the clean strings most are; one replace for the rest.
  return XML_TEXT_SPECIAL.test(safe) ? safe.replace(XML_TEXT_SPECIALS, reference) : safe
}

/** An attribute value for double quotes; whitespace controls as references so that attribute-value
 * normalization (XML 1.0 §3.3.3) does not turn them into spaces. */
export function escapeXmlAttr(value: string): string {
  const safe = xmlSafe(value)
  return XML_ATTR_SPECIAL.test(safe) ? safe.replace(XML_ATTR_SPECIALS, reference) : safe
}

/** A CDATA section holding `value`, split wherever it contains `]]>` (which would end it early). */
export function cdata(value: string): string {
  return `<![CDATA[${cdataContent(value)}]]>`
}

/** What goes between `<![CDATA[` and `]]>` for `value`. */
function cdataContent(value: string): string {
  const safe = xmlSafe(value)
  return safe.includes(CDATA_END) ? safe.replace(/\]\]>/g, ']]]]><![CDATA[>') : safe
}

/** Text for an HTML context (element content or a quoted attribute). */
export function escapeHtml(value: string): string {
  return HTML_SPECIAL.test(value) ? value.replace(HTML_SPECIALS, reference) : value
}

export type XmlAttrs = Record<string, string | number | undefined>

/**
 * One element: attributes escaped (undefined ones left out), `children` already XML
 * (use {@link escapeXmlText} or other `xmlElement` calls), self-closing when there are none.
 */
export function xmlElement(name: string, attrs: XmlAttrs = {}, children?: string): string {
  const attributes = Object.entries(attrs)
    .filter((pair): pair is [string, string | number] => pair[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXmlAttr(String(value))}"`)
    .join('')
  return children === undefined || children === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${children}</${name}>`
}

/** An element whose content is the plain text `text`. */
export function xmlTextElement(name: string, text: string, attrs: XmlAttrs = {}): string {
  return xmlElement(name, attrs, escapeXmlText(text))
}

/** fillBytes' room to encode into, reused (rendering is synchronous) up to SCRATCH_MAX; larger documents get their own. */
const SCRATCH_MAX = 8 * 2 ** 20
let shared = Buffer.allocUnsafeSlow(0)

function scratchOf(room: number): Buffer {
  if (room > SCRATCH_MAX) return Buffer.allocUnsafeSlow(room)
  if (shared.length < room) shared = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, room * 2))
  return shared
}

/**
 * `feed` 6.0.0 (through xml-js 1.6.11) escapes badly: a CDATA section is split only at the first
 * `]]>`, attribute values get only `"` escaped, and text nodes turn a literal `&amp;` into `&`.
 * So `feed` never sees our strings: it gets an opaque ASCII placeholder for each, builds the
 * document around it, and {@link fill} then writes each string back escaped by us for the place
 * it landed in (CDATA section, attribute value or character data).
 *
 * The placeholder prefix is random per table, so no URL or other raw string handed to `feed` can
 * contain one by accident or by design; the finished XML does not depend on it.
 */
export class XmlSlots {
  readonly #prefix = `feedloomslot${randomUUID().replace(/-/g, '')}n`
  readonly #values: string[] = []

  /** A placeholder standing for `value`. */
  put(value: string): string {
    this.#values.push(value)
    return `${this.#prefix}${this.#values.length - 1}x`
  }

  /**
   * `xml` with every placeholder replaced by its value, escaped for where it stands: a CDATA
   * section that is nothing but a placeholder, a quoted attribute value that is one, or character
   * data. One `indexOf` scan (a regex over the document, three alternatives at every position,
   * was a third of rendering a 50-article feed).
   */
  fill(xml: string): string {
    return this.#pieces(xml).join('')
  }

  /**
   * {@link fill} as UTF-8, each piece encoded into one buffer: a 50-article Chinese feed costs
   * ~0.3 ms so, against ~1 ms for joining the pieces into one string and encoding that (V8 copies
   * and re-reads a string that large slowly). What the web layer sends.
   */
  fillBytes(xml: string): Buffer {
    const pieces = this.#pieces(xml)
    // Room for the worst case (a UTF-16 code unit is at most three bytes of UTF-8), then a copy of
    // what was written: measuring each piece first (Buffer.byteLength) cost two thirds of encoding it.
    let room = 0
    for (const piece of pieces) room += piece.length * 3
    const scratch = scratchOf(room)
    let at = 0
    for (const piece of pieces) at += scratch.write(piece, at, 'utf8')
    // A copy the size of the document: the render cache counts a body by its length.
    const bytes = Buffer.allocUnsafe(at)
    scratch.copy(bytes, 0, 0, at)
    return bytes
  }

  #pieces(xml: string): string[] {
    const prefix = this.#prefix
    const parts: string[] = []
    let done = 0
    for (let at = xml.indexOf(prefix); at >= 0; at = xml.indexOf(prefix, done)) {
      let end = at + prefix.length
      while (end < xml.length && xml.charCodeAt(end) >= 0x30 && xml.charCodeAt(end) <= 0x39) end++
      if (end === at + prefix.length || xml.charCodeAt(end) !== 0x78 /* x */) {
        // Not one of ours after all (the prefix is random, so only a truncated placeholder): leave it.
        parts.push(xml.slice(done, end))
        done = end
        continue
      }
      const value = this.#value(xml.slice(at + prefix.length, end))
      end++
      if (xml.startsWith(CDATA_START, at - CDATA_START.length) && xml.startsWith(CDATA_END, end)) {
        parts.push(xml.slice(done, at - CDATA_START.length), CDATA_START, cdataContent(value), CDATA_END)
        done = end + CDATA_END.length
      } else if (xml.startsWith('="', at - 2) && xml.charCodeAt(end) === 0x22 /* " */) {
        parts.push(xml.slice(done, at), escapeXmlAttr(value))
        done = end
      } else {
        parts.push(xml.slice(done, at), escapeXmlText(value))
        done = end
      }
    }
    parts.push(xml.slice(done))
    return parts
  }

  #value(index: string): string {
    const value = this.#values[Number(index)]
    if (value === undefined) throw new RangeError(`render: unknown XML placeholder ${index}`)
    return value
  }
}
