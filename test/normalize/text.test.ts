import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EXCERPT_MAX_CHARS, excerpt, htmlToText, stripFlattenedRuby, stripXmlIllegal } from '../../src/normalize/text.js'

/** XML 1.0 §2.2 Char, as a test oracle independent of the implementation's regex. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
}

describe('stripXmlIllegal', () => {
  it.each([
    ['tab, LF, CR kept', 'a\tb\nc\rd', 'a\tb\nc\rd'],
    ['C0 controls removed', 'a\u0000b\u0001c\u000Bd\u000Ce\u001Ff', 'abcdef'],
    ['U+FFFE and U+FFFF removed', 'a\uFFFEb\uFFFFc', 'abc'],
    ['lone high surrogate removed', 'a\uD83Db', 'ab'],
    ['lone low surrogate removed', 'a\uDE00b', 'ab'],
    ['pairs kept', '😀𠮷', '😀𠮷'],
    ['DEL and C1 are allowed by XML 1.0', 'a\u007F\u0085b', 'a\u007F\u0085b'],
  ])('%s', (_name, input, expected) => {
    expect(stripXmlIllegal(input)).toBe(expected)
  })

  it('leaves only XML characters, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = stripXmlIllegal(s)
        for (const ch of out) expect(isXmlChar(ch.codePointAt(0)!)).toBe(true)
      }),
    )
  })
})

describe('htmlToText', () => {
  it.each([
    ['blocks become lines', '<p>第一段</p><p>第二段</p>', '第一段\n第二段'],
    ['br is a line break', '一<br>二<br/>三', '一\n二\n三'],
    ['entities decoded', '<p>A &amp; B &lt;tag&gt; &nbsp;&#8220;q&#x201D; &copy;</p>', 'A & B <tag> “q” ©'],
    ['ruby annotations dropped', '<ruby>區<rp>(</rp><rt>qū</rt><rp>)</rp></ruby>域', '區域'],
    ['flattened ruby dropped', '漢濱區(qū)政協(xié)(街道)', '漢濱區政協(街道)'],
    ['script and style dropped', '<p>a<script>var x = "<p>b</p>"</script><style>p{color:red}</style>c</p>', 'ac'],
    ['whitespace collapsed', '<div>\n  a \t  b\n\n</div>\n\n<div>　　c</div>', 'a b\nc'],
    ['inline elements join', '<b>粗</b><i>斜</i>', '粗斜'],
    ['cells side by side', '<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>', 'a b\nc'],
    ['XML-illegal characters removed', '<p>a&#1;b\u0000c</p>', 'abc'],
    ['plain text passes', '只是文字', '只是文字'],
    ['empty', '', ''],
  ])('%s', (_name, input, expected) => {
    expect(htmlToText(input)).toBe(expected)
  })

  it('cleans the regional sample article', () => {
    const article = readFileSync(new URL('../fixtures/normalize/regional/sample-article.txt', import.meta.url), 'utf8')
    const text = htmlToText(article.split('\n').map((line) => `<p>${line}</p>`).join(''))
    expect(text).toContain('來源:各界新聞網\n漢濱區政協十六屆以來,區政協黨組始終堅持')
    expect(text).toContain('(實習記者 龐浩楠 通訊員 李東 記者 唐冰)')
    // Every annotation right after a Han character is gone. (The sample also holds `表?yè)P(yáng)`,
    // a character the scraper itself garbled; there is no Han base left to attach it to.)
    expect(text).not.toMatch(/\p{Script=Han}\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)/u)
  })
})

describe('stripFlattenedRuby', () => {
  it('handles decomposed tone marks too', () => {
    expect(stripFlattenedRuby('區(qu\u0304)')).toBe('區')
  })
  it('keeps Latin in parentheses that is no pinyin after Han', () => {
    expect(stripFlattenedRuby('新华社(Xinhua) 區(AP) x(qū)')).toBe('新华社(Xinhua) 區(AP) x(qū)')
  })
  // Text NFC cannot change skips normalize: every character must still come out as NFC has it.
  it('gives NFC of any text: every BMP character alone, doubled and after letters', () => {
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const ch = String.fromCharCode(c)
      const text = `a${ch}${ch}b${ch}`
      expect(stripFlattenedRuby(text)).toBe(text.normalize('NFC'))
    }
    expect(stripFlattenedRuby('\u2000\u212b\uf900\u304b\u3099\u1100\u1161')).toBe('\u2002\u00c5\u8c48\u304c\uac00')
  })
})

describe('excerpt', () => {
  const sentence = 'The quick brown fox jumps over the lazy dog. '
  it.each([
    ['short text unchanged', 'short text', 200, 'short text'],
    ['lines joined', 'a\nb', 200, 'a b'],
    ['cut after a sentence', sentence.repeat(3), 100, `${sentence}${sentence.trim()}…`],
    ['cut at a word', 'alpha beta gamma delta epsilon zeta', 20, 'alpha beta gamma…'],
    ['Chinese cut after 。', '这是第一句比较长的话。这是第二句话，它没有结束', 20, '这是第一句比较长的话。…'],
    ['a boundary too early is not taken', '短句。这是第二句话，它比较长一些而且没有结束', 12, '短句。这是第二句话，它…'],
    ['Chinese with no boundary cut mid-text, no trailing comma', '一二三四五六七八九，十一二三四五六七八九十', 11, '一二三四五六七八九…'],
  ])('%s', (_name, input, max, expected) => {
    expect(excerpt(input, max)).toBe(expected)
  })

  it('defaults to EXCERPT_MAX_CHARS', () => {
    const out = excerpt('字'.repeat(500))
    expect(Array.from(out)).toHaveLength(EXCERPT_MAX_CHARS)
    expect(out.endsWith('…')).toBe(true)
  })

  it('never splits a surrogate pair or a grapheme, never exceeds the budget', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('𠮷', '😀', '👩‍👩‍👧', 'é', 'a', ' ', '。', '字'), { minLength: 0, maxLength: 80 }), fc.integer({ min: 2, max: 60 }), (parts, max) => {
        const input = parts.join('')
        const out = excerpt(input, max)
        expect(stripXmlIllegal(out)).toBe(out)
        const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(out)]
        expect(graphemes.length).toBeLessThanOrEqual(Math.max(max, 1))
        if (out.endsWith('…')) expect(input.replace(/\s+/g, ' ').trim().startsWith(out.slice(0, -1).trimEnd().replace(/[，,、:：;；\s]+$/u, ''))).toBe(true)
      }),
    )
  })
})
