/**
 * What an upstream image really is. Portals label images loosely (`application/octet-stream`,
 * `text/html` from a misconfigured server, `image/jpg`), and an error page sent with a 200 must
 * never be served from our origin, so the bytes decide where they can.
 */

/** Leading bytes of the raster formats browsers show (WHATWG MIME Sniffing §6.1). */
const SIGNATURES: ReadonlyArray<{ type: string; matches: (b: Uint8Array) => boolean }> = [
  { type: 'image/jpeg', matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/png', matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/gif', matches: (b) => ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a' },
  { type: 'image/webp', matches: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  // ISO-BMFF: a `ftyp` box whose major brand names AVIF (ISO/IEC 23000-22).
  { type: 'image/avif', matches: (b) => ascii(b, 4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(b, 8, 12)) },
  { type: 'image/bmp', matches: (b) => ascii(b, 0, 2) === 'BM' },
  { type: 'image/x-icon', matches: (b) => startsWith(b, [0x00, 0x00, 0x01, 0x00]) },
]

/** How far into a labelled image we look for the markup that gives away an error page (or finds `<svg`). */
const MARKUP_HEAD_BYTES = 4096

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte)
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return bytes.length >= to ? String.fromCharCode(...bytes.subarray(from, to)) : ''
}

/**
 * The type to serve `body` as, or undefined when it is not an image: a recognised signature wins
 * over the label; otherwise only an `image/*` label (SVG included: /img/ answers carry a sandbox
 * CSP, so a script inside one never runs on our origin) whose bytes do not start like markup of
 * another kind.
 */
export function imageType(body: Uint8Array, contentType: string | undefined): string | undefined {
  const sniffed = SIGNATURES.find((s) => s.matches(body))
  if (sniffed) return sniffed.type
  const declared = contentType?.split(';')[0].trim().toLowerCase()
  if (!declared?.startsWith('image/')) return undefined
  const head = Buffer.from(body.subarray(0, MARKUP_HEAD_BYTES)).toString('latin1').trimStart().toLowerCase()
  if (declared === 'image/svg+xml') return /^(<\?xml|<svg|<!--|<!doctype svg)/.test(head) && /<svg[\s>]/.test(head) ? declared : undefined
  return /^<(!doctype|html|head|body|\?xml)/.test(head) ? undefined : declared
}
