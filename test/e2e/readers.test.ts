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
 * stored is then read from that SQLite cache (rss_item: title, url, pubDate, guid).
 */
describe.skipIf(!NEWSBOAT)('newsboat (skipped when newsboat is absent)', () => {
  type Row = { guid: string; title: string; url: string; pubDate: number }
  const read = new Map<string, Row[]>()

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
        return await new Promise((resolve, reject) => db.all('SELECT guid, title, url, pubDate FROM rss_item WHERE feedurl = ?', [url], (error, rows) => (error ? reject(error) : resolve(rows as Row[]))))
      } finally {
        await new Promise<void>((resolve) => db.close(() => resolve()))
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

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
