/**
 * Charset labels: what a feed, a server or an operator writes, mapped to the decoder we actually use.
 */
import { isUtf8 } from 'node:buffer'
import iconv from 'iconv-lite'

/**
 * Labels decoded with a superset, so that characters the label's own table lacks still come out.
 * - GB2312 and GBK sites routinely send GBK/GB18030 characters (镕, 堃, personal names) under the
 *   older label; GB18030 is a strict superset of both (WHATWG Encoding Standard does the same).
 * - Big5 sites in Hong Kong send HKSCS characters (㗎, 啲) under `big5`; Big5-HKSCS is a superset.
 * - `us-ascii` and `iso-8859-1` are, in practice, windows-1252 (curly quotes in 0x80–0x9F): the
 *   WHATWG Encoding Standard maps these labels to windows-1252 for exactly that reason.
 */
const SUPERSETS: Record<string, string> = {
  gb2312: 'gb18030',
  csgb2312: 'gb18030',
  'euc-cn': 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  cp936: 'gb18030',
  'windows-936': 'gb18030',
  chinese: 'gb18030',
  gb18030: 'gb18030',
  big5: 'big5-hkscs',
  'big-5': 'big5-hkscs',
  csbig5: 'big5-hkscs',
  'cn-big5': 'big5-hkscs',
  'x-x-big5': 'big5-hkscs',
  cp950: 'big5-hkscs',
  big5hkscs: 'big5-hkscs',
  'big5-hkscs': 'big5-hkscs',
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  'iso_8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'l1': 'windows-1252',
  cp1252: 'windows-1252',
  'windows-1252': 'windows-1252',
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  // Without a BOM or byte pattern to say otherwise, XML 1.0 §4.3.3 and RFC 2781 §4.3 read
  // unmarked UTF-16 as big-endian.
  'utf-16': 'utf-16be',
  utf16: 'utf-16be',
  'utf-32': 'utf-32be',
  utf32: 'utf-32be',
  'ucs-4': 'utf-32be',
  'iso-10646-ucs-4': 'utf-32be',
  'ucs-2': 'utf-16be',
  'iso-10646-ucs-2': 'utf-16be',
}

/**
 * The decoder name for a label as written (`'gb2312'`, `"GBK"`, `x-gbk`), or undefined when
 * iconv-lite knows no such charset.
 */
export function canonicalCharset(label: string): string | undefined {
  const cleaned = label.trim().replace(/^["']|["']$/g, '').trim().toLowerCase()
  if (cleaned === '') return undefined
  const mapped = SUPERSETS[cleaned]
  if (mapped) return mapped
  return iconv.encodingExists(cleaned) ? cleaned : undefined
}

/** Decodes with iconv-lite, never stripping or adding anything. */
export function decodeWith(body: Uint8Array, charset: string): string {
  // Well-formed UTF-8 (most feeds) takes Node's own decoder, iconv-lite's for UTF-8 too, without its streaming layer.
  if (charset === 'utf-8' && isUtf8(body)) return utf8Text(body)
  return iconv.decode(asBuffer(body), charset, { stripBOM: false })
}

/** Bytes known to be well-formed UTF-8 (`isUtf8`), as text, a BOM kept. */
export function utf8Text(body: Uint8Array): string {
  return asBuffer(body).toString('utf8')
}

const asBuffer = (body: Uint8Array) => Buffer.from(body.buffer, body.byteOffset, body.byteLength)

/** Whether any byte is outside ASCII. */
export function hasHighBytes(body: Uint8Array): boolean {
  for (const byte of body) if (byte >= 0x80) return true
  return false
}
