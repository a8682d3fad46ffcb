import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ParseError } from '../../src/errors.js'
import { detectFormat, parseFeed } from '../../src/parse/index.js'

const FIXTURES = fileURLToPath(new URL('../fixtures/parse/', import.meta.url))
const FEEDPARSER = fileURLToPath(new URL('../fixtures/feedparser/tests/', import.meta.url))
const read = (path: string) => readFileSync(path, 'utf8')
const URL_ = 'http://feeds.example.org/feed'

describe('RSS 2.0 from a regional portal (CDATA, HTML entities, bare &, an empty item)', async () => {
  const feed = await parseFeed(read(join(FIXTURES, 'regional-rss.xml')), { url: URL_, sourceId: 'ankang' })

  it('reads the channel, its hub and language', () => {
    expect(feed).toMatchObject({
      format: 'rss',
      title: '安康新闻网 · 本地要闻',
      link: 'http://www.ankang.example.cn/',
      language: 'zh-cn',
      hub: 'https://pubsubhubbub.appspot.com/',
    })
    // &nbsp; and &middot; are HTML entities XML does not define: decoded, not fatal.
    expect(feed.description).toBe('安康新闻网本地要闻\u00a0·\u00a0每日更新')
  })

  it('hands on every item, the empty one too: keeping or skipping is for normalize/', () => {
    expect(feed.entries.map((e) => e.title)).toEqual([
      '汉滨区举办2024年秋季农产品产销对接会 & 招商推介',
      undefined,
      '石泉县：秦巴山区“茶旅融合”助力乡村振兴',
    ])
    expect(feed.entries[1]).toEqual({ authors: [], categories: [], enclosures: [], baseUrl: 'http://www.ankang.example.cn/' })
    expect(feed.warnings.some((w) => w.includes('bare &'))).toBe(true)
  })

  it('hands every field as written, arrays always present', () => {
    const [first, , second] = feed.entries
    expect(first).toEqual({
      guid: 'ankang-12345',
      guidIsPermaLink: false,
      link: 'http://www.ankang.example.cn/html/2024/09/19/12345.html',
      title: '汉滨区举办2024年秋季农产品产销对接会 & 招商推介',
      published: '2024-09-19 17:11:51',
      summaryHtml: '9月19日，汉滨区举办产销对接会…\u00a0来源：安康日报',
      // `]]>` inside content is written as `]]]]><![CDATA[>`; the text is whole again.
      contentHtml: '<p>9月19日上午，汉滨区2024年秋季农产品产销对接会举行。</p><p>代码示例：a[b[0]]>c</p><p>来源：安康日报</p>',
      authors: ['记者 王堃'],
      categories: ['本地', '经济'],
      enclosures: [{ url: 'http://www.ankang.example.cn/uploads/2024/09/19/12345.jpg', type: 'image/jpeg', length: 48213 }],
      baseUrl: 'http://www.ankang.example.cn/',
    })
    expect(second).toMatchObject({ link: '/html/2024/09/19/12346.html', published: 'Thu, 19 Sep 2024 08:30:00 +0800', authors: [], categories: [], enclosures: [] })
    expect(second.guidIsPermaLink).toBeUndefined()
  })
})

describe('Atom with xml:base and a date rss-parser throws on', async () => {
  const feed = await parseFeed(read(join(FIXTURES, 'bad-date.atom')), { url: URL_ })

  it('keeps every entry: the bad date costs nothing but a warning', () => {
    expect(feed.entries.map((e) => e.title)).toEqual(['港島線今早列車服務延誤', '天文台：颱風信號或於今晚改發', '啲車今日塞到㗎'])
    expect(feed.entries[1]).toMatchObject({ published: '今日 18:00', link: 'typhoon-signal', contentHtml: '<p>天文台預料……</p>' })
    expect(feed.warnings).toEqual([expect.stringMatching(/^entry 2: rss-parser failed \(RangeError: Invalid time value\)/)])
  })

  it('reads links by rel, the hub, language, authors, categories and each entry base', () => {
    expect(feed).toMatchObject({ format: 'atom', link: 'https://news.example.hk/', hub: 'https://websub.example.net/', language: 'zh-HK' })
    expect(feed.entries[0]).toMatchObject({
      guid: 'tag:news.example.hk,2024:1001',
      link: '/2024/09/19/mtr-delay',
      published: '2024-09-19T08:05:00+08:00',
      updated: '2024-09-19T08:30:00+08:00',
      authors: ['記者 陳大文'],
      categories: ['交通'],
      summaryHtml: '<p>港鐵表示訊號故障</p>',
      baseUrl: 'https://news.example.hk/',
    })
    expect(feed.entries[1].baseUrl).toBe('https://news.example.hk/archive/')
    expect(feed.entries[2]).toMatchObject({ updated: '2024-09-19T09:00:00+08:00' })
    expect(feed.entries[2].published).toBeUndefined()
  })
})

describe('fields from feedparser fixtures', () => {
  it.each([
    ['wellformed/rss/item_enclosure_multiple.xml', { enclosures: [{ url: 'http://example.com/1', length: 100000, type: 'image/jpeg' }, { url: 'http://example.com/2', length: 200000, type: 'image/gif' }] }],
    ['wellformed/rss/item_category_multiple.xml', { categories: ['Example category 1', 'Example category 2'] }],
    ['wellformed/rss/item_content_encoded.xml', { contentHtml: '<p>Example content</p>' }],
    ['wellformed/rss/item_dc_creator.xml', { authors: ['Example editor'] }],
    ['wellformed/rss/item_guid_not_permalink.xml', { guidIsPermaLink: false }],
    ['wellformed/atom10/entry_link_rel_enclosure.xml', { enclosures: [{ url: 'http://www.example.com/', type: 'text/html' }] }],
    ['wellformed/atom10/entry_category_term_non_ascii.xml', { categories: ['Freiräume'] }],
    ['wellformed/atom10/entry_author_name.xml', { authors: ['Example author'] }],
    ['wellformed/base/entry_content_xml_base.xml', { contentHtml: expect.stringContaining('href="test.html"') }],
  ])('%s', async (path, expected) => {
    const feed = await parseFeed(read(join(FEEDPARSER, path)), { url: URL_ })
    expect(feed.entries[0]).toMatchObject(expected)
  })
})

describe('JSON Feed 1.0 and 1.1', () => {
  const examples = ['v1', 'v1.1'].flatMap((version) =>
    readdirSync(join(FIXTURES, 'jsonfeed', version)).map((name) => join('jsonfeed', version, name)),
  )

  it.each(examples)('%s: every item, with its id, link, content and dates', async (path) => {
    const json = JSON.parse(read(join(FIXTURES, path)))
    const feed = await parseFeed(read(join(FIXTURES, path)), { url: URL_ })
    expect(feed).toMatchObject({ format: 'json', title: json.title, link: json.home_page_url })
    expect(feed.entries).toHaveLength(json.items.length)
    feed.entries.forEach((entry, i) => {
      const item = json.items[i]
      expect(entry.guid).toBe(String(item.id))
      expect(entry.link).toBe(item.url)
      expect(entry.published).toBe(item.date_published)
      expect(entry.contentHtml ?? entry.contentText).toBe(item.content_html ?? item.content_text)
      expect(entry.enclosures).toHaveLength(item.attachments?.length ?? 0)
    })
  })

  it('reads feedparser example.json: 1.0 author, tags, attachments', async () => {
    const feed = await parseFeed(read(join(FEEDPARSER, 'json/example.json')), { url: URL_ })
    expect(feed.title).toBe('My Example Feed')
    expect(feed.entries).toHaveLength(2)
    expect(feed.entries[0]).toMatchObject({
      guid: '2',
      contentText: 'This is a second item.',
      categories: ['test', 'JSON'],
      enclosures: [{ url: 'https://example.org/second-item-show.mp4', type: 'video/mp4', length: 12000000 }],
      baseUrl: 'https://example.org/',
    })
    expect(feed.entries[1]).toMatchObject({ authors: ['you'], contentHtml: '<p>Hello, world!</p>\n\n<script>alert();</script>' })
  })

  it('skips items that are not objects and reads 1.1 authors, summary, external_url and date_modified', async () => {
    const json = JSON.parse(read(join(FIXTURES, 'jsonfeed/v1.1/simple.json')))
    json.items.unshift(42, null, 'item')
    json.items.push({ id: 'x', external_url: 'https://example.org/elsewhere', summary: 'S', date_modified: '2024-09-19T09:11:51Z', authors: [{ name: 'A' }, 'junk', { url: 'https://b.example' }] })
    const feed = await parseFeed(JSON.stringify(json), { url: URL_ })
    expect(feed.warnings.filter((w) => w.endsWith('not an object; skipped'))).toHaveLength(3)
    expect(feed.entries.at(-1)).toMatchObject({ link: 'https://example.org/elsewhere', summaryHtml: 'S', updated: '2024-09-19T09:11:51Z', authors: ['A', 'https://b.example'] })
  })
})

describe('what is not a feed is named clearly', () => {
  it.each([
    ['an HTML page', read(join(FIXTURES, 'portal-page.html')), 'parse: got an HTML page, not a feed (source ankang)'],
    ['bare <html>', '\n<html><head><title>404</title></head></html>', 'parse: got an HTML page, not a feed (source ankang)'],
    ['an OPML file', '<?xml version="1.0"?><opml version="2.0"><body/></opml>', 'parse: not a feed: root element <opml> is not RSS, Atom or RDF (source ankang)'],
    ['an empty body', '   ', 'parse: not a feed: the document is empty (source ankang)'],
    ['comments only', '<!-- nothing here -->\n', 'parse: not a feed: the document has no root element (source ankang)'],
    ['JSON that is not a feed', '{"error": "not found"}', 'parse: not a feed: JSON without a JSON Feed version or items (source ankang)'],
    ['truncated JSON', '{"version": "https://jsonfeed.org/version/1.1", "items": [', /^parse: malformed JSON: .* \(source ankang\)$/],
    ['a truncated feed', '<rss version="2.0"><channel><title>x</title><item><title>a</ti', /^parse: malformed XML at line 1: .* \(source ankang\)$/],
    ['a mismatched tag', '<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>x</titel>\n</channel></rss>', /^parse: malformed XML at line 4: Unexpected close tag/],
  ])('%s', async (_, text, message) => {
    const outcome = parseFeed(text, { url: URL_, sourceId: 'ankang' })
    await expect(outcome).rejects.toBeInstanceOf(ParseError)
    await expect(outcome).rejects.toThrow(message)
  })
})

describe('XML repairs before rss-parser', () => {
  it.each([
    ['a control character', '<rss version="2.0"><channel><item><title>A\u0008B</title></item></channel></rss>', 'AB'],
    ['HTML named entities', '<rss version="2.0"><channel><item><title>A&nbsp;&mdash;&hellip;&copy;</title></item></channel></rss>', 'A\u00a0—…©'],
    ['a bare & and an unknown entity', '<rss version="2.0"><channel><item><title>AT&T &foo; & more</title></item></channel></rss>', 'AT&T &foo; & more'],
    ['an entity from the internal DTD', '<!DOCTYPE rss [<!ENTITY site "安康">]><rss version="2.0"><channel><item><title>&site;新闻</title></item></channel></rss>', '安康新闻'],
    ['entities inside CDATA left alone', '<rss version="2.0"><channel><item><title><![CDATA[A &nbsp; & B]]></title></item></channel></rss>', 'A &nbsp; & B'],
    ['a final close tag cut short', '<rss version="2.0"><channel><item><title>x</title></item></channel></rss', 'x'],
  ])('%s', async (_, xml, title) => {
    const feed = await parseFeed(xml, { url: URL_ })
    expect(feed.entries[0].title).toBe(title)
  })
})

describe('format detection', () => {
  it.each([
    ['\uFEFF<?xml version="1.0"?>\n<!-- c -->\n<?xml-stylesheet href="x"?>\n<rss version="2.0"/>', { kind: 'xml', format: 'rss' }],
    ['<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', { kind: 'xml', format: 'rdf' }],
    ['<!DOCTYPE feed>\n<feed xmlns="http://www.w3.org/2005/Atom"/>', { kind: 'xml', format: 'atom' }],
    ['  {"version": "https://jsonfeed.org/version/1.1"}', { kind: 'json' }],
    ['<!doctype html><title>x</title>', { kind: 'html' }],
  ])('%j', (text, expected) => {
    expect(detectFormat(text)).toMatchObject(expected)
  })
})
