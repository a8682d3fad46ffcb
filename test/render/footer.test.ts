import { describe, expect, it } from 'vitest'
import type { PublishedItem } from '../../src/model.js'
import { footerHtml, itemContentHtml } from '../../src/render/footer.js'
import { htmlText } from './read.js'
import { regionalView } from './views.js'

const view = regionalView()
const [reprinted, summary, titleOnly, noLink] = view.items

describe('footerHtml', () => {
  it.each([
    ['zh-CN', '来源：各界新聞網', '原文链接', '亦见于：安康市人民政府 · 要闻、汉滨新闻网', '联系：'],
    ['zh-TW', '來源：各界新聞網', '原文連結', '亦見於：', '聯繫：'],
    ['zh-Hant', '來源：', '原文連結', '亦見於：', '聯繫：'],
    ['zh-HK', '來源：', '原文連結', '亦見於：', '聯繫：'],
    ['zh-Hans', '来源：', '原文链接', '亦见于：', '联系：'],
    ['zh', '来源：', '原文链接', '亦见于：', '联系：'],
    ['en', 'Source: 各界新聞網', 'Original article', 'Also reported by: 安康市人民政府 · 要闻, 汉滨新闻网', 'Contact: '],
    ['en-US', 'Source: ', 'Original article', 'Also reported by: ', 'Contact: '],
    ['fr', 'Source: ', 'Original article', 'Also reported by: ', 'Contact: '],
  ])('words it for %s', (lang, source, original, also, contact) => {
    const text = htmlText(footerHtml(reprinted, view.disclaimer, lang))
    for (const words of [source, original, also, view.disclaimer.text]) expect(text).toContain(words)
    // A contact that names its kind (`电话：…`, as the README writes it) is printed as written (issue 11 §10).
    expect(text).toMatch(/ · 电话：029-00000000$/)
    expect(text).not.toContain(contact)
    expect(htmlText(footerHtml(reprinted, { ...view.disclaimer, contact: '029-00000000' }, lang))).toMatch(new RegExp(` · ${contact}029-00000000$`))
  })

  it.each([
    ['电话：029-00000000', '电话：029-00000000'],
    ['联系电话:029-1234', '联系电话:029-1234'],
    ['Tel: +86 29 0000', 'Tel: +86 29 0000'],
    ['editor@news.example.org', '联系：editor@news.example.org'],
    ['https://news.example.org/contact', '联系：https://news.example.org/contact'],
    ['029-00000000（工作日）', '联系：029-00000000（工作日）'],
  ])('prints the contact %s as %s', (contact, shown) => {
    expect(htmlText(footerHtml(reprinted, { text: view.disclaimer.text, contact }, 'zh-CN')).endsWith(` · ${shown}`)).toBe(true)
  })

  it('is an <hr/> and one paragraph, linking the original and each reprint that has a link', () => {
    const html = footerHtml(reprinted, view.disclaimer, 'zh-CN')
    expect(html).toMatch(/^<hr\/><p class="feedloom-footer">.*<\/p>$/)
    expect(html).toContain('<a href="https://www.sxgjxw.com/news/2024-09/19/content_31415926.htm">原文链接</a>')
    expect(html).toContain('<a href="https://www.ankang.gov.cn/Content-2798461.html">安康市人民政府 · 要闻</a>')
    // 汉滨新闻网's copy has no link: named, not linked.
    expect(html).toContain('、汉滨新闻网 · ')
  })

  it('falls back to the source title when the text names no origin, and links nothing without a link', () => {
    const html = footerHtml(noLink, view.disclaimer, 'zh-CN')
    expect(htmlText(html)).toContain(`来源：${noLink.source.title}`)
    expect(html).not.toContain('<a ')
    expect(html).not.toContain('亦见于')
  })

  it('leaves the contact out when there is none', () => {
    expect(htmlText(footerHtml(reprinted, { text: view.disclaimer.text }, 'zh-CN'))).not.toContain('联系：')
  })

  const hostile: PublishedItem = {
    ...reprinted,
    entry: { ...reprinted.entry, origin: '<script>alert("x")</script> & co', url: 'javascript:alert(1)' },
    alsoReportedBy: [{ ...reprinted.alsoReportedBy[0], sourceTitle: '"><img src=x onerror=alert(1)>', url: 'https://a.example/?q="><b>' }],
  }

  it('escapes every text and attribute, and links only http(s) URLs', () => {
    const html = footerHtml(hostile, { text: '<b>声明</b>', contact: "O'Brien & <i>" }, 'en')
    expect(html).not.toMatch(/<(script|img|b|i)[ >]/)
    expect(html).not.toContain('javascript:')
    expect(html).toContain('<a href="https://a.example/?q=%22%3E%3Cb%3E">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</a>')
    expect(htmlText(html)).toBe(
      'Source: <script>alert("x")</script> & co · Also reported by: "><img src=x onerror=alert(1)> · <b>声明</b> · Contact: O\'Brien & <i>',
    )
  })
})

describe('itemContentHtml', () => {
  it('full: the article, then the footer', () => {
    expect(itemContentHtml(reprinted, view.disclaimer, 'zh-CN')).toBe(reprinted.entry.html + footerHtml(reprinted, view.disclaimer, 'zh-CN'))
  })

  it('summary: the escaped excerpt as one paragraph, then the footer, and none of the article', () => {
    const html = itemContentHtml(summary, view.disclaimer, 'zh-CN')
    expect(html).toBe(`<p>${summary.entry.excerpt}</p>${footerHtml(summary, view.disclaimer, 'zh-CN')}`)
    expect(html).not.toContain('会议要求')
  })

  it('summary: escapes the excerpt', () => {
    const item = { ...summary, entry: { ...summary.entry, excerpt: 'a < b & "c"' } }
    expect(itemContentHtml(item, view.disclaimer, 'en')).toMatch(/^<p>a &lt; b &amp; &quot;c&quot;<\/p><hr\/>/)
  })

  it('title: the footer alone', () => {
    const html = itemContentHtml(titleOnly, view.disclaimer, 'zh-CN')
    expect(html).toBe(footerHtml(titleOnly, view.disclaimer, 'zh-CN'))
    expect(html).not.toContain('气象局')
  })
})
