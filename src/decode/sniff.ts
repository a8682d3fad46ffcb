/**
 * Where a charset can be read from the bytes or the headers, each a small pure question.
 */

/** How far into the body the XML declaration and `<meta charset>` are looked for. */
// HTML's prescan reads 1024 bytes (WHATWG HTML §13.2.3.2); real portals put long <title>s and
// scripts before their <meta>, so we look a little further.
export const PRESCAN_BYTES = 2048

export interface Bom {
  charset: string
  length: number
}

/** The byte order mark at the start of the body, if any. UTF-32LE is tested before UTF-16LE: FF FE 00 00 starts both. */
export function sniffBom(body: Uint8Array): Bom | undefined {
  const [a, b, c, d] = body
  if (a === 0x00 && b === 0x00 && c === 0xfe && d === 0xff) return { charset: 'utf-32be', length: 4 }
  if (a === 0xff && b === 0xfe && c === 0x00 && d === 0x00) return { charset: 'utf-32le', length: 4 }
  if (a === 0xef && b === 0xbb && c === 0xbf) return { charset: 'utf-8', length: 3 }
  if (a === 0xfe && b === 0xff) return { charset: 'utf-16be', length: 2 }
  if (a === 0xff && b === 0xfe) return { charset: 'utf-16le', length: 2 }
  return undefined
}

/**
 * UTF-16/32 without a BOM, told by how `<?` (or `<` followed by anything) is laid out in bytes
 * (XML 1.0 Appendix F.1, "Detection Without External Encoding Information").
 */
export function sniffXmlBytePattern(body: Uint8Array): string | undefined {
  const [a, b, c, d] = body
  if (a === 0x00 && b === 0x00 && c === 0x00 && d === 0x3c) return 'utf-32be'
  if (a === 0x3c && b === 0x00 && c === 0x00 && d === 0x00) return 'utf-32le'
  if (a === 0x00 && b === 0x3c && c === 0x00 && (d === 0x3f || d === 0x21)) return 'utf-16be'
  if (a === 0x3c && b === 0x00 && (c === 0x3f || c === 0x21) && d === 0x00) return 'utf-16le'
  return undefined
}

/**
 * The `charset` parameter of a Content-Type, quotes and stray spaces allowed
 * (`text/xml;charset= "us-ascii"`, `application/atom+xml;charset='gb2312'`), RFC 9110 §8.3.1.
 * A bare `text/xml` gives nothing: RFC 7303 §3.2 dropped RFC 3023's us-ascii default and lets the
 * XML declaration speak.
 */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined
  const match = /;\s*charset\s*=\s*("[^"]*"|'[^']*'|[^;\s]+)/i.exec(contentType)
  const value = match?.[1].replace(/^["']|["']$/g, '').trim()
  return value ? value : undefined
}

/** The start of the body read byte for byte, enough to find ASCII markup in any ASCII-compatible charset. */
function head(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, PRESCAN_BYTES)).toString('latin1')
}

/** `encoding="…"` of the XML declaration, which must open the document (XML 1.0 §4.3.3). */
export function charsetFromXmlDeclaration(body: Uint8Array): string | undefined {
  const match = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']+)["']/.exec(head(body))
  return match?.[1]
}

/** `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">` near the top. */
export function charsetFromHtmlMeta(body: Uint8Array): string | undefined {
  const text = head(body)
  for (const tag of text.match(/<meta\b[^>]*>/gi) ?? []) {
    const direct = /\bcharset\s*=\s*["']?\s*([\w.:-]+)/i.exec(tag)
    if (direct) return direct[1]
  }
  return undefined
}
