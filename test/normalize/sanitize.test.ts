import { readdirSync, readFileSync } from 'node:fs'
import { load } from 'cheerio/slim'
import { describe, expect, it } from 'vitest'
import { sanitizeHtml, sanitizeWithText } from '../../src/normalize/sanitize.js'
import { htmlToText } from '../../src/normalize/text.js'

/** feedparser's tests/wellformed/sanitize (BSD-2, see fixtures/normalize/feedparser/LICENSE). */
const DIR = new URL('../fixtures/normalize/feedparser/sanitize/', import.meta.url)
const files = readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort()

/** The text constructs of a test feed, as a parser would hand them on (escaped, inline, base64). */
function contentsOf(xml: string): string[] {
  const $ = load(xml, { xml: true })
  const parts: string[] = []
  $('feed > *, entry > *, channel > *, item > *').each((_, el) => {
    const node = $(el)
    if (el.name === 'entry' || el.name === 'item') return
    if (node.children().length > 0) parts.push(node.html() ?? '')
    else if (node.attr('mode') === 'base64') parts.push(Buffer.from(node.text(), 'base64').toString('utf8'))
    else parts.push(node.text())
  })
  return parts
}

/** feedparser's own answer, from the file's `Expect:` header, when it is one literal string. */
function expectedOf(xml: string): string | undefined {
  const expect = /Expect:\s*(.*)/.exec(xml)?.[1] ?? ''
  const m = /^not bozo and \w+(?:\[\d+\])?(?:\['\w+'\])+(?:\[\d+\]\['value'\])? == '((?:[^'\\]|\\.)*)'$/.exec(expect.trim())
  return m ? m[1].replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\(.)/g, '$1') : undefined
}

const URL_ATTRIBUTE = /^(?:href|src|srcset|cite|poster|action|formaction|background|dynsrc|lowsrc|data|codebase|xlink:href)$/i
const BAD_SCHEME = /^\s*(?:javascript|vbscript|data|livescript):/i

/** Everything in sanitized HTML that could run or restyle the page; empty when it is safe. */
function executableParts(html: string): string[] {
  const found: string[] = []
  for (const tag of ['script', 'style', 'iframe', 'object', 'embed', 'applet', 'meta', 'link', 'frame', 'form', 'base']) {
    if (new RegExp(`<${tag}[\\s/>]`, 'i').test(html)) found.push(`<${tag}`)
  }
  const $ = load(html)
  $('*').each((_, el) => {
    if (!('attribs' in el)) return
    for (const [name, value] of Object.entries(el.attribs)) {
      if (/^on/i.test(name)) found.push(`${el.name} ${name}=`)
      if (name.toLowerCase() === 'style') found.push(`${el.name} style=`)
      if (URL_ATTRIBUTE.test(name) && value.split(',').some((v) => BAD_SCHEME.test(v))) found.push(`${el.name} ${name}=${value}`)
    }
  })
  return found
}

/**
 * Files where the surviving text differs from feedparser's, each for a reason that follows
 * browsers (HTML5 parsing) rather than feedparser's sgmllib.
 */
const TEXT_DIFFERS: Record<string, string> = {
  iframe: "HTML5 reads an <iframe>'s content as raw text a browser never shows; we drop it, feedparser keeps it",
  xml_malicious_comment: 'an unclosed `<!--` runs to the end of the input in HTML5, so `fe` is comment too',
  item_content_encoded_script_nested_cdata: '`<![CDATA[` is a bogus comment in HTML; nothing of it is text',
  xml_declaration_unexpected_character: 'feedparser keeps `<!DOCTYPE ~` as text; htmlparser2 reads a declaration and sanitize-html drops its `<!`',
}

describe('sanitizeHtml over feedparser sanitize tests', () => {
  it('reads the corpus and finds dangerous markup in it before sanitizing', () => {
    const dangerous = files.filter((f) => contentsOf(readFileSync(new URL(f, DIR), 'utf8')).some((p) => executableParts(p).length > 0))
    expect(files.length).toBe(745)
    expect(dangerous.length).toBeGreaterThan(300)
    const withLiteral = files.filter((f) => expectedOf(readFileSync(new URL(f, DIR), 'utf8')) !== undefined)
    expect(withLiteral.length).toBeGreaterThan(700)
  })

  it.each(files)('%s: nothing executable survives', (file) => {
    const xml = readFileSync(new URL(file, DIR), 'utf8')
    for (const part of contentsOf(xml)) {
      const clean = sanitizeHtml(part, 'http://example.com/feed/')
      expect(executableParts(clean)).toEqual([])
      expect(clean).not.toMatch(/javascript:|vbscript:/i)
    }
  })

  it.each(files)('%s: the safe text survives as feedparser says', (file) => {
    const xml = readFileSync(new URL(file, DIR), 'utf8')
    const expected = expectedOf(xml)
    const differs = Object.keys(TEXT_DIFFERS).some((key) => file.includes(key))
    if (expected === undefined || differs) return
    const texts = contentsOf(xml).map((part) => htmlToText(sanitizeHtml(part)))
    expect(texts).toContain(htmlToText(expected))
  })
})

const BASE = 'https://www.example.gov.cn/news/2024/'

describe('sanitizeHtml: the allow-list', () => {
  it.each([
    ['relative href resolved, rel added', '<a href="../a.html" title="t">x</a>', '<a href="https://www.example.gov.cn/news/a.html" title="t" rel="noopener noreferrer">x</a>'],
    ['rel from the source replaced', '<a href="/a" rel="opener" target="_blank">x</a>', '<a href="https://www.example.gov.cn/a" rel="noopener noreferrer">x</a>'],
    ['relative src resolved, width kept, style and class dropped', '<img src="p.jpg" width="10" style="x" class="c" alt="图">', '<img src="https://www.example.gov.cn/news/2024/p.jpg" width="10" alt="图" />'],
    ['protocol-relative src', '<img src="//img.example.com/p.png">', '<img src="https://img.example.com/p.png" />'],
    ['srcset resolved', '<img src="a.jpg" srcset="a.jpg 1x, /b.jpg 2x">', '<img src="https://www.example.gov.cn/news/2024/a.jpg" srcset="https://www.example.gov.cn/news/2024/a.jpg 1x, https://www.example.gov.cn/b.jpg 2x" />'],
    ['data: image dropped', '<img src="data:image/png;base64,AAAA" alt="x">', '<img alt="x" />'],
    ['javascript: href dropped', '<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'],
    ['obfuscated javascript: dropped', '<a href="jav&#x09;ascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a>', '<a rel="noopener noreferrer">x</a><a rel="noopener noreferrer">y</a>'],
    ['vbscript: dropped', '<a href="vbscript:msgbox(1)">x</a>', '<a rel="noopener noreferrer">x</a>'],
    ['mailto kept', '<a href="mailto:ed@example.com">ed</a>', '<a href="mailto:ed@example.com" rel="noopener noreferrer">ed</a>'],
    ['event handlers dropped', '<p onclick="x()" onmouseover="y()">t</p>', '<p>t</p>'],
    ['script, style, iframe, form gone', '<p>a</p><script>alert(1)</script><style>p{}</style><iframe src="https://e.com"></iframe><form action="/x"><input name="q"></form>', '<p>a</p>'],
    ['ruby kept', '<ruby>區<rp>(</rp><rt>qū</rt><rp>)</rp></ruby>', '<ruby>區<rp>(</rp><rt>qū</rt><rp>)</rp></ruby>'],
    ['flattened ruby cleaned', '<p>漢濱區(qū)政協(xié)</p>', '<p>漢濱區政協</p>'],
    ['media with controls', '<video src="v.mp4" controls autoplay><source src="v.webm" type="video/webm"></video>', '<video src="https://www.example.gov.cn/news/2024/v.mp4" controls><source src="https://www.example.gov.cn/news/2024/v.webm" type="video/webm" /></video>'],
    ['tables and figures', '<figure><table><tr><td colspan="2" bgcolor="red">a</td></tr></table><figcaption>c</figcaption></figure>', '<figure><table><tr><td colspan="2">a</td></tr></table><figcaption>c</figcaption></figure>'],
    ['XML-illegal characters removed', 'a\u0000b\u0008c\uFFFEd\uD800e<b>\u001Ff</b>', 'abcde<b>f</b>'],
  ])('%s', (_name, input, expected) => {
    expect(sanitizeHtml(input, BASE)).toBe(expected)
  })

  it('keeps relative URLs relative when there is no usable base', () => {
    expect(sanitizeHtml('<a href="/a">x</a>')).toBe('<a href="/a" rel="noopener noreferrer">x</a>')
    expect(sanitizeHtml('<a href="/a">x</a>', 'not a url')).toBe('<a href="/a" rel="noopener noreferrer">x</a>')
  })
})

describe('sanitizeWithText', () => {
  /** Hostile and odd markup: entities, ruby, tables, disallowed and non-text elements, unclosed tags. */
  const shapes = [
    '<p>a &amp; b &lt;c&gt; &quot;d&quot;</p><section>e<div>f</div></section>',
    '<ruby>漢<rp>(</rp><rt>hàn</rt><rp>)</rp></ruby>濱區(qū)政協<table><tr><td>1</td><td>2</td></tr></table>',
    '<script>alert(1)</script><style>p{}</style><svg><a href="x">y</a><text>z</text></svg>text<br>line<hr/>after',
    '<p>open<p>next<li>item<ul><li>nested</ul>&nbsp;&#x4e2d;&#20013;',
    '<img src="/a.jpg" alt="x"><iframe src="https://e.example">inside</iframe><noscript>ns</noscript><b>bold</b>',
    '\u0001bad\uFFFEchars<p>\u0007</p>',
  ]
  const corpus = files.flatMap((f) => contentsOf(readFileSync(new URL(f, DIR), 'utf8')))
  it.each([...shapes, ...corpus].map((html, i) => [i, html]))('gives the text of the sanitized HTML read again (%i)', (_i, html) => {
    const both = sanitizeWithText(html as string, 'http://x.example/a/b.html')
    expect(both.html).toBe(sanitizeHtml(html as string, 'http://x.example/a/b.html'))
    expect(both.text).toBe(htmlToText(both.html))
  })
})
