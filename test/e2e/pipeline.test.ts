import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import iconv from 'iconv-lite'
import { startFeedServer, type Served } from '../helpers/servers.js'
import { runCli, startWeb, type Web } from '../helpers/feedloom.js'
import { assertWellFormedXml, atomSchematronErrors, feedparserAvailable, feedparserCheck, jingAvailable, validateAtom, validateJsonFeed } from '../helpers/validate.js'

/**
 * The whole pipeline as an operator runs it: `feedloom poll` against a feed host on 127.0.0.1
 * (GBK, Big5, Atom, JSON Feed, a home-page-link feed, a hostile one and a broken one), then the web
 * server, checked the way a feed reader would check it.
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/e2e')
const fixture = (name: string) => readFileSync(join(FIXTURES, name))
const DISCLAIMER = '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。'

const files = new Map<string, Served>([
  // No charset in the header: the XML declaration (gb2312, read as GB18030) must decide.
  ['/people.xml', { body: fixture('people-politics.gbk.xml'), contentType: 'application/rss+xml' }],
  ['/hk.xml', { body: fixture('hk-news.big5.xml'), contentType: 'text/xml; charset=big5' }],
  ['/un.atom', { body: fixture('un-news.atom'), contentType: 'application/atom+xml; charset=utf-8' }],
  ['/regional.json', { body: fixture('regional.json'), contentType: 'application/feed+json' }],
  ['/chinanews.xml', { body: fixture('chinanews-scroll.xml'), contentType: 'application/rss+xml; charset=utf-8' }],
  ['/county.xml', { body: fixture('county-homepage-links.xml'), contentType: 'application/rss+xml; charset=utf-8' }],
  ['/hostile.xml', { body: fixture('hostile.xml'), contentType: 'application/rss+xml; charset=utf-8' }],
  ['/broken.xml', { body: fixture('broken.xml'), contentType: 'application/rss+xml; charset=utf-8' }],
])

let feeds: Awaited<ReturnType<typeof startFeedServer>>
let dir: string
let configPath: string
let storeUrl: string
let web: Web

const poll = () => runCli(['poll'], configPath, storeUrl)
const get = (path: string, headers: Record<string, string> = {}) => web.get(path, headers)
const json = (path: string) => web.json(path)

beforeAll(async () => {
  feeds = await startFeedServer(files)
  dir = mkdtempSync(join(tmpdir(), 'feedloom-e2e-'))
  configPath = join(dir, 'feeds.config.json')
  storeUrl = `sqlite://${join(dir, 'store.sqlite')}`
  const source = (id: string, path: string, categories: string[], extra = {}) => ({ id, title: `${id} title`, url: feeds.url + path, categories, homepage: `https://${id}.example/`, ...extra })
  writeFileSync(
    configPath,
    JSON.stringify({
      site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN', description: '测试' },
      disclaimer: { text: DISCLAIMER, contact: '电话：029-00000000' },
      defaults: { timezone: 'Asia/Shanghai', retentionDays: 30 },
      categories: { national: { title: '国内' }, international: { title: '国际' }, local: { title: '本地' } },
      sources: [
        source('people', '/people.xml', ['national']),
        source('chinanews', '/chinanews.xml', ['national']),
        source('county', '/county.xml', ['local']),
        source('hk', '/hk.xml', ['international']),
        source('un', '/un.atom', ['international'], { timezone: 'UTC' }),
        source('regional', '/regional.json', ['local']),
        source('hostile', '/hostile.xml', ['local']),
        source('broken', '/broken.xml', ['local']),
      ],
    }),
  )
})

afterAll(async () => {
  await web?.close()
  await feeds?.close()
})

describe('poll, then serve', () => {
  it('poll stores every good source, reports the broken one and exits 1', async () => {
    const { code, out } = await poll()
    expect(code).toBe(1)
    expect(out).toMatch(/FAILED\s+broken: parse:/)
    for (const id of ['people', 'chinanews', 'county', 'hk', 'un', 'regional', 'hostile']) expect(out).toMatch(new RegExp(`ok\\s+${id}: \\d+ new`))
    expect(out).toMatch(/7 ok, 1 failed/)
  })

  it('starts the web server on the polled store', async () => {
    web = await startWeb(configPath, storeUrl)
    const { res, text } = await get('/healthz')
    expect([res.status, text]).toEqual([200, 'ok'])
  })

  it('serves well-formed RSS with origin and disclaimer on every item', async () => {
    const { res, text } = await get('/feeds/all.rss')
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8')
    assertWellFormedXml(text)
    const items = text.split('<item>').slice(1)
    expect(items.length).toBeGreaterThanOrEqual(30)
    for (const item of items) {
      expect(item).toMatch(/<source url="http:\/\/127\.0\.0\.1:\d+\/[a-z.]+">[^<]+<\/source>/)
      expect(item).toContain(DISCLAIMER)
    }
    expect(text).toContain(`<copyright>${DISCLAIMER}`)
    expect(text).not.toContain('\uFFFD')
  })

  it('serves Atom valid against RFC 4287 (jing) and its Schematron rules', async (ctx) => {
    const { text } = await get('/feeds/all.atom')
    assertWellFormedXml(text)
    expect(atomSchematronErrors(text)).toEqual([])
    for (const entry of text.split('<entry>').slice(1)) {
      expect(entry).toMatch(/<source>[\s\S]*<id>[^<]+<\/id>[\s\S]*<\/source>/)
      expect(entry).toContain('<rights')
    }
    if (!jingAvailable()) return ctx.skip('jing is not installed (apt-get install jing): Atom grammar not checked')
    expect(validateAtom(text)).toEqual([])
  })

  it('serves JSON Feed 1.1 valid against the schema, with _feedloom.source and disclaimer', async () => {
    const feed = await json('/feeds/all.json')
    expect(validateJsonFeed(feed)).toEqual([])
    expect(feed._feedloom.disclaimer.text).toBe(DISCLAIMER)
    for (const item of feed.items) {
      expect(item._feedloom.source.id).toMatch(/^[a-z]+$/)
      expect(item._feedloom.source.url).toMatch(/^http:\/\/127\.0\.0\.1/)
      expect(item.content_html).toContain(DISCLAIMER)
    }
  })

  it('decodes GBK declared as gb2312 and Big5-HKSCS declared as big5', async () => {
    const feed = await json('/feeds/all.json?limit=200')
    const text = JSON.stringify(feed)
    for (const ch of ['镕', '堃', '珺', '㗎', '啲', '嘅', '𠝹']) expect(text).toContain(ch)
    for (const bad of ['\uFFFD', '锟斤拷', 'Ã©']) expect(text).not.toContain(bad)
  })

  it('reads zone-less dates in the source zone', async () => {
    const feed = await json('/feeds/national.json?source=people')
    const dates = feed.items.map((i: { date_published: string }) => i.date_published)
    expect(dates).toContain('2024-09-19T09:11:51.000Z')
  })

  it('publishes the cross-source reprint once, naming the other source', async () => {
    const feed = await json('/feeds/national.json?limit=200')
    const copies = feed.items.filter((i: { title: string }) => i.title.includes('加快推进县域商业体系建设'))
    expect(copies).toHaveLength(1)
    const [story] = copies
    const others = story._feedloom.also_reported_by.map((a: { source_id: string }) => a.source_id)
    expect([story._feedloom.source.id, ...others].sort()).toEqual(['chinanews', 'people'])
    // published under the one that published first: people at 17:11:51, chinanews at 17:40:12
    expect(story._feedloom.source.id).toBe('people')
    expect(story.content_html).toContain('chinanews title')
  })

  it('keeps items that share a home-page link distinct', async () => {
    const feed = await json('/feeds/local.json?source=county')
    expect(feed.items).toHaveLength(4)
    expect(new Set(feed.items.map((i: { id: string }) => i.id)).size).toBe(4)
  })

  it('lets nothing executable through from a hostile feed', async () => {
    const feed = await json('/feeds/local.json?source=hostile')
    const html = feed.items.map((i: { content_html: string }) => i.content_html).join('\n')
    expect(feed.items.length).toBeGreaterThanOrEqual(5)
    expect(html).not.toMatch(/<script|<iframe|\son\w+=|javascript:|\u0008/i)
    // ruby markup may stay in HTML, but the plain-text excerpt drops the annotations
    const summaries = feed.items.map((i: { summary?: string }) => i.summary ?? '').join('\n')
    expect(summaries).toContain('漢濱區政協')
    expect(summaries).not.toContain('qū')
  })

  it('answers 304 to If-None-Match and to If-Modified-Since', async () => {
    const first = await get('/feeds/all.atom')
    const etag = first.res.headers.get('etag')!
    const lastModified = first.res.headers.get('last-modified')!
    expect(etag).toMatch(/^"[^"]+"$/)
    expect((await get('/feeds/all.atom', { 'If-None-Match': etag })).res.status).toBe(304)
    expect((await get('/feeds/all.atom', { 'If-Modified-Since': lastModified })).res.status).toBe(304)
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    expect((await get('/feeds/all.atom', { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified })).res.status).toBe(200)
  })

  it('keeps every id when a second poll brings an edited title', async () => {
    const before = await json('/feeds/all.json?limit=200')
    const people = iconv.decode(files.get('/people.xml')!.body, 'gb18030')
    const edited = people.replace('国务院：加快推进县域商业体系建设', '国务院：加快推进县域商业体系建设（更新）')
    expect(edited).not.toBe(people)
    files.set('/people.xml', { body: iconv.encode(edited, 'gb18030'), contentType: 'application/rss+xml' })

    const { code } = await poll()
    expect(code).toBe(1) // broken is still broken
    const after = await json('/feeds/all.json?limit=200')
    expect(after.items.map((i: { id: string }) => i.id).sort()).toEqual(before.items.map((i: { id: string }) => i.id).sort())
    expect(after.items.some((i: { title: string }) => i.title.includes('（更新）'))).toBe(true)
  })

  it('uses conditional GET on the second poll', async () => {
    // the feed host answered 304 to every unchanged source on the second poll
    const status = await json('/status.json')
    const hk = status.sources.find((s: { id: string }) => s.id === 'hk')
    expect(hk.lastOutcome).toBe('not-modified')
    expect(hk.items).toBe(4)
  })

  it('shows on /status why the broken source fails, problems first', async () => {
    const status = await json('/status.json')
    expect(status.sources[0]).toMatchObject({ id: 'broken', health: 'failing', consecutiveFailures: 2 })
    expect(status.sources[0].lastError).toMatch(/^parse:/)
    const page = await get('/status')
    expect(page.text).toContain('broken')
    expect(page.text).toContain(status.sources[0].lastError.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&#34;').slice(0, 20))
  })

  it('reads cleanly in a real feed reader (feedparser)', async (ctx) => {
    if (!feedparserAvailable()) return ctx.skip('python3-feedparser is not installed: real-reader check skipped')
    for (const format of ['rss', 'atom']) {
      const { text } = await get(`/feeds/all.${format}?limit=200`)
      const parsed = feedparserCheck(text)
      expect(parsed.bozo, parsed.bozoException).toBe(false)
      expect(parsed.entries.length).toBeGreaterThanOrEqual(30)
      for (const e of parsed.entries) {
        expect(e.title).not.toBe('')
        expect(e.id).toMatch(/^urn:uuid:/)
      }
    }
  })
})
