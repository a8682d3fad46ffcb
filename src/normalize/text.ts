/**
 * Plain-text helpers: characters XML forbids, HTML to text, excerpts, flattened ruby.
 */
import { Parser } from 'htmlparser2'

/** Default length of an excerpt, in user-perceived characters, the ellipsis included. */
export const EXCERPT_MAX_CHARS = 200

/**
 * XML 1.0 §2.2 `Char`: C0 controls other than tab, LF and CR, U+FFFE, U+FFFF and unpaired
 * surrogates make a document not well-formed, so a reader rejects the whole feed.
 */
export const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Whether XML_ILLEGAL may match: a control character, U+FFFE/U+FFFF, or any surrogate (whether a
 * pair is whole is the regex's to tell). Almost every string is clean, and a loop over its code
 * units finds that faster than the regex.
 */
export function mayHoldXmlIllegal(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c >= 0xd800 && (c <= 0xdfff || c >= 0xfffe)) return true
  }
  return false
}

export function stripXmlIllegal(s: string): string {
  return mayHoldXmlIllegal(s) ? s.replace(XML_ILLEGAL, '') : s
}

/**
 * A pinyin annotation left in the text by a scraper that flattened `<ruby>區<rp>(</rp><rt>qū</rt>
 * <rp>)</rp></ruby>` into `區(qū)` (see the regional sample article). Only a single toned syllable
 * right after a Han character is taken, so `(街道)` or `(AP)` stay.
 */
const FLATTENED_RUBY = /(?<=\p{Script=Han})\((?:[a-zü]{0,5}[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]{0,4}|[ńňǹḿ]g?)\)/gu

/**
 * Text NFC leaves as it is, told by one native scan: ASCII and Latin letters already composed,
 * general and CJK punctuation, kana (without the combining voicing marks), CJK ideographs and
 * full-width forms — no combining mark, no Hangul jamo, no canonical singleton (U+2000, U+212B,
 * U+F900…). Nearly all text a regional portal writes; `normalize` copies it for nothing.
 */
const NFC_STABLE = /^[\u0000-\u02ff\u2010-\u2027\u2030-\u205e\u3000-\u3029\u3030-\u3098\u309b-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]*$/

export function stripFlattenedRuby(s: string): string {
  const nfc = NFC_STABLE.test(s) ? s : s.normalize('NFC')
  return nfc.includes('(') ? nfc.replace(FLATTENED_RUBY, '') : nfc
}

/** Elements whose content is never text a reader sees. */
const SKIPPED = new Set(['script', 'style', 'template', 'noscript', 'rt', 'rp', 'head', 'title', 'iframe', 'svg', 'math', 'select', 'textarea'])

/** Elements that start and end a line of text. */
const BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
  'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'tfoot', 'thead', 'tr', 'ul',
])

/** Table cells sit side by side: a space between them, not a line. */
const CELLS = new Set(['td', 'th'])

/** One line per block, spaces collapsed, no empty lines. */
function collapseLines(s: string): string {
  return s
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n')
}

/**
 * Plain text of an HTML fragment: entities decoded, block elements as line breaks, ruby
 * annotations (`<rt>`, `<rp>`, or flattened `區(qū)`), scripts and styles dropped.
 */
export function htmlToText(html: string): string {
  // Fast path: no markup and no entity means the text is the input.
  if (!html.includes('<') && !html.includes('&')) return stripXmlIllegal(collapseLines(stripFlattenedRuby(html)))
  // Streamed, not built into a tree: this runs on every item, and a DOM costs more than the text.
  const text = new TextCollector()
  const parser = new Parser({ onopentag: (name) => text.open(name), onclosetag: (name) => text.close(name), ontext: (t) => text.text(t) }, { decodeEntities: true, xmlMode: false })
  parser.end(html)
  return text.result()
}

/**
 * The text of a stream of elements and decoded text, as htmlToText reads it: what sanitize.ts
 * feeds it while it sanitizes gives the same text as reading the sanitized HTML again.
 */
export class TextCollector {
  private readonly out: string[] = []
  private skipping = 0

  open(name: string): void {
    if (this.skipping || SKIPPED.has(name)) this.skipping++
    else this.out.push(separator(name))
  }

  close(name: string): void {
    if (this.skipping) this.skipping--
    else this.out.push(separator(name))
  }

  text(text: string): void {
    if (!this.skipping) this.out.push(text)
  }

  /** Where the collector stands, for {@link rewind}. */
  mark(): { length: number; skipping: number } {
    return { length: this.out.length, skipping: this.skipping }
  }

  /** Everything told since `mark` forgotten. */
  rewind(mark: { length: number; skipping: number }): void {
    this.out.length = mark.length
    this.skipping = mark.skipping
  }

  result(): string {
    return stripXmlIllegal(collapseLines(stripFlattenedRuby(this.out.join(''))))
  }
}

function separator(name: string): string {
  return BLOCKS.has(name) ? '\n' : CELLS.has(name) ? ' ' : ''
}

/** All whitespace, line breaks included, as single spaces. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * UTF-16 units segmented at a time. Each step of an `Intl.Segmenter` iteration costs time in
 * proportion to the whole string (V8 on Node 20: 64,000 characters take 4 s, a 1 MB title never
 * finishes), so long text is segmented in windows, each starting on a boundary already found.
 */
const SEGMENT_WINDOW = 256

/**
 * The user-perceived characters of `text` (extended grapheme clusters, UAX #29), lazily and in
 * linear time. A window's last cluster may go on past it, so it starts the next window; a cluster
 * longer than a window (stacked combining marks) widens the window until it fits.
 */
export function* graphemes(text: string): Generator<string> {
  let start = 0
  let width = SEGMENT_WINDOW
  while (start < text.length) {
    const end = Math.min(start + width, text.length)
    let last = ''
    for (const { segment } of segmenter.segment(text.slice(start, end))) {
      if (last !== '') yield last
      last = segment
    }
    if (end === text.length) {
      yield last
      return
    }
    if (last.length === end - start) {
      width *= 2
      continue
    }
    start = end - last.length
    width = SEGMENT_WINDOW
  }
}

/**
 * Characters that are each a grapheme of their own whatever follows them: Latin up to the
 * combining marks, CJK punctuation and ideographs, full-width forms. Text made only of them (most
 * of what regional portals write) needs no segmenter, which costs microseconds per character.
 */
const SIMPLE_TEXT = /^[\u0000-\u02ff\u2000-\u200c\u2010-\u206f\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]*$/

/** The first `count` graphemes of a text (fewer when it has fewer): a string when each unit is one, else a list. */
function headGraphemes(text: string, count: number): string | string[] {
  const head = text.slice(0, count)
  if (SIMPLE_TEXT.test(head)) return head
  // Segmenting stops at the count: a whole article costs no more than its first lines.
  const out: string[] = []
  for (const grapheme of graphemes(text)) {
    if (out.push(grapheme) >= count) break
  }
  return out
}

/** Where a sentence may end: the cut goes after one of these when there is one late enough. */
const SENTENCE_END = /^[。！？!?；;…]$|^\.$/
/** Where a word may end, for text with spaces between words. */
const WORD_GAP = /^\s$/
/** Punctuation that reads badly right before the ellipsis. */
const TRAILING_PUNCTUATION = /[\s,，、:：;；\-—(（\[【“‘"']+$/u

/** A cut earlier than this share of the budget wastes too much text; cut mid-word instead. */
const MIN_BOUNDARY_SHARE = 0.5

/**
 * A one-line excerpt of at most `maxChars` user-perceived characters, `…` included, cut after
 * a sentence or at a word gap when one lies in the second half, and never inside a grapheme
 * (a surrogate pair, an emoji sequence, a base letter and its accents).
 */
export function excerpt(text: string, maxChars = EXCERPT_MAX_CHARS): string {
  const flat = collapseWhitespace(text)
  // No string has more graphemes than UTF-16 units: a text this short fits whatever it holds.
  if (flat.length <= maxChars) return flat
  const head = headGraphemes(flat, maxChars + 1)
  if (head.length <= maxChars) return flat
  const budget = Math.max(maxChars - 1, 0)
  const floor = Math.floor(budget * MIN_BOUNDARY_SHARE)
  let cut = budget
  let sentence = -1
  let word = -1
  for (let i = budget; i >= floor && sentence < 0; i--) {
    if (i < budget && SENTENCE_END.test(head[i])) sentence = i + 1
    else if (word < 0 && WORD_GAP.test(head[i])) word = i
  }
  if (sentence > 0) cut = sentence
  else if (word > 0) cut = word
  const kept = typeof head === 'string' ? head.slice(0, cut) : head.slice(0, cut).join('')
  return kept.replace(TRAILING_PUNCTUATION, '') + '…'
}
