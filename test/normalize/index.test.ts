import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { RawEntry, RawFeed, SourceConfig } from '../../src/model.js'
import { sourceConfig } from '../helpers/entries.js'
import { FUTURE_DATE_TOLERANCE_MS, normalizeFeed, UNTITLED, type NormalizeContext } from '../../src/normalize/index.js'

const NOW = new Date('2024-09-20T04:00:00.000Z') // 12:00 in Shanghai

function source(overrides: Partial<SourceConfig> = {}): SourceConfig {
  return sourceConfig({ id: 'chinanews-scroll', title: '中国新闻网 · 即时', url: 'https://www.chinanews.com.cn/rss/scroll-news.xml', categories: ['national'], ...overrides })
}

function ctx(overrides: Partial<NormalizeContext> = {}): NormalizeContext {
  return { source: source(), feedUrl: 'https://www.chinanews.com.cn/rss/scroll-news.xml', now: NOW, ambiguousLinks: new Set(), ...overrides }
}

function entry(fields: Partial<RawEntry>): RawEntry {
  return { authors: [], categories: [], enclosures: [], ...fields }
}

function feed(entries: RawEntry[], fields: Partial<RawFeed> = {}): RawFeed {
  return { format: 'rss', title: '中新网即时新闻', link: 'https://www.chinanews.com.cn/', entries, warnings: [], ...fields }
}

/**
 * Shaped like chinanews.com.cn's scroll-news.xml: no guid, a description only, and a zone-less
 * `pubDate` in Beijing time.
 */
const chinanews = feed([
  entry({
    title: '国家统计局：8月份国民经济运行总体平稳',
    link: 'https://www.chinanews.com.cn/cj/2024/09-19/10288761.shtml',
    summaryHtml: '中新网9月19日电 国家统计局19日发布数据显示，8月份国民经济运行总体平稳。<img src="/cj/2024/09-19/U1.jpg" onerror="alert(1)">',
    published: '2024-09-19 17:11:51',
  }),
  entry({
    title: '陕西安康：秋季森林防火工作会议召开',
    link: 'https://www.chinanews.com.cn/sh/2024/09-19/10288790.shtml?utm_source=rss&spm=1.2',
    summaryHtml: '<p>9月19日，安康市召开秋季森林防火工作会议。</p><p>来源：安康日报　编辑：张三</p>',
    published: '2024-09-19 16:05:00',
  }),
])

/** A county government site whose feed gives its home page as every item's link. */
const homePageFeed = feed(
  [
    entry({ title: '汉滨区召开政协工作会议', link: 'https://www.example.gov.cn/', summaryHtml: '会议要求……', published: '2024-09-19 10:00' }),
    entry({ title: '汉滨区开展森林防火检查', link: 'https://www.example.gov.cn/', summaryHtml: '检查组一行……', published: '2024-09-19 11:00' }),
    entry({ title: '汉滨区举办农民丰收节', link: 'https://www.example.gov.cn/index.html', summaryHtml: '丰收节上……', published: '2024-09-18 09:00' }),
  ],
  { link: 'https://www.example.gov.cn/' },
)

const sampleArticle = readFileSync(new URL('../fixtures/normalize/regional/sample-article.txt', import.meta.url), 'utf8')

describe('normalizeFeed: a chinanews-style RSS feed', () => {
  const { entries, warnings, ambiguousLinks } = normalizeFeed(chinanews, ctx())

  it('keeps every item, with no warnings and no ambiguous link', () => {
    expect(entries).toHaveLength(2)
    expect(warnings).toEqual([])
    expect(ambiguousLinks).toEqual([])
  })

  it('reads a zone-less pubDate in the source zone', () => {
    expect(entries[0].published).toBe('2024-09-19T09:11:51.000Z')
    expect(entries[0].dateFrom).toBe('source')
    expect(entries[0].firstSeen).toBe(NOW.toISOString())
  })

  it('sanitizes the description and makes its URLs absolute', () => {
    expect(entries[0].html).toBe('中新网9月19日电 国家统计局19日发布数据显示，8月份国民经济运行总体平稳。<img src="https://www.chinanews.com.cn/cj/2024/09-19/U1.jpg" />')
    expect(entries[0].text).toBe('中新网9月19日电 国家统计局19日发布数据显示，8月份国民经济运行总体平稳。')
  })

  it('strips tracking parameters for the canonical link only', () => {
    expect(entries[1].url).toBe('https://www.chinanews.com.cn/sh/2024/09-19/10288790.shtml?utm_source=rss&spm=1.2')
    expect(entries[1].canonicalUrl).toBe('https://www.chinanews.com.cn/sh/2024/09-19/10288790.shtml')
  })

  it('finds the origin in a 来源： line', () => {
    expect(entries[1].origin).toBe('安康日报')
    expect(entries[0].origin).toBeUndefined()
  })

  it('gives 32-hex ids that are their own cluster', () => {
    for (const e of entries) {
      expect(e.id).toMatch(/^[0-9a-f]{32}$/)
      expect(e.clusterId).toBe(e.id)
      expect(e.sourceId).toBe('chinanews-scroll')
      expect(e.contentHash).toMatch(/^[0-9a-f]{16}$/)
    }
    expect(new Set(entries.map((e) => e.id)).size).toBe(2)
  })
})

describe('normalizeFeed: stable ids', () => {
  const edited = (raw: RawFeed): RawFeed => ({
    ...raw,
    entries: raw.entries.map((e) => ({ ...e, title: `${e.title}（更新）`, summaryHtml: `${e.summaryHtml ?? ''}<p>补充内容</p>` })),
  })

  it.each([
    ['link identity', chinanews],
    ['guid identity', feed(chinanews.entries.map((e, i) => ({ ...e, guid: `urn:chinanews:${i}`, link: undefined })))],
    ['guid wins over a shared link', feed(homePageFeed.entries.map((e, i) => ({ ...e, guid: `gov-${i}` })))],
  ])('%s: an edited title or body keeps the id, changes the content hash', (_name, raw) => {
    const first = normalizeFeed(raw, ctx()).entries
    const second = normalizeFeed(edited(raw), ctx({ now: new Date(NOW.getTime() + 3_600_000) })).entries
    expect(second.map((e) => e.id)).toEqual(first.map((e) => e.id))
    second.forEach((e, i) => expect(e.contentHash).not.toBe(first[i].contentHash))
  })

  it('does not depend on tracking parameters or fragments in the link', () => {
    const a = normalizeFeed(feed([entry({ title: 't', link: 'https://example.com/a?utm_source=x#top' })]), ctx()).entries[0]
    const b = normalizeFeed(feed([entry({ title: 't', link: 'https://EXAMPLE.com/a' })]), ctx()).entries[0]
    expect(a.id).toBe(b.id)
  })

  it('differs between sources for the same guid', () => {
    const raw = feed([entry({ guid: 'https://example.com/1', title: 't' })])
    const a = normalizeFeed(raw, ctx()).entries[0]
    const b = normalizeFeed(raw, ctx({ source: source({ id: 'other' }) })).entries[0]
    expect(a.id).not.toBe(b.id)
  })
})

describe('normalizeFeed: links that identify no item', () => {
  it('gives home-page links distinct ids, no canonical link, and the same id as no link at all', () => {
    const { entries, ambiguousLinks } = normalizeFeed(homePageFeed, ctx())
    expect(new Set(entries.map((e) => e.id)).size).toBe(3)
    for (const e of entries) expect(e.canonicalUrl).toBeUndefined()
    expect(entries[0].url).toBe('https://www.example.gov.cn/')
    // A root link is ambiguous by itself: the same entries without links get the same ids.
    const unlinked = normalizeFeed(feed(homePageFeed.entries.map((e) => ({ ...e, link: undefined }))), ctx()).entries
    expect(unlinked.map((e) => e.id)).toEqual(entries.map((e) => e.id))
    expect(ambiguousLinks).toEqual(['https://www.example.gov.cn/'])
  })

  it('reports a section page shared by different items as ambiguous, and gives them distinct ids', () => {
    const list = 'https://www.example.gov.cn/xwzx/list.html'
    const raw = feed([
      entry({ title: '通知一', link: list, published: '2024-09-19 10:00' }),
      entry({ title: '通知二', link: `${list}#2`, published: '2024-09-19 11:00' }),
      entry({ title: '独立文章', link: 'https://www.example.gov.cn/xwzx/c1.html' }),
    ])
    const { entries, ambiguousLinks } = normalizeFeed(raw, ctx())
    expect(ambiguousLinks).toEqual([list])
    expect(entries).toHaveLength(3)
    expect(new Set(entries.map((e) => e.id)).size).toBe(3)
    expect(entries.map((e) => e.canonicalUrl)).toEqual([undefined, undefined, 'https://www.example.gov.cn/xwzx/c1.html'])
  })

  it('remembers a link found ambiguous in an earlier poll, even when it now appears once', () => {
    const list = 'https://www.example.gov.cn/xwzx/list.html'
    const raw = feed([entry({ title: '通知三', link: list, published: '2024-09-20 09:00' })])
    const fresh = normalizeFeed(raw, ctx()).entries[0]
    const remembered = normalizeFeed(raw, ctx({ ambiguousLinks: new Set([list]) }))
    expect(remembered.entries[0].id).not.toBe(fresh.id)
    expect(remembered.entries[0].canonicalUrl).toBeUndefined()
    expect(remembered.ambiguousLinks).toEqual([])
  })

  it('keeps one copy of an item repeated in the feed, with a warning', () => {
    const item = entry({ guid: 'urn:1', title: '重复', summaryHtml: 'a' })
    const { entries, warnings } = normalizeFeed(feed([item, { ...item, title: '重复（改）' }]), ctx())
    expect(entries).toHaveLength(1)
    expect(entries[0].title).toBe('重复')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^normalize: entry 1 repeats entry 0/)
  })
})

describe('normalizeFeed: dates', () => {
  it.each([
    ['zone-less, source zone', { published: '2024-09-19 17:11:51' }, '2024-09-19T09:11:51.000Z', 'source'],
    ['RFC 822 with zone', { published: 'Thu, 19 Sep 2024 17:11:51 +0800' }, '2024-09-19T09:11:51.000Z', 'source'],
    ['updated only', { updated: '2024-09-19T09:11:51Z' }, '2024-09-19T09:11:51.000Z', 'source'],
    ['unreadable published, readable updated', { published: '某天', updated: '2024-09-19T09:11:51Z' }, '2024-09-19T09:11:51.000Z', 'source'],
    ['missing', {}, NOW.toISOString(), 'first-seen'],
    ['unreadable', { published: 'sometime soon' }, NOW.toISOString(), 'first-seen'],
    ['tomorrow', { published: '2024-09-21 09:00:00' }, NOW.toISOString(), 'first-seen'],
    ['just beyond the tolerance', { published: new Date(NOW.getTime() + FUTURE_DATE_TOLERANCE_MS + 1000).toISOString() }, NOW.toISOString(), 'first-seen'],
    ['within the tolerance', { published: new Date(NOW.getTime() + FUTURE_DATE_TOLERANCE_MS - 1000).toISOString() }, new Date(NOW.getTime() + FUTURE_DATE_TOLERANCE_MS - 1000).toISOString(), 'source'],
  ] as const)('%s', (_name, dates, published, dateFrom) => {
    const [e] = normalizeFeed(feed([entry({ title: 't', link: 'https://example.com/a', ...dates })]), ctx()).entries
    expect(e.published).toBe(published)
    expect(e.dateFrom).toBe(dateFrom)
  })

  it('warns about a date it could not use', () => {
    const { warnings } = normalizeFeed(feed([entry({ title: 't', published: '2030-01-01 00:00' })]), ctx())
    expect(warnings).toEqual(['normalize: entry 0: date 2029-12-31T16:00:00.000Z is in the future, dated first-seen (source chinanews-scroll)'])
  })
})

describe('normalizeFeed: URLs', () => {
  it.each([
    ['entry base (xml:base) first', { link: 'a.html', baseUrl: 'https://news.example.org/2024/' }, { link: 'https://site.example.org/' }, 'https://news.example.org/2024/a.html'],
    ['then the feed link', { link: '/a.html' }, { link: 'https://site.example.org/x/' }, 'https://site.example.org/a.html'],
    ['then the feed URL', { link: 'a.html' }, { link: undefined }, 'https://www.chinanews.com.cn/rss/a.html'],
    ['a relative feed link against the feed URL', { link: 'a.html' }, { link: '/news/' }, 'https://www.chinanews.com.cn/news/a.html'],
    ['a permalink guid when there is no link', { guid: 'https://example.com/p/1' }, {}, 'https://example.com/p/1'],
    ['not a guid marked isPermaLink="false"', { guid: 'https://example.com/p/1', guidIsPermaLink: false }, {}, undefined],
    ['not a guid that is no http URL', { guid: 'urn:uuid:1' }, {}, undefined],
    ['not a javascript: link', { link: 'javascript:void(0)' }, {}, undefined],
  ] as const)('%s', (_name, entryFields, feedFields, url) => {
    const [e] = normalizeFeed(feed([entry({ title: 't', ...entryFields })], feedFields), ctx()).entries
    expect(e.url).toBe(url)
  })

  it('resolves links and images in the content against the entry base', () => {
    const [e] = normalizeFeed(
      feed([entry({ title: 't', baseUrl: 'https://news.example.org/2024/', contentHtml: '<a href="b.html" onclick="x()">b</a><img src="../i.png"><script>alert(1)</script>' })]),
      ctx(),
    ).entries
    expect(e.html).toBe('<a href="https://news.example.org/2024/b.html" rel="noopener noreferrer">b</a><img src="https://news.example.org/i.png" />')
  })

  it('makes enclosure URLs absolute and drops unusable ones', () => {
    const [e] = normalizeFeed(
      feed([entry({ title: 't', enclosures: [{ url: '/v.mp4', type: 'video/mp4', length: 1024 }, { url: 'javascript:x' }, { url: 'a.mp3', length: Number.NaN }] })]),
      ctx(),
    ).entries
    expect(e.enclosures).toEqual([
      { url: 'https://www.chinanews.com.cn/v.mp4', type: 'video/mp4', length: 1024 },
      // No type given: the extension's (RSS 2.0 requires one on <enclosure>).
      { url: 'https://www.chinanews.com.cn/a.mp3', type: 'audio/mpeg' },
    ])
  })
})

describe('normalizeFeed: text', () => {
  it('drops ruby annotations from text and excerpt, keeps them in html', () => {
    const [e] = normalizeFeed(feed([entry({ title: '漢濱<ruby>區<rp>(</rp><rt>qū</rt><rp>)</rp></ruby>', contentHtml: '<p>漢濱<ruby>區<rp>(</rp><rt>qū</rt><rp>)</rp></ruby>政協</p>' })]), ctx()).entries
    expect(e.title).toBe('漢濱區')
    expect(e.text).toBe('漢濱區政協')
    expect(e.excerpt).toBe('漢濱區政協')
    expect(e.html).toBe('<p>漢濱<ruby>區<rp>(</rp><rt>qū</rt><rp>)</rp></ruby>政協</p>')
  })

  it('cleans the scraped regional sample article', () => {
    const html = sampleArticle.split('\n').map((line) => `<p>${line}</p>`).join('\n')
    const [e] = normalizeFeed(feed([entry({ title: '漢濱區政協：堅持黨建引領 推動政協事業高質量發展', contentHtml: html, published: sampleArticle.slice(0, 19) })]), ctx()).entries
    expect(e.origin).toBe('各界新聞網')
    expect(e.published).toBe('2024-09-19T09:11:51.000Z')
    // the dateline and 來源 line are the site's own lines: the excerpt starts at the story (issue 3 §3)
    expect(e.excerpt.startsWith('漢濱區政協十六屆以來,區政協黨組始終堅持')).toBe(true)
    expect(e.excerpt.endsWith('…')).toBe(true)
    expect(e.html).toContain('<p>2024-09-19 17:11:51 來源:各界新聞網</p>')
  })

  it.each([
    ['entities, tags and whitespace in the title', { title: ' <b>A&amp;B</b>\n  &quot;新闻&quot;\u0000 ' }, 'A&B "新闻"'],
    ['a plain title keeps its <', { title: 'x<y 与 a&b' }, 'x<y 与 a&b'],
    ['empty title from the text', { title: '  ', summaryHtml: `<p>${'字'.repeat(100)}</p><p>第二段</p>` }, `${'字'.repeat(59)}…`],
    ['no title, no text: the enclosure file name, decoded', { title: '', enclosures: [{ url: 'https://fm.example.cn/%E7%AC%AC12%E6%9C%9F.mp3' }] }, '第12期.mp3'],
    ['no title, no text, an enclosure without a file name', { enclosures: [{ url: 'https://fm.example.cn/' }] }, UNTITLED],
    ['only a link', { link: 'https://example.cn/a.html' }, UNTITLED],
    ['only a content image', { contentHtml: '<img src="https://example.cn/a.jpg">' }, UNTITLED],
  ])('%s', (_name, fields, title) => {
    const [e] = normalizeFeed(feed([entry(fields)]), ctx()).entries
    expect(e.title).toBe(title)
  })

  it('escapes plain-text content', () => {
    const [e] = normalizeFeed(feed([entry({ title: 't', contentText: 'a < b & c\n第二行' })], { format: 'json' }), ctx()).entries
    expect(e.html).toBe('a &lt; b &amp; c<br />第二行')
    expect(e.text).toBe('a < b & c\n第二行')
  })

  it('prefers full content over the summary', () => {
    const [e] = normalizeFeed(feed([entry({ title: 't', contentHtml: '<p>全文</p>', summaryHtml: '<p>摘要</p>' })]), ctx()).entries
    expect(e.text).toBe('全文')
  })

  it('cleans authors and categories', () => {
    const [e] = normalizeFeed(
      feed([entry({ title: 't', authors: ['editor@example.com (张三)', ' 李四 ', '', '李四'], categories: ['<b>国内</b>', '国内', ' 时政 '] })]),
      ctx(),
    ).entries
    expect(e.authors).toEqual(['张三', '李四'])
    expect(e.categories).toEqual(['国内', '时政'])
  })
})

describe('normalizeFeed: entries with nothing to show or follow (issue 10)', () => {
  const raw = feed([
    entry({ title: '有标题' }),
    entry({ guid: 'urn:empty:1', published: '2024-09-19 10:00' }),
    entry({ summaryHtml: '<p> </p><script>alert(1)</script>' }),
    entry({ link: 'javascript:void(0)', enclosures: [{ url: 'javascript:x' }] }),
    entry({ summaryHtml: '<p>只有正文</p>' }),
  ])

  it('skips them, counts them and names each in a warning; keeps the rest', () => {
    const { entries, skipped, warnings } = normalizeFeed(raw, ctx())
    expect(entries.map((e) => e.title)).toEqual(['有标题', '只有正文'])
    expect(skipped).toBe(3)
    expect(warnings).toEqual([1, 2, 3].map((i) => `normalize: entry ${i}: no title, text, link or enclosure, skipped (source chinanews-scroll)`))
  })

  it('counts none in a feed where every entry has something', () => {
    expect(normalizeFeed(chinanews, ctx()).skipped).toBe(0)
  })
})

