/**
 * Per-item size limits (issue 12 §5): what a cut keeps, that it never splits a character, and
 * that cut HTML is still well-formed.
 */
import { load } from 'cheerio/slim'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RawEntry } from '../../src/model.js'
import { htmlToText, normalizeFeed, sanitizeHtml } from '../../src/normalize/index.js'
import { graphemes as graphemesOf } from '../../src/normalize/text.js'
import { capHtml, capTitle, MAX_CONTENT_HTML_CHARS, MAX_RAW_HTML_CHARS, MAX_TITLE_CHARS, precutHtml } from '../../src/normalize/size.js'
import { sourceConfig } from '../helpers/entries.js'

/** The reference segmentation; its cost grows with the square of the length, so only for short strings. */
const segmented = (s: string) => Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s), (g) => g.segment)
/** Graphemes of a string of any length, by the windowed segmentation checked against the reference below. */
const graphemes = (s: string) => [...graphemesOf(s)]

/** Whether `prefix` ends where `whole` has a grapheme boundary. */
function endsOnBoundary(whole: string, prefix: string): boolean {
  let at = 0
  for (const g of graphemesOf(whole)) {
    if (at === prefix.length) return true
    at += g.length
  }
  return at === prefix.length
}

/** Characters whose graphemes are easy to split wrongly: surrogate pairs, ZWJ sequences, combining marks, flags. */
const TRICKY = ['汉', 'a', ' ', '。', '👨‍👩‍👧‍👦', '🇨🇳', 'é', 'é', 'ǖ', '𠀀', '👍🏽', 'क्षि']

describe('graphemes', () => {
  it('segments as Intl.Segmenter does on the whole string, across its windows', () => {
    const zalgo = `a${'\u0301'.repeat(700)}`
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TRICKY, zalgo, '\u200d', '\ud83c', '\udde8'), { maxLength: 1500 }), (parts) => {
        const text = parts.join('')
        expect(graphemes(text)).toEqual(segmented(text))
      }),
      { numRuns: 60 },
    )
  })
})

describe('capTitle', () => {
  it('keeps a title within the cap as it is', () => {
    const title = '汉'.repeat(MAX_TITLE_CHARS)
    expect(capTitle(title)).toBe(title)
  })

  it('cuts a 1 MB title to the cap, with an ellipsis', () => {
    const title = '汉滨区新闻'.repeat(1024 * 1024 / 5)
    const capped = capTitle(title)
    expect(graphemes(capped)).toHaveLength(MAX_TITLE_CHARS)
    expect(capped.endsWith('…')).toBe(true)
    expect(title.startsWith(capped.slice(0, -1))).toBe(true)
  })

  it('never cuts inside a grapheme (surrogate pairs, emoji sequences, combining marks)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TRICKY), { minLength: MAX_TITLE_CHARS + 1, maxLength: MAX_TITLE_CHARS + 300 }), (parts) => {
        const title = parts.join('').replace(/\s+/g, ' ').trim()
        const capped = capTitle(title)
        if (graphemes(title).length <= MAX_TITLE_CHARS) return capped === title
        const kept = capped.slice(0, -1)
        return capped.endsWith('…') && graphemes(capped).length <= MAX_TITLE_CHARS && title.startsWith(kept) && endsOnBoundary(title, kept)
      }),
      { numRuns: 50 },
    )
  })
})

/** Whether HTML needs nothing closed or repaired: parsing and writing it again gives it back. */
function balanced(html: string): boolean {
  return load(html, { xml: { xmlMode: false, decodeEntities: true, encodeEntities: 'utf8' } }, false).html() === html
}

describe('capHtml', () => {
  const paragraph = (i: number) => `<p>第${i}段：汉江&amp;丹江 <a href="https://a.example/${i}" rel="noopener noreferrer">链接</a> <img src="https://a.example/${i}.jpg" /></p>`

  it('leaves content within the cap untouched', () => {
    const html = sanitizeHtml(Array.from({ length: 100 }, (_, i) => paragraph(i)).join(''))
    expect(capHtml(html)).toBe(html)
  })

  it.each([
    // Each just over the cap: the cut is what is exercised, not sanitizing megabytes.
    ['many paragraphs', Array.from({ length: 2600 }, (_, i) => paragraph(i)).join('')],
    ['one huge paragraph of text', `<p>${'字'.repeat(MAX_CONTENT_HTML_CHARS * 1.2)}</p>`],
    ['escaped characters at the cut', `<div><p>${'&amp;&lt;'.repeat(MAX_CONTENT_HTML_CHARS / 8)}</p></div>`],
    ['deep nesting', `<div><blockquote><ul>${'<li><b>项</b> 内容</li>'.repeat(14000)}</ul></blockquote><p>尾</p></div>`],
    ['emoji sequences in the text', `<p>${'👨‍👩‍👧‍👦🇨🇳é'.repeat(MAX_CONTENT_HTML_CHARS / 12)}</p>`],
  ])('%s: cut to the cap at an element boundary, still well-formed, sanitized the same', (_name, markup) => {
    const html = sanitizeHtml(markup)
    expect(html.length).toBeGreaterThan(MAX_CONTENT_HTML_CHARS)
    const capped = capHtml(html)
    expect(capped.length).toBeLessThanOrEqual(MAX_CONTENT_HTML_CHARS)
    expect(capped.length).toBeGreaterThan(MAX_CONTENT_HTML_CHARS * 0.9)
    expect(balanced(capped)).toBe(true)
    expect(htmlToText(sanitizeHtml(capped))).toBe(htmlToText(capped))
    const text = htmlToText(capped)
    expect(text.endsWith('…')).toBe(true)
    // What is kept is the start of the original text, whole graphemes only.
    const original = htmlToText(html)
    const kept = text.slice(0, -1).trimEnd()
    expect(original.startsWith(kept)).toBe(true)
    expect(endsOnBoundary(original, kept)).toBe(true)
  })
})

describe('precutHtml', () => {
  it('cuts raw markup before the last tag that starts inside the limit', () => {
    const markup = '<p>段落</p>'.repeat(MAX_RAW_HTML_CHARS / 4)
    const cut = precutHtml(markup)
    expect(cut.length).toBeLessThanOrEqual(MAX_RAW_HTML_CHARS)
    expect(markup.startsWith(cut)).toBe(true)
    expect(markup.slice(cut.length).startsWith('<')).toBe(true)
    expect(precutHtml('<p>短</p>')).toBe('<p>短</p>')
  })
})

describe('normalizeFeed applies the caps and names each cut', () => {
  const source = sourceConfig({ id: 'hostile', title: '超长', url: 'https://hostile.example.cn/rss.xml', categories: ['local'] })
  const entry = (fields: Partial<RawEntry>): RawEntry => ({ authors: [], categories: [], enclosures: [], ...fields })
  const { entries, warnings } = normalizeFeed(
    {
      format: 'rss',
      entries: [
        entry({ guid: 'big-title', title: `<b>${'标题'.repeat(512 * 1024)}</b>`, summaryHtml: '<p>正文</p>' }),
        entry({ link: 'https://hostile.example.cn/big-body.html', title: '长文', contentHtml: `<div style="color:red">${'<p class="x" style="y">很长的正文。</p>'.repeat(MAX_RAW_HTML_CHARS / 30)}</div>` }),
        entry({ guid: 'fine', title: '正常', contentHtml: '<p>正常</p>' }),
      ],
      warnings: [],
    },
    { source, feedUrl: source.url, now: new Date('2024-09-20T00:00:00Z'), ambiguousLinks: new Set() },
  )

  it('keeps every item, each within the caps', () => {
    expect(entries).toHaveLength(3)
    for (const e of entries) {
      expect(graphemes(e.title).length).toBeLessThanOrEqual(MAX_TITLE_CHARS)
      expect(e.html.length).toBeLessThanOrEqual(MAX_CONTENT_HTML_CHARS)
      expect(e.excerpt.length).toBeLessThanOrEqual(200)
    }
    expect(entries[0].title.endsWith('…')).toBe(true)
    expect(balanced(entries[1].html)).toBe(true)
    expect(entries[2]).toMatchObject({ title: '正常', html: '<p>正常</p>' })
  })

  it('warns once per cut, naming the source and the item', () => {
    expect(warnings).toEqual([
      `normalize: entry 0: title cut from 1048576 to ${MAX_TITLE_CHARS} characters (source hostile, item "big-title")`,
      expect.stringMatching(/^normalize: entry 1: content cut from \d+ to \d+ characters of HTML \(source hostile, item "https:\/\/hostile\.example\.cn\/big-body\.html"\)$/),
    ])
  })
})
