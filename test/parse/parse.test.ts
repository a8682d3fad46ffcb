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

describe('namespaces under any prefix (issue 10)', () => {
  it.each([
    ['prefixed.atom', 'atom', ['旬阳市2024年秋季征兵工作通告', '关于蜀河古镇景区道路临时交通管制的公告', '旬阳市第十九届人民代表大会常务委员会公告']],
    ['rdf.xml', 'rdf', ['石门十三品的拓片', '褒斜道上的栈道孔']],
    ['dotnet-a10.xml', 'rss', ['个体工商户设立登记', '城乡居民养老保险参保登记']],
  ])('%s: every titled entry, as a %s feed', async (file, format, titles) => {
    const feed = await parseFeed(read(join(FIXTURES, file)), { url: URL_ })
    expect(feed.format).toBe(format)
    expect(feed.entries.map((e) => e.title)).toEqual(titles)
    expect(feed.warnings).toEqual([])
  })

  it('reads a prefixed Atom feed whole: links, dates, categories, the feed link', async () => {
    const feed = await parseFeed(read(join(FIXTURES, 'prefixed.atom')), { url: URL_ })
    expect(feed).toMatchObject({ title: '旬阳市人民政府 · 政务公开', link: 'https://www.xunyang.example.gov.cn/zwgk/', language: 'zh-CN' })
    expect(feed.entries[0]).toMatchObject({
      guid: 'urn:uuid:0d6c1f3e-1a2b-4c3d-8e9f-000000000101',
      link: '/zwgk/tzgg/202409/t20240919_101.html',
      published: '2024-09-19T08:30:00+08:00',
      updated: '2024-09-19T09:00:00+08:00',
      categories: ['通知公告'],
      summaryHtml: '<p>根据上级部署，现将我市2024年秋季征兵工作有关事项通告如下。</p>',
    })
    // XHTML bound to a prefix of its own comes out as plain HTML elements.
    expect(feed.entries[1].contentHtml).toBe('<div><p>管制时间：9月21日至9月22日。</p><p>请过往车辆绕行。</p></div>')
  })

  it('reads Atom elements inside RSS under any prefix (.NET writes a10:): dates and authors', async () => {
    const feed = await parseFeed(read(join(FIXTURES, 'dotnet-a10.xml')), { url: URL_ })
    expect(feed.entries[0]).toMatchObject({ published: '2024-09-19T15:20:00+08:00', updated: '2024-09-19T16:00:00+08:00', authors: ['商洛市行政审批服务局'] })
    expect(feed.entries[1]).toMatchObject({ updated: '2024-09-18T09:45:00+08:00' })
    expect(feed.entries[1].published).toBeUndefined()
  })

  const RSS2 = 'http://backend.userland.com/rss2'
  it.each([
    ['RSS 2.0 in a prefix of its own', `<r:rss version="2.0" xmlns:r="${RSS2}"><r:channel><r:title>c</r:title><r:item><r:title>a</r:title><r:link>https://x.example/a</r:link></r:item></r:channel></r:rss>`, { title: 'a', link: 'https://x.example/a' }],
    ['RSS 1.0 in the rss: prefix', '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rss="http://purl.org/rss/1.0/"><rss:channel rdf:about="https://x.example/"><rss:title>c</rss:title></rss:channel><rss:item rdf:about="https://x.example/a"><rss:title>a</rss:title></rss:item></rdf:RDF>', { title: 'a', guid: 'https://x.example/a' }],
    ['Atom with both a default and an atom: prefix', '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:atom="http://www.w3.org/2005/Atom"><atom:entry><title>a</title><atom:link href="https://x.example/a"/><atom:published>2024-09-19T08:00:00Z</atom:published></atom:entry></feed>', { title: 'a', link: 'https://x.example/a', published: '2024-09-19T08:00:00Z' }],
    ['Atom as the default namespace of one RSS element', '<rss version="2.0"><channel><item><title>a</title><published xmlns="http://www.w3.org/2005/Atom">2024-09-19T08:00:00Z</published></item></channel></rss>', { title: 'a', published: '2024-09-19T08:00:00Z' }],
    ['an upper-case iTunes namespace URI', '<rss xmlns:i="http://www.itunes.com/DTDs/Podcast-1.0.dtd"><channel><item><title>a</title><i:image href="https://x.example/a.jpg"/></item></channel></rss>', { image: 'https://x.example/a.jpg' }],
    ['Media RSS without its trailing slash', '<rss xmlns:m="http://search.yahoo.com/mrss"><channel><item><title>a</title><m:thumbnail url="https://x.example/t.jpg"/></item></channel></rss>', { image: 'https://x.example/t.jpg' }],
  ])('%s', async (_name, xml, expected) => {
    const feed = await parseFeed(xml, { url: URL_ })
    expect(feed.entries).toHaveLength(1)
    expect(feed.entries[0]).toMatchObject(expected)
  })

  it('does not take another vocabulary bound to one of our prefixes for ours', async () => {
    const xml = '<rss version="2.0" xmlns:dc="http://example.org/not-dublin-core"><channel><item><title>a</title><dc:date>never</dc:date><dc:creator>nobody</dc:creator></item></channel></rss>'
    const [entry] = (await parseFeed(xml, { url: URL_ })).entries
    expect(entry.published).toBeUndefined()
    expect(entry.authors).toEqual([])
  })

  it('keeps the line of a syntax error after renaming', async () => {
    const xml = '<a:feed\n  xmlns:a="http://www.w3.org/2005/Atom">\n<a:entry>\n<a:title>x</a:titel>\n</a:entry></a:feed>'
    await expect(parseFeed(xml, { url: URL_ })).rejects.toThrow(/^parse: malformed XML at line 4: /)
  })
})

describe('a feed that holds entries never reads as empty without an error (issue 10)', () => {
  it.each([
    ['Atom in a namespace that is not Atom', '<x:feed xmlns:x="urn:example:not-atom"><x:entry><x:title>a</x:title></x:entry><x:entry><x:title>b</x:title></x:entry></x:feed>', 'parse: not a feed: Feed not recognized as RSS 1 or 2. (source s)'],
    ['RSS whose items rss-parser cannot reach', '<rss version="2.0"><channel><title>c</title></channel><channel><item><title>a</title></item></channel></rss>', 'parse: <rss> holds 1 <item> element but none could be read (source s)'],
  ])('%s', async (_name, xml, message) => {
    await expect(parseFeed(xml, { url: URL_, sourceId: 's' })).rejects.toThrow(message)
  })

  it('an RSS feed with no items is empty, and says so only when the root is bare', async () => {
    expect((await parseFeed('<rss version="2.0"><channel><title>c</title></channel></rss>', { url: URL_ })).entries).toEqual([])
    expect((await parseFeed('<rss></rss>', { url: URL_ })).warnings).toEqual(['feed: <rss> is empty'])
  })
})

describe('dates from extension elements, by preference (issue 10)', () => {
  const item = (dates: string) =>
    `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"><channel><item><title>t</title>${dates}</item></channel></rss>`
  it.each([
    ['pubDate first', '<atom:published>2024-01-02T00:00:00Z</atom:published><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>', 'Mon, 01 Jan 2024 00:00:00 GMT', undefined],
    ['then atom:published', '<dc:date>2024-01-03T00:00:00Z</dc:date><atom:published>2024-01-02T00:00:00Z</atom:published>', '2024-01-02T00:00:00Z', undefined],
    ['then dc:date', '<dcterms:created>2024-01-04T00:00:00Z</dcterms:created><dc:date>2024-01-03T00:00:00Z</dc:date>', '2024-01-03T00:00:00Z', undefined],
    ['then dcterms:created', '<dcterms:modified>2024-01-05T00:00:00Z</dcterms:modified><dcterms:created>2024-01-04T00:00:00Z</dcterms:created>', '2024-01-04T00:00:00Z', '2024-01-05T00:00:00Z'],
    ['atom:updated as the update date', '<atom:updated>2024-01-06T00:00:00Z</atom:updated>', undefined, '2024-01-06T00:00:00Z'],
    ['dcterms:modified as the update date', '<dcterms:modified>2024-01-05T00:00:00Z</dcterms:modified>', undefined, '2024-01-05T00:00:00Z'],
  ])('%s', async (_name, dates, published, updated) => {
    const [entry] = (await parseFeed(item(dates), { url: URL_ })).entries
    expect(entry.published).toBe(published)
    expect(entry.updated).toBe(updated)
  })
})

describe('inline XHTML content keeps its order (RFC 4287 §3.1.1.3)', () => {
  it('hands the markup exactly as written, CDATA inside it escaped', async () => {
    const xml = '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a <b>b</b> c</div></title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>一</p><ul><li>二</li></ul><p>三 <![CDATA[<四>]]> &amp; ]]&gt;</p><br/></div></content></entry></feed>'
    const [entry] = (await parseFeed(xml, { url: URL_ })).entries
    expect(entry.contentHtml).toBe('<div><p>一</p><ul><li>二</li></ul><p>三 &lt;四&gt; &amp; ]]&gt;</p><br /></div>')
    expect(entry.title).toBe('<div>a <b>b</b> c</div>')
  })
})

describe('media in every input format (SPEC §8)', () => {
  it('a podcast with iTunes tags: the enclosure once (also given as media:content), the episode art, a title-less bonus episode', async () => {
    const feed = await parseFeed(read(join(FIXTURES, 'podcast-itunes.xml')), { url: URL_ })
    const mp3 = { url: 'https://media.radio.ankang.example.cn/hjyh/hjyh-042.mp3', type: 'audio/mpeg', length: 28734567 }
    expect(feed.entries[0]).toMatchObject({ enclosures: [mp3, mp3], image: 'https://radio.ankang.example.cn/hjyh/42/cover.jpg' })
    expect(feed.entries[1].title).toBeUndefined()
    expect(feed.entries[1].enclosures).toHaveLength(1)
    // An empty length and type say nothing; itunes:summary describes the episode.
    expect(feed.entries[2]).toMatchObject({ enclosures: [{ url: 'https://media.radio.ankang.example.cn/hjyh/hjyh-041.m4a' }], summaryHtml: '紫阳县的老艄公，在汉江上摆渡了四十年。' })
  })

  it('Atom: every link rel="enclosure" with its type and length, and the Media RSS thumbnail', async () => {
    const feed = await parseFeed(read(join(FIXTURES, 'enclosures.atom')), { url: URL_ })
    expect(feed.entries[0]).toMatchObject({
      enclosures: [
        { url: 'https://cdn.shaannan.example.cn/v/5501-720p.mp4', type: 'video/mp4', length: 73400320 },
        { url: 'https://cdn.shaannan.example.cn/v/5501.mp3', type: 'audio/mpeg', length: 4194304 },
      ],
      image: 'https://cdn.shaannan.example.cn/v/5501-poster.jpg',
    })
    expect(feed.entries[0].contentHtml).toMatch(/^<div>\s*<p>凤堰梯田的稻谷进入收割期。<\/p>\s*<ul><li>面积：一万余亩<\/li><li>海拔：六百米<\/li><\/ul>\s*<p>村民们抢抓晴好天气收割。<\/p>\s*<\/div>$/)
    expect(feed.entries[1]).toMatchObject({ enclosures: [{ type: 'video/mp4', length: 52428800 }] })
    expect(feed.entries[1].title).toBeUndefined()
  })

  it('JSON Feed: attachments with mime_type and size_in_bytes, image, else banner_image', async () => {
    const feed = await parseFeed(read(join(FIXTURES, 'attachments.json')), { url: URL_ })
    expect(feed.entries[0].enclosures).toEqual([
      { url: 'https://cdn.ziyang.example.cn/ep18.mp3', type: 'audio/mpeg', length: 31457280 },
      { url: 'https://cdn.ziyang.example.cn/ep18.m4a', type: 'audio/x-m4a', length: 25165824 },
      { url: 'https://cdn.ziyang.example.cn/ep18-transcript.pdf', type: 'application/pdf' },
    ])
    expect(feed.entries.map((e) => e.image)).toEqual(['https://tea.ziyang.example.cn/ep/18/cover.jpg', undefined, '/ep/16/banner.jpg', undefined])
  })

  it('Media RSS: media:content in and out of media:group, thumbnails at every level, media:title and media:description', async () => {
    const feed = await parseFeed(read(join(FIXTURES, 'media-rss.xml')), { url: URL_ })
    const [photo, bridge, market] = feed.entries
    expect(photo).toMatchObject({
      enclosures: [
        { url: 'https://img.ankang.example.cn/2024/0920/yinghu-2048.jpg', type: 'image/jpeg', length: 1048576 },
        { url: 'https://img.ankang.example.cn/2024/0920/yinghu-1024.jpg', type: 'image/jpeg', length: 262144 },
      ],
      image: 'https://img.ankang.example.cn/2024/0920/yinghu-320.jpg',
      published: '2024-09-20T06:40:00+08:00',
    })
    expect(bridge).toMatchObject({ enclosures: [{ url: 'https://img.ankang.example.cn/2024/0919/bridge.webp' }], image: 'https://img.ankang.example.cn/2024/0919/bridge-thumb.webp', published: '2024-09-19T21:10:00+08:00', updated: '2024-09-19T22:00:00+08:00' })
    expect(market).toMatchObject({ title: '早市', published: '2024-09-18T07:30:00+08:00' })
    const described = await parseFeed('<rss xmlns:media="http://search.yahoo.com/mrss/"><channel><item><media:group><media:description>a &lt; b</media:description></media:group></item></channel></rss>', { url: URL_ })
    expect(described.entries[0]).toMatchObject({ contentText: 'a < b' })
  })
})
