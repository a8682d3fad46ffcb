import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, startWeb, type Web } from '../helpers/feedloom.js'

/**
 * A store file that feedloom wrote before it had its own SQLite adapter (Keyv over @keyv/sqlite 4,
 * @keyv/serialize values, the near-duplicate index as `near:`/`lsh:` records), made by
 * `test/fixtures/store/keyv-sqlite-v4/make.mjs` at commit fcc0b94, with the JSON Feed that version
 * served from it. It must open, serve the same stories under the same ids, and keep clustering.
 */
const FIXTURE = join(import.meta.dirname, '../fixtures/store/keyv-sqlite-v4')
const REPRINTS = join(import.meta.dirname, '../fixtures/reprints/e2e')

interface Item {
  id: string
  title: string
  url?: string
  date_published: string
  content_html: string
  _feedloom: { source: { id: string }; origin?: string; also_reported_by: Array<{ source_id: string; title: string }> }
}

let dir: string
let configPath: string
let storeUrl: string
let web: Web | undefined

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'feedloom-old-store-'))
  copyFileSync(join(FIXTURE, 'feedloom.sqlite'), join(dir, 'feedloom.sqlite'))
  storeUrl = `sqlite://${join(dir, 'feedloom.sqlite')}`
  writeFileSync(join(dir, 'akxw.xml'), readFileSync(join(REPRINTS, 'akxw.xml')))
  writeFileSync(join(dir, 'wenwei.xml'), iconv.encode(readFileSync(join(REPRINTS, 'wenwei.xml'), 'utf8'), 'big5'))
  writeFileSync(join(dir, 'hanbin.xml'), readFileSync(join(REPRINTS, 'hanbin.xml')))
  // 华商网 now carries the story, dated earlier than 安康新闻网's copy.
  writeFileSync(join(dir, 'hsw.xml'), readFileSync(join(REPRINTS, 'hsw.xml')))
  const source = (id: string, title: string, extra = {}) => ({ id, title, url: `file://${join(dir, `${id}.xml`)}`, categories: ['local'], homepage: `https://${id}.example/`, ...extra })
  configPath = join(dir, 'feeds.config.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
      disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。', contact: '电话：029-00000000' },
      defaults: { timezone: 'Asia/Shanghai', retentionDays: 3650 },
      categories: { local: { title: '本地' } },
      sources: [source('akxw', '安康新闻网'), source('wenwei', '文匯網', { exclude: ['广告'] }), source('hanbin', '汉滨区融媒体中心'), source('hsw', '华商网')],
    }),
  )
})

afterAll(async () => {
  await web?.close()
})

const essentials = (item: Item) => ({
  id: item.id,
  title: item.title,
  url: item.url,
  date_published: item.date_published,
  source: item._feedloom.source.id,
  origin: item._feedloom.origin,
  also: item._feedloom.also_reported_by.map((a) => a.source_id),
})

describe('a store written by @keyv/sqlite', () => {
  it('opens and serves what that version served, under the same ids', async () => {
    const before: { items: Item[] } = JSON.parse(readFileSync(join(FIXTURE, 'all.json'), 'utf8'))
    web = await startWeb(configPath, storeUrl)
    const now: { items: Item[] } = await web.json('/feeds/all.json?limit=200')
    expect(now.items.map(essentials)).toEqual(before.items.map(essentials))
    // The stored content, before the footer this version writes (its wording has changed since: issue 11 §10).
    const stored = (i: Item) => i.content_html.split('<hr/><p class="feedloom-footer">')[0]
    expect(now.items.map(stored)).toEqual(before.items.map(stored))
  })

  it('moved the near-duplicate index out of the records, once', () => {
    const db = new Database(join(dir, 'feedloom.sqlite'), { readonly: true })
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n
    expect(count("SELECT count(*) AS n FROM keyv WHERE key LIKE 'feedloom:lsh:%' OR key LIKE 'feedloom:near:%'")).toBe(0)
    expect(count('SELECT count(*) AS n FROM feedloom_near')).toBe(4)
    // Every fingerprint is findable by all of its bands (none of these buckets was full).
    expect(count('SELECT count(*) AS n FROM feedloom_near WHERE length(buckets) = 42 * 6')).toBe(4)
    expect(db.prepare("SELECT value FROM keyv WHERE key = 'feedloom:meta:format'").get()).toEqual({ value: '{"f":2,"value":2}' })
    db.close()
  })

  it('clusters a new reprint with a story stored by the old version, through the moved index', async () => {
    const { code, out } = await runCli(['poll', '--source', 'hsw'], configPath, storeUrl)
    expect(code, out).toBe(0)
    const feed: { items: Item[] } = await web!.json('/feeds/all.json?limit=200')
    const stories = feed.items.filter((i) => /旬[阳陽]汉江三桥|旬陽漢江三橋/.test(i.title))
    expect(stories).toHaveLength(1)
    // The id stays the first member's (安康新闻网's); 华商网, dated earliest, is now the one shown.
    expect(stories[0].id).toBe('urn:uuid:bd9cb378-1d84-5330-a679-6da789610b6b')
    expect(stories[0]._feedloom.source.id).toBe('hsw')
    expect(stories[0]._feedloom.also_reported_by.map((a) => a.source_id).sort()).toEqual(['akxw', 'wenwei'])
  })
})

describe.each([
  ['redis', process.env.REDIS_URL, 'REDIS_URL is not set: skipped (CI sets it)'],
  ['postgres', process.env.DATABASE_URL, 'DATABASE_URL is not set: skipped (CI sets it)'],
] as const)('records written by @keyv/%s with its default serializer', (name, url, why) => {
  if (!url) {
    it.skip(why, () => {})
    return
  }
  it('read back as they were written, colon-escaped strings included', async () => {
    const { default: Keyv } = await import('keyv')
    const adapter = name === 'redis' ? new (await import('@keyv/redis')).default(url) : new (await import('@keyv/postgres')).default({ uri: url })
    const old = new Keyv({ store: adapter, namespace: 'feedloom' })
    const id = `old-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    // @keyv/serialize writes a string that starts with ':' with one more ':'.
    const item = { id, title: ':) 笑脸', text: '::double', authors: [':a'] }
    await old.set(`item:${id}`, item)
    await old.set(`source:${id}:items`, [[id, 1]])
    await old.disconnect()
    const { openStore } = await import('../../src/store/index.js')
    const store = await openStore(url)
    try {
      expect(await store.getItems([id])).toEqual([item])
      expect(await store.getList(id)).toEqual([[id, 1]])
    } finally {
      await store.close()
    }
  })
})
