/**
 * decode: bytes → Unicode text. rss-parser and cheerio never see bytes, only what this returns.
 *
 * The chain, first hit wins (DESIGN.md "decode"): per-source override → BOM → UTF-16/32 byte
 * pattern → HTTP charset → XML declaration → HTML <meta> → valid UTF-8 → chardet → windows-1252.
 * A declared charset is checked against the bytes: regional portals often declare gb2312 and send
 * UTF-8 (or declare UTF-8 and send GBK) after a CMS migration.
 */
import { isUtf8 } from 'node:buffer'
import chardet from 'chardet'
import { DecodeError } from '../errors.js'
import type { CharsetSource, Decoded } from '../model.js'
import { canonicalCharset, decodeWith, hasHighBytes, utf8Text } from './charset.js'
import {
  charsetFromContentType,
  charsetFromHtmlMeta,
  charsetFromXmlDeclaration,
  sniffBom,
  sniffXmlBytePattern,
} from './sniff.js'

export { canonicalCharset } from './charset.js'

export interface DecodeOptions {
  /** The Content-Type header as sent. */
  contentType?: string
  /** The source's `encoding` setting: wins over everything the bytes and headers say. */
  override?: string
  /** For messages only. */
  sourceId?: string
}

/** Bytes chardet looks at: its statistics settle long before this, and a 15 MiB body would be slow. */
const GUESS_SAMPLE_BYTES = 64 * 1024

/**
 * chardet's confidence (0–100) below which its guess is no better than the windows-1252 fallback:
 * short Latin texts score 10–30 for half a dozen single-byte charsets at once.
 */
const MIN_GUESS_CONFIDENCE = 10

/** When no signal and no guess remain: what undeclared legacy Western pages use (WHATWG default). */
const FALLBACK_CHARSET = 'windows-1252'

const REPLACEMENT = '\uFFFD'

export function decode(body: Uint8Array, opts: DecodeOptions = {}): Decoded {
  const warnings: string[] = []
  const source = opts.sourceId === undefined ? '' : ` (source ${opts.sourceId})`
  try {
    return run(body, opts, warnings)
  } catch (error) {
    if (error instanceof DecodeError) throw error
    throw new DecodeError(`decode: cannot decode ${body.byteLength} bytes: ${String(error)}${source}`, { cause: error })
  }
}

function run(body: Uint8Array, opts: DecodeOptions, warnings: string[]): Decoded {
  if (opts.override !== undefined) {
    const charset = canonicalCharset(opts.override)
    if (charset) return finish(decodeWith(body, charset), charset, 'override', warnings)
    warnings.push(`unknown charset ${opts.override} (override); ignored`)
  }

  const bom = sniffBom(body)
  if (bom) return finish(decodeWith(body.subarray(bom.length), bom.charset), bom.charset, 'bom', warnings)

  const pattern = sniffXmlBytePattern(body)
  if (pattern) return finish(decodeWith(body, pattern), pattern, 'xml', warnings)

  const declarations: Array<[CharsetSource, string | undefined]> = [
    ['http', charsetFromContentType(opts.contentType)],
    ['xml', charsetFromXmlDeclaration(body)],
    ['meta', charsetFromHtmlMeta(body)],
  ]
  for (const [where, label] of declarations) {
    if (label === undefined) continue
    const charset = canonicalCharset(label)
    if (!charset) {
      warnings.push(`unknown charset ${label} (${where}); ignored`)
      continue
    }
    // The declaration was just read as ASCII, so the bytes cannot be UTF-16/32: a stale declaration
    // left behind when the file was converted (no BOM and no Appendix F pattern were found above).
    if (/^utf-(16|32)/.test(charset)) {
      warnings.push(`declared ${label} (${where}) but bytes are ASCII-compatible; ignored`)
      continue
    }
    return checkDeclared(body, label, charset, where, warnings)
  }

  if (isUtf8(body)) return finish(utf8Text(body), 'utf-8', 'utf8', warnings)
  const guessed = guess(body)
  if (guessed) return finish(decodeWith(body, guessed), guessed, 'detected', warnings)
  return finish(decodeWith(body, FALLBACK_CHARSET), FALLBACK_CHARSET, 'fallback', warnings)
}

/**
 * Uses a declared charset unless the bytes contradict it: valid multi-byte UTF-8 under another label
 * (Latin or GBK text is valid UTF-8 by chance almost never, while UTF-8 read as GB18030 is often
 * mojibake without a single U+FFFD), or replacement characters where another candidate decodes cleanly.
 */
function checkDeclared(body: Uint8Array, label: string, charset: string, where: CharsetSource, warnings: string[]): Decoded {
  // One scan tells well-formed UTF-8, the common case, before anything is decoded.
  const utf8 = isUtf8(body)
  if (utf8 && charset === 'utf-8') return finish(utf8Text(body), charset, where, warnings)
  if (utf8 && hasHighBytes(body)) {
    warnings.push(`declared ${label} (${where}) but bytes are not; used utf-8`)
    return finish(utf8Text(body), 'utf-8', 'utf8', warnings)
  }
  const text = decodeWith(body, charset)
  const bad = countReplacements(text)
  if (bad === 0) return finish(text, charset, where, warnings)

  const alternative = guess(body, charset)
  if (alternative) {
    const alternativeText = decodeWith(body, alternative)
    if (!alternativeText.includes(REPLACEMENT)) {
      warnings.push(`declared ${label} (${where}) but bytes are not; used ${alternative}`)
      return finish(alternativeText, alternative, 'detected', warnings)
    }
  }
  warnings.push(`declared ${label} (${where}): ${bad} undecodable byte sequence${bad === 1 ? '' : 's'} replaced with U+FFFD`)
  return finish(text, charset, where, warnings)
}

/** chardet's best guess that iconv-lite can decode, other than `exclude` (valid UTF-8 is tested before it). */
function guess(body: Uint8Array, exclude?: string): string | undefined {
  const sample = body.subarray(0, GUESS_SAMPLE_BYTES)
  for (const match of chardet.analyse(sample)) {
    if (match.confidence < MIN_GUESS_CONFIDENCE) break
    const charset = canonicalCharset(match.name)
    // UTF-16/32 without BOM or XML pattern is never what a feed is; chardet guesses them on binary.
    if (!charset || charset === exclude || charset === 'utf-8' || /^utf-(16|32)/.test(charset)) continue
    return charset
  }
  return undefined
}

function countReplacements(text: string): number {
  let count = 0
  for (let i = text.indexOf(REPLACEMENT); i !== -1; i = text.indexOf(REPLACEMENT, i + 1)) count += 1
  return count
}

function finish(text: string, encoding: string, encodingSource: CharsetSource, warnings: string[]): Decoded {
  // A BOM that survived (declared charset + BOM, or a BOM inside an override) is not content.
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, encoding, encodingSource, warnings }
}
