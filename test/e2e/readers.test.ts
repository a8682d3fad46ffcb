/**
 * Real readers and validators over what a polled site serves (issue 4 point 1): every category in
 * every format, plus a script variant and an older page. Python's feedparser and newsboat are the
 * independent judges; each is skipped, with the reason in the test name, where it is not installed.
 */
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as cheerio from 'cheerio'
import { MAX_CONTENT_HTML_CHARS, MAX_TITLE_CHARS } from '../../src/normalize/index.js'
import { convertText } from '../../src/variant/index.js'
import { atomSchematronErrors, feedparserAvailable, feedparserCheck, jingAvailable, validateAtom, validateJsonFeed } from '../helpers/validate.js'
import { rssLintErrors } from '../render/rss-lint.js'
import { CATEGORIES, DISCLAIMER, startPolledSite, type PolledSite } from './polled-site.js'

interface JsonItem {
  id: string
  url: string
  title: string
  date_published: string
}

let site: PolledSite

interface Feed {
  /** The test's name for it; `path` is known once the site runs (an older page's cursor comes from the server). */
  name: string
  path: string
  /** What its JSON Feed twin lists. */
  items: JsonItem[]
}
const OLDER_PAGE = '?before=…'
/** Every feed the readers get: each category in both XML formats, a script variant, and an older page. */
const FEEDS: Feed[] = [
  ...CATEGORIES.flatMap((category) => ['rss', 'atom'].map((format) => `/feeds/${category}.${format}`)),
  ...['rss', 'atom'].flatMap((format) => [`/feeds/all.${format}?variant=zh-Hant`, `/feeds/all.${format}${OLDER_PAGE}`]),
].map((name) => ({ name, path: name, items: [] }))
const cases = (filter: (feed: Feed) => boolean = () => true) => FEEDS.filter(filter).map((feed) => [feed.name, feed] as const)

/** The JSON Feed of the same view: the reference the XML formats are compared with. */
async function jsonTwin(path: string): Promise<JsonItem[]> {
  const twin = path.replace(/\.(rss|atom)/, '.json')
  const { status, text } = await site.get(twin)
  expect(status, text).toBe(200)
  const feed = JSON.parse(text)
  expect(validateJsonFeed(feed)).toEqual([])
  return feed.items
}

beforeAll(async () => {
  site = await startPolledSite({ websubHub: 'https://websub.example.net/' })
  const first = JSON.parse((await site.get('/feeds/all.json?limit=5')).text)
  const olderPage = new URL(first.next_url).search.replace('limit=5&', '')
  for (const feed of FEEDS) {
    feed.path = feed.name.replace(OLDER_PAGE, olderPage)
    feed.items = await jsonTwin(feed.path)
  }
})
afterAll(() => site?.close())

describe('validators', () => {
  it('the site holds every polled story (a reprint pair collapsed)', () => {
    // 6 + 8 + 4 + 4 + 6 + 4 + 6 stored items, the chinanews reprint of people's first story shown once.
    expect(FEEDS[0].items).toHaveLength(37)
  })

  it('an older page starts after the first five stories', () => {
    const older = FEEDS.find((f) => f.name === `/feeds/all.rss${OLDER_PAGE}`)!
    expect(older.path).toMatch(/^\/feeds\/all\.rss\?before=[A-Za-z0-9_-]+$/)
    expect(older.items.map((i) => i.id)).toEqual(FEEDS[0].items.slice(5).map((i) => i.id))
  })

  it.each(cases((f) => f.name.includes('.rss')))('%s: RSS without validator errors or avoidable warnings', async (_name, { path }) => {
    const { text } = await site.get(path)
    expect(rssLintErrors(text)).toEqual([])
    expect(text).toContain(path.includes('variant=zh-Hant') ? convertText(DISCLAIMER, 'zh-Hant') : DISCLAIMER)
  })

  it.each(cases((f) => f.name.includes('.atom')))('%s: Atom passes the grammar (jing when installed) and its Schematron rules', async (_name, { path }) => {
    const { text } = await site.get(path)
    expect(atomSchematronErrors(text)).toEqual([])
    if (jingAvailable()) expect(validateAtom(text)).toEqual([])
  })
})

describe.skipIf(!feedparserAvailable())('feedparser (skipped when Debian python3-feedparser is absent)', () => {
  it.each(cases())('%s: bozo=0 and every item with its id, title, link and date', async (_name, feed) => {
    const { path } = feed
    const { text } = await site.get(path)
    const read = feedparserCheck(text)
    expect(read.bozoException).toBeUndefined()
    expect(read.bozo).toBe(false)
    expect(read.version).toBe(path.includes('.rss') ? 'rss20' : 'atom10')
    expect(read.entries.map((e) => e.id)).toEqual(feed.items.map((i) => i.id))
    expect(read.entries.map((e) => e.link)).toEqual(feed.items.map((i) => i.url))
    for (const entry of read.entries) {
      expect(entry.title.trim()).not.toBe('')
      expect(entry.published).toBeTruthy()
    }
  })
})

const NEWSBOAT = spawnSync('newsboat', ['-v'], { stdio: 'ignore' }).error === undefined

/**
 * newsboat run headless (`-x reload`) with an empty config and its own cache, one run per feed
 * (its cache keys items by guid alone, so a story in two feeds would be stored once); what it
 * stored is then read from that SQLite cache (rss_item: title, url, pubDate, guid, enclosure_url).
 */
type Row = { guid: string; title: string; url: string; pubDate: number; enclosure_url: string | null }

async function newsboat(url: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-newsboat-'))
  try {
    writeFileSync(join(dir, 'urls'), `${url}\n`)
    writeFileSync(join(dir, 'config'), 'download-timeout 30\n')
    // Asynchronously: the server newsboat reads from runs in this process.
    await promisify(execFile)('newsboat', ['-u', join(dir, 'urls'), '-C', join(dir, 'config'), '-c', join(dir, 'cache.db'), '-x', 'reload'], {
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir },
      timeout: 120_000,
    })
    const sqlite3 = (await import('sqlite3')).default
    const db = new sqlite3.Database(join(dir, 'cache.db'), sqlite3.OPEN_READONLY)
    try {
      return await new Promise((resolve, reject) => db.all('SELECT guid, title, url, pubDate, enclosure_url FROM rss_item WHERE feedurl = ?', [url], (error, rows) => (error ? reject(error) : resolve(rows as Row[]))))
    } finally {
      await new Promise<void>((resolve) => db.close(() => resolve()))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.skipIf(!NEWSBOAT)('newsboat (skipped when newsboat is absent)', () => {
  const read = new Map<string, Row[]>()

  beforeAll(async () => {
    await Promise.all(FEEDS.map(async (feed) => read.set(feed.name, await newsboat(site.base + feed.path))))
  }, 180_000)

  it.each(cases())('%s: every item, with its title, link and date', (_name, feed) => {
    const rows = read.get(feed.name)!
    expect(rows.map((row) => row.guid).sort()).toEqual(feed.items.map((i) => i.id).sort())
    const byId = new Map(rows.map((row) => [row.guid, row]))
    for (const item of feed.items) {
      const row = byId.get(item.id)!
      expect(row.title.trim()).not.toBe('')
      expect(row.url).toBe(item.url)
      expect(row.pubDate).toBe(Date.parse(item.date_published) / 1000)
    }
  })
})
/**
 * Media, namespaces and limits end to end (issue 10, issue 12 §5): the parse fixtures — a podcast
 * with iTunes tags, Atom with enclosures, JSON Feed with attachments, Media RSS, Atom written
 * `atom:feed`, RSS 1.0, .NET's `a10:` — and a source with a 1 MB title and megabytes of content,
 * polled with `feedloom poll` and read back by the same judges.
 */
describe('media, namespaces and size limits through a polled site', () => {
  const PARSE = join(import.meta.dirname, '../fixtures/parse')
  const XML = 'application/rss+xml; charset=utf-8'
  /** source id → items its feed holds, and how many of them have nothing to show (skipped). */
  const SOURCES: Record<string, { file: string; type: string; items: number; skipped: number }> = {
    podcast: { file: 'podcast-itunes.xml', type: XML, items: 3, skipped: 0 },
    video: { file: 'enclosures.atom', type: 'application/atom+xml', items: 3, skipped: 0 },
    tea: { file: 'attachments.json', type: 'application/feed+json', items: 4, skipped: 1 },
    photo: { file: 'media-rss.xml', type: XML, items: 5, skipped: 1 },
    xunyang: { file: 'prefixed.atom', type: 'application/atom+xml', items: 3, skipped: 0 },
    hanzhong: { file: 'rdf.xml', type: 'application/rdf+xml', items: 2, skipped: 0 },
    shangluo: { file: 'dotnet-a10.xml', type: XML, items: 2, skipped: 0 },
    huge: { file: '', type: XML, items: 1, skipped: 0 },
  }
  const FORMATS = ['rss', 'atom', 'json'] as const
  let media: Awaited<ReturnType<typeof startPolledSite>>
  let dir: string
  const bodies = new Map<string, string>()
  let json: { items: { id: string; url: string; title: string; image?: string; attachments?: { url: string; mime_type: string }[] }[] }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'feedloom-huge-'))
    const huge = join(dir, 'huge.xml')
    writeFileSync(
      huge,
      `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>超长</title><link>https://huge.example.cn/</link><description>d</description><item><title>${'长标题'.repeat(349_526)}</title><link>https://huge.example.cn/1.html</link><description>${`&lt;p&gt;${'很长的正文。'.repeat(100)}&lt;/p&gt;`.repeat(2000)}</description></item></channel></rss>`,
    )
    media = await startPolledSite(
      {},
      Object.entries(SOURCES).map(([id, { file, type }]) => [`/${id}`, file === '' ? huge : join(PARSE, file), type, id, ['local']]),
    )
    for (const format of FORMATS) {
      const { status, text } = await media.get(`/feeds/local.${format}?limit=200`)
      expect(status, text).toBe(200)
      bodies.set(format, text)
    }
    json = JSON.parse(bodies.get('json')!)
  }, 120_000)
  afterAll(async () => {
    await media?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const kept = Object.values(SOURCES).reduce((sum, { items, skipped }) => sum + items - skipped, 0)

  it('stores every item with something to show, from every feed, and no source failed', async () => {
    expect(json.items).toHaveLength(kept)
    const status = JSON.parse((await media.get('/status.json')).text) as { sources: { id: string; health: string; items: number; skipped: number; lastError?: string }[] }
    for (const [id, { items, skipped }] of Object.entries(SOURCES)) {
      expect(status.sources.find((row) => row.id === id)).toMatchObject({ health: 'ok', items: items - skipped, skipped })
    }
  })

  it('/status shows the skipped count beside the items of a source', async () => {
    const page = (await media.get('/status?lang=en')).text
    expect(page).toContain('1 empty skipped')
    expect((await media.get('/status?lang=zh')).text).toContain('跳过 1 条空条目')
  })

  it('keeps every title within the cap in every format, the 1 MB one too', () => {
    const titles = {
      rss: cheerioTitles(bodies.get('rss')!, 'channel > item > title'),
      atom: cheerioTitles(bodies.get('atom')!, 'feed > entry > title').map(htmlTextOf),
      json: json.items.map((item) => item.title),
    }
    for (const format of FORMATS) {
      expect(titles[format]).toHaveLength(kept)
      for (const title of titles[format]) expect([...new Intl.Segmenter().segment(title.slice(0, 4000))].length).toBeLessThanOrEqual(MAX_TITLE_CHARS)
      expect(titles[format].some((title) => title.startsWith('长标题长标题') && title.endsWith('…'))).toBe(true)
    }
    // The content is capped too: the whole feed is far from the megabytes the source sent.
    for (const format of FORMATS) expect(bodies.get(format)!.length).toBeLessThan(2 * MAX_CONTENT_HTML_CHARS)
  })

  it('titles the items that had none after their text or enclosure file', () => {
    const titles = json.items.map((item) => item.title)
    expect(titles).toEqual(expect.arrayContaining(['特别节目-中秋.mp3', '安康龙舟节.mp4', '预告-第17期.mp3', '本期没有音频，只有文字稿。', '此处暂无内容。']))
  })

  it('publishes each lead image and every file: thumbnails, image enclosures, content pictures', () => {
    const byTitle = new Map(json.items.map((item) => [item.title, item]))
    expect(byTitle.get('第42期：秋茶上市，茶农的一天')).toMatchObject({ image: 'https://radio.ankang.example.cn/hjyh/42/cover.jpg', attachments: [{ url: 'https://media.radio.ankang.example.cn/hjyh/hjyh-042.mp3' }] })
    expect(byTitle.get('汉阴县凤堰梯田迎来秋收')?.attachments).toHaveLength(2)
    expect(byTitle.get('岚皋县南宫山红叶初染')?.image).toBe('https://cdn.shaannan.example.cn/v/5503.jpg')
    expect(byTitle.get('瀛湖晨雾')?.image).toBe('https://img.ankang.example.cn/2024/0920/yinghu-320.jpg')
    expect(byTitle.get('石门十三品的拓片')?.image).toBe('https://blog.hanzhong.example.cn/images/shimen-1.jpg')
    expect(byTitle.get('第18期：富硒茶的秘密')?.attachments).toHaveLength(3)
  })

  it('RSS passes the lint (one enclosure, Media RSS for the rest), Atom jing and Schematron, JSON Feed its schema', () => {
    expect(rssLintErrors(bodies.get('rss')!)).toEqual([])
    expect(atomSchematronErrors(bodies.get('atom')!)).toEqual([])
    if (jingAvailable()) expect(validateAtom(bodies.get('atom')!)).toEqual([])
    expect(validateJsonFeed(json)).toEqual([])
  })

  it.skipIf(!feedparserAvailable())('feedparser reads every item with its files and thumbnail (skipped without python3-feedparser)', () => {
    for (const format of ['rss', 'atom'] as const) {
      const read = feedparserCheck(bodies.get(format)!)
      expect(read.bozoException).toBeUndefined()
      expect(read.bozo).toBe(false)
      expect(read.entries.map((entry) => entry.id)).toEqual(json.items.map((item) => item.id))
      expect(read.entries.map((entry) => [...entry.enclosures, ...entry.mediaContent])).toEqual(json.items.map((item) => (item.attachments ?? []).map((file) => file.url)))
      expect(read.entries.map((entry) => entry.thumbnail)).toEqual(json.items.map((item) => item.image))
      for (const entry of read.entries) expect(entry.title.trim()).not.toBe('')
    }
  })

  it.skipIf(!NEWSBOAT)('newsboat reads every item, title, link and enclosure (skipped when newsboat is absent)', async () => {
    for (const format of ['rss', 'atom'] as const) {
      const rows = await newsboat(`${media.base}/feeds/local.${format}?limit=200`)
      const byId = new Map(rows.map((row) => [row.guid, row]))
      expect([...byId.keys()].sort()).toEqual(json.items.map((item) => item.id).sort())
      for (const item of json.items) {
        const row = byId.get(item.id)!
        expect(row.title.trim()).not.toBe('')
        expect(row.url).toBe(item.url)
        // newsboat keeps one enclosure per item, a podcast's: one of its audio or video files (the
        // last it meets, whether written as <enclosure> or media:content), never an image.
        const playable = (item.attachments ?? []).filter((file) => /^(audio|video)\//.test(file.mime_type)).map((file) => file.url)
        if (playable.length === 0) expect(row.enclosure_url || undefined).toBeUndefined()
        else expect(playable).toContain(row.enclosure_url)
      }
    }
  }, 120_000)
})

function cheerioTitles(xml: string, selector: string): string[] {
  const $ = cheerio.load(xml, { xml: true })
  return $(selector).toArray().map((element) => $(element).text())
}

function htmlTextOf(html: string): string {
  return cheerio.load(html, null, false).text()
}
