/**
 * The small escaping writer every XML renderer shares, and the placeholder table that keeps the
 * `feed` package's escaping bugs away from our strings.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../errors.js'

/** Media RSS (https://www.rssboard.org/media-rss): thumbnails and further media files, in RSS and Atom alike. */
export const MEDIA_NAMESPACE = 'http://search.yahoo.com/mrss/'

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
 * Whether either regex above may match: a control character, DEL or a C1 control, U+FDD0–U+FDEF,
 * U+FFFE/U+FFFF, or any surrogate (the astral noncharacters and unpaired surrogates are the
 * regexes' to tell). Nearly every string is clean, and this loop finds that ~8 × faster than the
 * two `u`-flag regexes (they were a quarter of rendering 50 full articles).
 */
export function mayNeedXmlSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c >= 0x7f && (c <= 0x9f || (c >= 0xd800 && (c <= 0xdfff || (c >= 0xfdd0 && c <= 0xfdef) || c >= 0xfffe)))) return true
  }
  return false
}

/** Character data: `&`, `<` and `>` escaped (`>` for `]]>`, XML 1.0 §2.4). */
export function escapeXmlText(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** An attribute value for double quotes; whitespace controls as references so that attribute-value
 * normalization (XML 1.0 §3.3.3) does not turn them into spaces. */
export function escapeXmlAttr(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
}

/** A CDATA section holding `value`, split wherever it contains `]]>` (which would end it early). */
export function cdata(value: string): string {
  return `<![CDATA[${xmlSafe(value).replace(/\]\]>/g, ']]]]><![CDATA[>')}]]>`
}

/** Text for an HTML context (element content or a quoted attribute). */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
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

  /** `xml` with every placeholder replaced by its value, escaped for where it stands. */
  fill(xml: string): string {
    const slot = `${this.#prefix}(\\d+)x`
    const anyPlace = new RegExp(`<!\\[CDATA\\[${slot}\\]\\]>|="${slot}"|${slot}`, 'g')
    return xml.replace(anyPlace, (_match, inCdata?: string, inAttr?: string, inText?: string) => {
      if (inCdata !== undefined) return cdata(this.#value(inCdata))
      if (inAttr !== undefined) return `="${escapeXmlAttr(this.#value(inAttr))}"`
      return escapeXmlText(this.#value(inText ?? ''))
    })
  }

  #value(index: string): string {
    const value = this.#values[Number(index)]
    if (value === undefined) throw new RangeError(`render: unknown XML placeholder ${index}`)
    return value
  }
}
