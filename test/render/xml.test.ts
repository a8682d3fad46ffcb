import * as cheerio from 'cheerio'
import { Feed } from 'feed'
import { describe, expect, it } from 'vitest'
import { absoluteUrl } from '../../src/render/view.js'
import { cdata, escapeXmlAttr, escapeXmlText, mayNeedXmlSafe, xmlElement, xmlSafe, XmlSlots } from '../../src/render/xml.js'
import fc from 'fast-check'
import { assertWellFormedXml } from '../helpers/validate.js'
import { HOSTILE } from './views.js'

/** What a conforming XML reader returns for `<a x="…">…</a>` (htmlparser2 skips the line-end
 * normalization of XML 1.0 §2.11, so it is done first; `&#13;` stays a carriage return). */
function readBack(xml: string): { text: string; attr?: string } {
  assertWellFormedXml(xml)
  const $ = cheerio.load(xml.replace(/\r\n?/g, '\n'), { xml: true })
  return { text: $('a').text(), attr: $('a').attr('x') }
}

describe('xmlSafe', () => {
  it.each([
    ['C0 controls but tab, LF, CR', '\u0000a\u0001\u0008\t\n\r\u000B\u000C\u001F', 'a\t\n\r'],
    ['U+FFFE and U+FFFF', 'a\uFFFEb\uFFFF', 'ab'],
    ['lone surrogates', 'a\uD800b\uDFFFc\uDE00\uD83D', 'abc'],
    ['DEL and C1 controls', 'a\u007F\u0080\u0085\u009Fb', 'ab'],
    ['noncharacters', 'a\uFDD0\u{1FFFE}\u{10FFFF}b', 'ab'],
    ['nothing else', '汉😀\u200F\u202E\uFEFF\uE000\uFFFD\u{10FFFD}', '汉😀\u200F\u202E\uFEFF\uE000\uFFFD\u{10FFFD}'],
  ])('removes %s', (_name, input, expected) => {
    expect(xmlSafe(input)).toBe(expected)
  })

  it('skips the regexes only for strings they leave as they are (every BMP code unit, and random strings)', () => {
    // XML 1.0 §2.2 as written: Char, then the discouraged DEL, C1 controls and every noncharacter.
    const astral = Array.from({ length: 16 }, (_, i) => `\\u{${(i + 1).toString(16)}FFFE}\\u{${(i + 1).toString(16)}FFFF}`).join('')
    const discouraged = new RegExp(`[\\u007F-\\u009F\\uFDD0-\\uFDEF${astral}]`, 'gu')
    const slow = (s: string) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '').replace(discouraged, '')
    for (let c = 0; c <= 0xffff; c++) {
      const s = `a${String.fromCharCode(c)}b`
      if (!mayNeedXmlSafe(s)) expect(slow(s), `U+${c.toString(16)}`).toBe(s)
      expect(xmlSafe(s)).toBe(slow(s))
    }
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => xmlSafe(s) === slow(s) && (mayNeedXmlSafe(s) || slow(s) === s)))
  })
})

describe.each(HOSTILE)('the escaping writer with %s', (_name, value) => {
  const expected = xmlSafe(value).replace(/\r\n?/g, '\n')

  it('reads back from a CDATA section, a text node and an attribute', () => {
    expect(readBack(`<a>${cdata(value)}</a>`).text).toBe(expected)
    expect(readBack(`<a>${escapeXmlText(value)}</a>`).text).toBe(expected)
    expect(readBack(`<a x="${escapeXmlAttr(value)}"/>`).attr).toBe(xmlSafe(value))
    expect(readBack(xmlElement('a', { x: value }, escapeXmlText(value)))).toEqual({ text: expected, attr: xmlSafe(value) })
  })

  it('reads back through feed 6.0.0 in every place XmlSlots fills', () => {
    const slots = new XmlSlots()
    const feed = new Feed({ title: slots.put(value), id: slots.put(value), link: 'https://example.org/', updated: new Date(0) })
    feed.addItem({ title: slots.put(value), link: 'https://example.org/1', date: new Date(0), category: [{ term: slots.put(value) }], content: slots.put(value) })
    const xml = slots.fill(feed.atom1())
    assertWellFormedXml(xml)
    const $ = cheerio.load(xml.replace(/\r\n?/g, '\n'), { xml: true })
    expect($('feed > title').text()).toBe(expected)
    expect($('feed > id').text()).toBe(expected)
    expect($('entry > title').text()).toBe(expected)
    expect($('entry > content').text()).toBe(expected)
    expect($('entry > category').attr('term')).toBe(xmlSafe(value))
    expect(slots.fillBytes(feed.atom1()).equals(Buffer.from(xml, 'utf8'))).toBe(true)
  })
})

describe('absoluteUrl', () => {
  /** RFC 3986 characters only, `%` only before two hex digits, brackets only around an IPv6 host. */
  const RFC3986 = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:\d+)?([A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-F]{2})*$/i

  it.each([
    ['https://www.sxgjxw.com/news/2024-09/19/content_31415926.htm', 'https://www.sxgjxw.com/news/2024-09/19/content_31415926.htm'],
    ['https://例子.测试/路径?q=值', 'https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=%E5%80%BC'],
    ['https://a.example/x?y=[1]{2}|^`%zz%41#f[x]', 'https://a.example/x?y=%5B1%5D%7B2%7D%7C%5E%60%25zz%41#f%5Bx%5D'],
    ['https://[::1]:8080/p', 'https://[::1]:8080/p'],
    ['HTTP://Example.ORG', 'http://example.org/'],
  ])('%s → %s', (input, expected) => {
    expect(absoluteUrl(input)).toBe(expected)
    expect(expected).toMatch(RFC3986)
  })

  it.each(HOSTILE.map(([name, text]) => [name, `https://news.example.cn/a?t=${text}#${text}`]))('makes an RFC 3986 URI of a URL holding %s', (_name, url) => {
    expect(absoluteUrl(url)).toMatch(RFC3986)
  })

  it.each([[undefined], [''], ['not a url'], ['/relative/path']])('is undefined for %s', (input) => {
    expect(absoluteUrl(input)).toBeUndefined()
  })
})
