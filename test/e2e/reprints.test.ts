import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import iconv from 'iconv-lite'
import { startFeedServer, type Served } from '../helpers/servers.js'
import { runCli, startWeb, type Web } from '../helpers/feedloom.js'
import { assertWellFormedXml, validateJsonFeed } from '../helpers/validate.js'

/**
 * Reprint clustering as an operator sees it (issue 3 §3, §5, §6): three portals carry one story —
 * 安康新闻网 first polled, 文匯網 in Big5 and traditional script with other headline punctuation,
 * 华商网 polled last but dated earliest — beside a same-template warning of another day
 * (fixtures in test/fixtures/reprints/e2e, see the README there).
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/reprints/e2e')
const fixture = (name: string) => readFileSync(join(FIXTURES, name))
const STORY = /旬[阳陽]汉江三桥|旬陽漢江三橋/

const files = new Map<string, Served>([
  ['/akxw.xml', { body: fixture('akxw.xml'), contentType: 'application/rss+xml; charset=utf-8' }],
  ['/wenwei.xml', { body: iconv.encode(fixture('wenwei.xml').toString('utf8'), 'big5'), contentType: 'application/rss+xml' }],
  ['/hanbin.xml', { body: fixture('hanbin.xml'), contentType: 'application/rss+xml; charset=utf-8' }],
  // 华商网's feed has not carried the story yet at the first poll.
  ['/hsw.xml', { body: Buffer.from(fixture('hsw.xml').toString('utf8').replace(/<item>[\s\S]*<\/item>/, '')), contentType: 'application/rss+xml; charset=utf-8' }],
])

let feeds: Awaited<ReturnType<typeof startFeedServer>>
let configPath: string
let storeUrl: string
let web: Web

async function poll(...sources: string[]): Promise<string> {
  const { code, out } = await runCli(['poll', ...sources.flatMap((s) => ['--source', s])], configPath, storeUrl)
  expect(code, out).toBe(0)
  return out
}

interface Item {
  id: string
  title: string
  summary?: string
  content_html: string
  authors?: Array<{ name: string }>
  _feedloom: { source: { id: string }; origin?: string; also_reported_by: Array<{ source_id: string; source_title: string; title: string; url?: string; date_published: string }> }
}

async function feed(path = '/feeds/local.json?limit=200'): Promise<{ items: Item[] }> {
  const parsed = await web.json(path)
  expect(validateJsonFeed(parsed)).toEqual([])
  return parsed
}

const stories = (items: Item[]) => items.filter((i) => STORY.test(i.title))

beforeAll(async () => {
  feeds = await startFeedServer(files)
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-reprints-'))
  configPath = join(dir, 'feeds.config.json')
  storeUrl = `sqlite://${join(dir, 'store.sqlite')}`
  const source = (id: string, title: string, extra = {}) => ({ id, title, url: `${feeds.url}/${id}.xml`, categories: ['local'], homepage: `https://${id}.example/`, ...extra })
  writeFileSync(
    configPath,
    JSON.stringify({
      site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
      disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。', contact: '电话：029-00000000' },
      defaults: { timezone: 'Asia/Shanghai', retentionDays: 3650 },
      categories: { local: { title: '本地' } },
      sources: [
        source('akxw', '安康新闻网'),
        // The simplified keyword must drop the traditional-script advert (`廣告`).
        source('wenwei', '文匯網', { exclude: ['广告'] }),
        source('hanbin', '汉滨区融媒体中心'),
        source('hsw', '华商网'),
      ],
    }),
  )
  // One source at a time, so which item arrives first is certain.
  await poll('akxw')
  await poll('wenwei')
  await poll('hanbin')
  await poll('hsw')

  web = await startWeb(configPath, storeUrl)
})

afterAll(async () => {
  await web?.close()
  await feeds?.close()
})

describe('reprints across sources', () => {
  let firstId: string

  it('publishes the story once, under the first source, with the traditional-script reprint listed', async () => {
    const { items } = await feed()
    const [story, ...more] = stories(items)
    expect(more).toEqual([])
    firstId = story.id
    expect(story._feedloom.source.id).toBe('akxw')
    expect(story._feedloom.also_reported_by).toEqual([
      { source_id: 'wenwei', source_title: '文匯網', title: '旬陽漢江三橋建成通車，兩岸群眾出行時間縮短40分鐘', url: 'https://www.wenweipo.example/a/202409/26/AP66f4c1a2.html', date_published: '2024-09-26T03:05:00.000Z' },
    ])
    expect(story.content_html).toMatch(/亦见于：<a href="https:\/\/www\.wenweipo\.example\/a\/202409\/26\/AP66f4c1a2\.html">文匯網<\/a>/)
  })

  it('reads origin and credits from the text, and keeps the portal lines out of the excerpt', async () => {
    const [story] = stories((await feed()).items)
    expect(story._feedloom.origin).toBe('安康日报')
    expect(story.content_html).toContain('来源：安康日报')
    expect(story.authors).toEqual([{ name: '王帅' }, { name: '刘洋' }, { name: '孙璐莹' }])
    expect(story.summary).toMatch(/^9月26日上午，旬阳汉江三桥正式建成通车。/)
    for (const line of ['来源：', '编辑：', '仅代表作者', '029-63903870', '（记者']) expect(story.summary).not.toContain(line)
    // the original content is kept as published
    expect(story.content_html).toContain('<p>编辑：孙璐莹</p>')
  })

  it('keeps the same-template warning of another day apart', async () => {
    const warnings = (await feed()).items.filter((i) => i.title === '汉滨区气象台发布暴雨黄色预警信号')
    expect(warnings.map((w) => w._feedloom.source.id).sort()).toEqual(['akxw', 'hanbin'])
    for (const w of warnings) expect(w._feedloom.also_reported_by).toEqual([])
  })

  it('drops the advert a simplified exclude word names in traditional script', async () => {
    const titles = (await feed('/feeds/local.json?source=wenwei')).items.map((i) => i.title)
    expect(titles).toEqual(['旬陽漢江三橋建成通車，兩岸群眾出行時間縮短40分鐘'])
  })

  it('keeps the published id when a member dated earlier arrives later; shows it from that member', async () => {
    files.set('/hsw.xml', { body: fixture('hsw.xml'), contentType: 'application/rss+xml; charset=utf-8' })
    expect(await poll('hsw')).toMatch(/ok\s+hsw: 1 new/)

    const [story, ...more] = stories((await feed()).items)
    expect(more).toEqual([])
    expect(story.id).toBe(firstId)
    expect(story._feedloom.source.id).toBe('hsw')
    expect(story.title).toBe('旬阳汉江三桥建成通车：两岸群众出行时间缩短40分钟（图）')
    expect(story._feedloom.also_reported_by.map((a) => [a.source_id, a.date_published])).toEqual([
      ['akxw', '2024-09-26T02:30:12.000Z'],
      ['wenwei', '2024-09-26T03:05:00.000Z'],
    ])
    expect(story.content_html).toMatch(/亦见于：<a [^>]+>安康新闻网<\/a>、<a [^>]+>文匯網<\/a>/)
  })

  it('says the same in RSS: one item, under the same guid', async () => {
    const { text: rss } = await web.get('/feeds/local.rss?limit=200')
    assertWellFormedXml(rss)
    const items = rss.split('<item>').slice(1).filter((i) => STORY.test(i.split('</title>')[0]))
    expect(items).toHaveLength(1)
    expect(items[0]).toContain(`<guid isPermaLink="false">${firstId}</guid>`)
  })
})
