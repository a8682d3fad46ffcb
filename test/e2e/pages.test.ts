import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import iconv from 'iconv-lite'
import { startFeedServer, type Served } from '../helpers/servers.js'
import { runCli, startWeb, type Web } from '../helpers/feedloom.js'
import { assertWellFormedXml, atomSchematronErrors, validateJsonFeed } from '../helpers/validate.js'

/**
 * Regional portals without feeds, end to end (issue 6): three portal hosts on 127.0.0.1 (a GBK
 * city government site with robots.txt and two list pages, a UTF-8 news channel whose articles
 * are read by readability, a table-layout county site) and a feed that reprints one portal story,
 * polled with `feedloom poll`, served, previewed and suggested.
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/page')
const DISCLAIMER = '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。'

type Host = Awaited<ReturnType<typeof startFeedServer>>

/** Every file of a fixture folder, served under `prefix`. */
function site(folder: string, prefix: string, contentType: (name: string) => string): Map<string, Served> {
  const files = new Map<string, Served>()
  for (const name of readdirSync(join(FIXTURES, folder))) {
    files.set(`${prefix}${name}`, { body: readFileSync(join(FIXTURES, folder, name)), contentType: contentType(name) })
  }
  return files
}

// Old IIS portals send no charset: the page's <meta charset=gb2312> must decide.
const ankangFiles = site('ankang', '/', (name) => (name.endsWith('.txt') ? 'text/plain' : 'text/html'))
const newsFiles = new Map([...site('news', '/news/sxxw/', () => 'text/html; charset=utf-8')].map(([path, served]) => [path.replace(/\/(t2024\d+_\d+\.html)$/, '/202409/$1').replace('/channel.html', '/index.html'), served]))
const countyFiles = site('county', '/xwzx/zwyw/', () => 'text/html')

let ankang: Host
let news: Host
let county: Host
let dir: string
let configPath: string
let storeUrl: string
let web: Web
let firstPoll: { code: number; out: string }

const run = (...args: string[]) => runCli(args, configPath, storeUrl)
const get = (path: string) => web.get(path)
const json = (path: string) => web.json(path)

interface FeedItem {
  id: string
  url?: string
  title: string
  content_html: string
  date_published: string
  _feedloom: { source: { id: string; url: string }; origin?: string; also_reported_by: Array<{ source_id: string }> }
}

async function localItems(query = ''): Promise<FeedItem[]> {
  return (await json(`/feeds/local.json?limit=200${query}`)).items
}

const byTitle = (items: FeedItem[], title: string) => items.filter((i) => i.title === title)

beforeAll(async () => {
  ankang = await startFeedServer(ankangFiles)
  news = await startFeedServer(newsFiles)
  county = await startFeedServer(countyFiles)
  // The reprinting feed links to the portal's own article URL, as reprint sites do.
  const reprint = readFileSync(join(FIXTURES, 'feeds/reprint.xml'), 'utf8').replaceAll('{{ANKANG}}', ankang.url)
  newsFiles.set('/feeds/dishi.xml', { body: Buffer.from(reprint), contentType: 'application/rss+xml; charset=utf-8' })

  dir = mkdtempSync(join(tmpdir(), 'feedloom-pages-'))
  configPath = join(dir, 'feeds.config.json')
  storeUrl = `sqlite://${join(dir, 'store.sqlite')}`
  // crawlDelay 0: the pause between requests is the politeness tests' subject, not this one's.
  writeFileSync(
    configPath,
    JSON.stringify({
      site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
      disclaimer: { text: DISCLAIMER, contact: '电话：029-00000000' },
      defaults: { timezone: 'Asia/Shanghai' },
      categories: { local: { title: '本地' } },
      sources: [
        {
          id: 'ankang', title: '安康市人民政府 · 要闻', url: `${ankang.url}/Node-1466.html`, categories: ['local'], crawlDelay: 0,
          page: { item: 'ul.list li', title: 'a@title', link: 'a@href', date: 'span', next: 'a:contains("下一页")@href', pages: 2, article: { content: '#zoom', date: '.info' } },
        },
        {
          id: 'xbw', title: '西部网 · 陕西新闻', url: `${news.url}/news/sxxw/index.html`, categories: ['local'], crawlDelay: 0,
          page: { item: '.news-item', title: 'h3 a', link: 'h3 a@href', date: '.time', article: { date: '.info' } },
        },
        { id: 'hanyin', title: '汉阴县人民政府 · 政务要闻', url: `${county.url}/xwzx/zwyw/index.html`, categories: ['local'], page: { item: 'table.newslist tr', title: 'a', link: 'a@href', date: 'td.rq' } },
        { id: 'dishi', title: '陕西网 · 地市', url: `${news.url}/feeds/dishi.xml`, categories: ['local'] },
      ],
    }),
  )
  firstPoll = await run('poll')
})

afterAll(async () => {
  await web?.close()
  await Promise.all([ankang?.close(), news?.close(), county?.close()])
})

describe('page sources, polled and served', () => {
  it('polls feed and page sources together', async () => {
    expect(firstPoll.out).toMatch(/ok\s+ankang: 6 new/) // 4 + 3 on page 2, one listed on both
    expect(firstPoll.out).toMatch(/ok\s+xbw: 4 new/)
    expect(firstPoll.out).toMatch(/ok\s+hanyin: 5 new/)
    expect(firstPoll.out).toMatch(/ok\s+dishi: 2 new/)
    expect(firstPoll.code).toBe(0)
  })

  it('follows "下一页" to the second list page and honours robots.txt', () => {
    expect(ankang.hits.get('/Node-1466_2.html')).toBe(1)
    expect(ankang.hits.get('/robots.txt')).toBe(1)
    // /zwgk/ is disallowed: its article is never requested, the item keeps its list data
    expect(ankang.hits.get('/zwgk/Content-2989.html')).toBeUndefined()
    for (const id of [2991, 2990, 2987, 2985, 2984]) expect(ankang.hits.get(`/Content-${id}.html`), `Content-${id}`).toBe(1)
  })

  it('starts the web server on the polled store', async () => {
    web = await startWeb(configPath, storeUrl)
    expect((await get('/healthz')).text).toBe('ok')
  })

  it.each([
    // title, source, date (no zone: Asia/Shanghai), origin, text in the content, absolute image
    ['安康市召开2024年第三季度经济运行分析会', 'ankang', '2024-09-19T09:11:00.000Z', '安康日报', '全力以赴稳增长', '/Upload/2024/09/19/20240919171105_3321.jpg'],
    ['汉滨区政协十六届以来履职工作综述：守正创新促发展 同心聚力谱新篇', 'ankang', '2024-09-19T02:05:00.000Z', '各界新闻网', '民主监督员', '/Upload/2024/09/19/20240919100512_1187.jpg'],
    ['汉江生态经济带建设项目集中开工', 'ankang', '2024-09-18T08:40:00.000Z', '汉滨区融媒体中心', '一江清水永续北上', '/Upload/2024/09/18/20240918164012_7720.jpg'],
    ['安康至岚皋高速公路建设进入路面施工阶段', 'ankang', '2024-09-17T01:20:00.000Z', '安康市交通运输局', '路面施工阶段', undefined],
    ['西安地铁8号线全线“洞通” 预计2025年底开通运营', 'xbw', '2024-09-19T09:11:51.000Z', '西安日报', '首条环线地铁', '/news/sxxw/202409/images/20240919_8hx.jpg'],
    ['汉中朱鹮种群数量突破万只', 'xbw', '2024-09-18T01:30:00.000Z', '汉中日报', '人鸟和谐共生', undefined],
  ])('serves %s with its article content, date and origin', async (title, sourceId, date, origin, text, image) => {
    const [item, ...more] = byTitle(await localItems(), title)
    expect(more).toHaveLength(0)
    const portal = sourceId === 'ankang' ? ankang : news
    expect(item._feedloom.source.id).toBe(sourceId)
    expect(item.url).toMatch(new RegExp(`^${portal.url}/`))
    expect(item.date_published).toBe(date)
    expect(item._feedloom.origin).toBe(origin)
    expect(item.content_html).toContain(text)
    expect(item.content_html).toContain(DISCLAIMER)
    if (image) expect(item.content_html).toContain(`src="${portal.url}${image}"`)
    // page furniture stays behind: share buttons, font-size links, related news
    expect(item.content_html).not.toMatch(/分享到|doZoom|相关新闻|<script/)
  })

  it('keeps the list data of an item whose article robots.txt forbids or that is gone', async () => {
    const items = await localItems()
    const [notice] = byTitle(items, '安康市人民政府关于2024年秋冬季森林防火工作的通告')
    expect(notice.url).toBe(`${ankang.url}/zwgk/Content-2989.html`)
    expect(notice.content_html).toContain(DISCLAIMER)
    const [film] = byTitle(items, '第十一届丝绸之路国际电影节将于10月在西安开幕') // its article is a 404
    expect(film.date_published).toBe('2024-09-18T12:45:00.000Z')
  })

  it('reads the table-layout county list with its dates in the source zone', async () => {
    const items = await localItems('&source=hanyin')
    expect(items.map((i) => i.title)).toContain('汉阴凤堰古梯田稻谷开镰收割')
    expect(items.find((i) => i.title === '汉阴县召开县政府第三十二次常务会议')?.date_published).toBe('2024-09-18T16:00:00.000Z')
    expect(items.every((i) => i.url?.startsWith(`${county.url}/xwzx/zwyw/202409/`))).toBe(true)
  })

  it('publishes the portal story and its feed reprint once', async () => {
    const copies = (await localItems()).filter((i) => i.title === '安康市召开2024年第三季度经济运行分析会')
    expect(copies).toHaveLength(1)
    const [story] = copies
    expect([story._feedloom.source.id, ...story._feedloom.also_reported_by.map((a) => a.source_id)].sort()).toEqual(['ankang', 'dishi'])
  })

  it('carries page items in valid JSON Feed, RSS and Atom with origin and disclaimer', async () => {
    const feed = await json('/feeds/local.json?limit=200&source=ankang,xbw,hanyin')
    expect(validateJsonFeed(feed)).toEqual([])
    expect(feed.items.length).toBe(15)

    const rss = (await get('/feeds/local.rss?limit=200&source=ankang')).text
    assertWellFormedXml(rss)
    const rssItems = rss.split('<item>').slice(1)
    expect(rssItems.length).toBeGreaterThanOrEqual(5)
    for (const item of rssItems) {
      expect(item).toContain(`<source url="${ankang.url}/Node-1466.html">`)
      expect(item).toContain(DISCLAIMER)
    }
    expect(rss).toContain('来源：安康日报')

    const atom = (await get('/feeds/local.atom?limit=200&source=xbw')).text
    assertWellFormedXml(atom)
    expect(atomSchematronErrors(atom)).toEqual([])
    expect(atom).toContain('来源：西安日报')
    for (const entry of atom.split('<entry>').slice(1)) expect(entry).toContain('<rights')
  })

  it('prints what a page source yields with preview, storing nothing', async () => {
    const before = (await json('/status.json')).sources.find((s: { id: string }) => s.id === 'ankang')
    const { code, out } = await run('preview', '--source', 'ankang')
    expect(code).toBe(0)
    expect(out).toContain(`${ankang.url}/Node-1466.html · HTTP 200 · html · gb18030 (meta) · 6 items`)
    // five tried: four read, the fifth (/zwgk/) forbidden by robots.txt
    expect(out).toContain('article pages: 4 read (at most 5 in a preview)')
    const block = out.slice(out.indexOf('- 安康市召开2024年第三季度经济运行分析会'))
    expect(block).toMatch(new RegExp(`^- 安康市召开2024年第三季度经济运行分析会\\n  link: +${ankang.url}/Content-2991.html\\n  date: +2024-09-19T09:11:00.000Z\\n  content: \\d{3} characters · origin: 安康日报\\n`))
    expect(out).toMatch(/warning: fetch: robots\.txt of 127\.0\.0\.1:\d+ disallows \/zwgk\/Content-2989\.html/)
    const after = (await json('/status.json')).sources.find((s: { id: string }) => s.id === 'ankang')
    expect(after.lastAttempt).toBe(before.lastAttempt)
  })

  it.each([
    ['the GBK government list', () => `${ankang.url}/Node-1466.html`, 'ul.list li', 'span', '安康市召开2024年第三季度经济运行分析会'],
    ['the news channel', () => `${news.url}/news/sxxw/index.html`, 'div.news-item', 'p.time', '西安地铁8号线全线“洞通” 预计2025年底开通运营'],
    ['the table-layout county list', () => `${county.url}/xwzx/zwyw/index.html`, 'table.newslist tr', 'td.rq', '汉阴县召开县政府第三十二次常务会议'],
  ])('suggest finds the item selector of %s', async (_name, url, item, date, firstTitle) => {
    const { code, out } = await run('suggest', url())
    expect(code).toBe(0)
    expect(out).toContain(`page: { item: ${JSON.stringify(item)}, `)
    expect(out).toContain(`date: ${JSON.stringify(date)}`)
    expect(out.slice(out.indexOf('First items it yields:'))).toMatch(new RegExp(`^First items it yields:\\n- ${firstTitle}\\n  link: http://127\\.0\\.0\\.1:\\d+/`))
  })
})

describe('the second poll', () => {
  let second: { code: number; out: string }
  let hitsBefore: Map<string, number>

  beforeAll(async () => {
    hitsBefore = new Map(ankang.hits)
    // The portal's sidebar changed (the list page is modified, its items are not); the county
    // site was redesigned and its list class renamed, so the configured selector finds nothing.
    const page = iconv.decode(ankangFiles.get('/Node-1466.html')!.body, 'gb18030').replace('市政府召开第45次常务会议', '市政府召开第46次常务会议')
    ankangFiles.set('/Node-1466.html', { body: iconv.encode(page, 'gbk'), contentType: 'text/html' })
    const redesigned = readFileSync(join(FIXTURES, 'county/index.html'), 'utf8').replace('class="newslist"', 'class="xxgk-list"')
    countyFiles.set('/xwzx/zwyw/index.html', { body: Buffer.from(redesigned), contentType: 'text/html' })
    second = await run('poll')
  })

  it('never fetches a stored article again and keeps what it gave', async () => {
    expect(second.out).toMatch(/ok\s+ankang: 0 new, 0 updated, 6 kept/)
    expect(ankang.hits.get('/Node-1466.html')).toBe(hitsBefore.get('/Node-1466.html')! + 1)
    for (const id of [2991, 2990, 2987, 2985, 2984]) expect(ankang.hits.get(`/Content-${id}.html`), `Content-${id}`).toBe(hitsBefore.get(`/Content-${id}.html`))
    const [story] = byTitle(await localItems(), '安康市召开2024年第三季度经济运行分析会')
    expect(story._feedloom.origin).toBe('安康日报')
    expect(story.content_html).toContain('全力以赴稳增长')
  })

  it('fails the source whose list selector matches nothing, and keeps its stored items', async () => {
    expect(second.code).toBe(1)
    const failed = second.out.split('\n').find((line) => line.startsWith('FAILED'))
    expect(failed).toMatch(new RegExp(`^FAILED\\s+hanyin: page: page\\.item matched 0 elements on ${county.url.replace(/\./g, '\\.')}/xwzx/zwyw/index\\.html`))
    const status = await json('/status.json')
    const row = status.sources.find((s: { id: string }) => s.id === 'hanyin')
    expect(row).toMatchObject({ health: 'failing', items: 5 })
    expect(row.lastError).toContain(`page.item matched 0 elements on ${county.url}/xwzx/zwyw/index.html`)
    expect((await get('/status')).text).toContain('page.item matched 0 elements on')
    expect(await localItems('&source=hanyin')).toHaveLength(5)
  })
})
