/**
 * Feed routes as the server runs them (`createHandler`: the cache fast path in front of Express):
 * validators and their precedence, compression, HEAD, the render cache and its invalidation,
 * `variant=`, `before=` paging, the WebSub hub links and the browser stylesheet.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import * as cheerio from 'cheerio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import type { Entry } from '../../src/model.js'
import { createHandler } from '../../src/http/app.js'
import { createContext, Rendered } from '../../src/http/context.js'
import { feedKey, serveCachedFeed } from '../../src/http/feeds.js'
import { RevWatcher } from '../../src/http/rev.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { openStore, type Store } from '../../src/store/index.js'
import { entry } from '../helpers/entries.js'
import { listen } from '../helpers/servers.js'
import { assertWellFormedXml, validateJsonFeed } from '../helpers/validate.js'
import { rssLintErrors } from '../render/rss-lint.js'

const HUB = 'https://websub.example.net/'
const config = resolveConfig({
  site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN', websubHub: HUB },
  disclaimer: { text: '本网只是转载，如涉及版权问题，请联系我们。', contact: '电话：029-00000000' },
  categories: { local: { title: '本地新闻' }, national: { title: '国内' } },
  sources: [
    { id: 'ankang', title: '安康新闻网', url: 'https://ak.example/rss', categories: ['local'] },
    { id: 'people', title: '人民网', url: 'https://people.example/rss', categories: ['national'] },
  ],
})

let store: Store
let rev: RevWatcher
let metrics: Metrics
let server: Awaited<ReturnType<typeof listen>>
const NEWEST = '2024-09-19T09:11:51.000Z'

async function fill(sourceId: string, items: Entry[], revision: string) {
  const list = items.map((e): [string, number] => [e.id, Date.parse(e.published)])
  await store.commit({ sourceId, upserts: items, list, keys: [], clusters: [], removed: [], state: { id: sourceId, consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [] } }, revision)
  await rev.refresh()
}

beforeAll(async () => {
  store = await openStore('memory://')
  rev = new RevWatcher(store, silentLogger)
  metrics = new Metrics()
  const ankang = Array.from({ length: 7 }, (_, i) =>
    entry(`ak${i}`, 'ankang', new Date(Date.parse(NEWEST) - i * 3_600_000).toISOString(), {
      title: `安康 软件 产业 新闻 ${i}`,
      html: `<p>软件园区 <a href="https://ak.example/软件/${i}.html">详情</a></p>`,
      text: `软件园区 详情`,
      excerpt: `软件园区 ${i} & "更多"`,
      url: `https://ak.example/n/${i}.html`,
    }),
  )
  await fill('ankang', ankang, '1726737111000-a')
  await fill('people', [entry('pp1', 'people', '2024-09-18T07:00:00.000Z')], '1726737112000-b')
  server = await listen(createHandler({ config, store, rev, metrics, log: silentLogger }))
})
afterAll(async () => {
  await server.close()
  await store.close()
})

interface Raw {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A request with exactly these headers (fetch would add Accept-Encoding and decode for us). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(server.url + path, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Headers that must be the same on every answer for the same body (Date and the connection's own vary). */
function stable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers
  return rest
}

describe('HTTP semantics of a feed', () => {
  it('answers a cache hit (fast path) with exactly the headers of the first, rendered answer', async () => {
    for (const path of ['/feeds/local.rss?limit=3&q=软件', '/feeds/all.atom', '/feeds/national.json']) {
      for (const coding of ['identity', 'gzip', 'br']) {
        const first = await raw(`${path}${path.includes('?') ? '&' : '?'}unrelated=${coding}`, { 'Accept-Encoding': coding })
        const hit = await raw(path, { 'Accept-Encoding': coding })
        expect(first.status).toBe(200)
        expect(stable(hit.headers)).toEqual(stable(first.headers))
        expect(hit.body.equals(first.body)).toBe(true)
      }
    }
  })

  it('sends strong validators, the newest item as Last-Modified, Vary, CORS, nosniff and stale-while-revalidate', async () => {
    const res = await raw('/feeds/local.rss')
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(res.headers['last-modified']).toBe(new Date(NEWEST).toUTCString())
    expect(res.headers.vary).toBe('Accept, Accept-Encoding')
    expect(res.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300')
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-type']).toBe('application/rss+xml; charset=utf-8')
  })

  describe('conditional requests (RFC 9110 §13.2.2)', () => {
    let etag: string
    let lastModified: string
    beforeAll(async () => {
      const res = await raw('/feeds/local.atom')
      etag = res.headers.etag!
      lastModified = res.headers['last-modified']!
    })
    const later = (date: string, seconds: number) => new Date(Date.parse(date) + seconds * 1000).toUTCString()

    it.each([
      ['If-None-Match with the tag', () => ({ 'If-None-Match': etag }), 304],
      ['If-None-Match with the weak form of the tag', () => ({ 'If-None-Match': `W/${etag}` }), 304],
      ['If-None-Match among others', () => ({ 'If-None-Match': `"other", ${etag}` }), 304],
      ['If-None-Match: *', () => ({ 'If-None-Match': '*' }), 304],
      ['If-None-Match with another tag', () => ({ 'If-None-Match': '"other"' }), 200],
      ['another tag, even with a later If-Modified-Since (If-None-Match wins)', () => ({ 'If-None-Match': '"other"', 'If-Modified-Since': later(lastModified, 3600) }), 200],
      ['the tag, even with an earlier If-Modified-Since', () => ({ 'If-None-Match': etag, 'If-Modified-Since': later(lastModified, -3600) }), 304],
      ['If-Modified-Since equal to Last-Modified', () => ({ 'If-Modified-Since': lastModified }), 304],
      ['If-Modified-Since later than Last-Modified', () => ({ 'If-Modified-Since': later(lastModified, 60) }), 304],
      ['If-Modified-Since a second earlier', () => ({ 'If-Modified-Since': later(lastModified, -1) }), 200],
      ['an invalid If-Modified-Since (ignored)', () => ({ 'If-Modified-Since': 'yesterday' }), 200],
    ])('%s → %i', async (_name, headers, status) => {
      for (const method of ['GET', 'HEAD']) {
        const res = await raw('/feeds/local.atom', headers(), method)
        expect(res.status).toBe(status)
        if (status === 304) {
          expect(res.body.length).toBe(0)
          expect(res.headers.etag).toBe(etag)
          expect(res.headers['last-modified']).toBe(lastModified)
          expect(res.headers['cache-control']).toMatch(/stale-while-revalidate/)
          expect(res.headers.vary).toBe('Accept, Accept-Encoding')
          expect(res.headers['access-control-allow-origin']).toBe('*')
          expect(res.headers['content-type']).toBeUndefined()
          expect(res.headers['content-length']).toBeUndefined()
        }
      }
    })
  })

  it.each(['identity', 'gzip', 'br'])('%s: Content-Length is exact, HEAD has the headers of GET and no body, the bytes decode to the identity body', async (coding) => {
    const identity = await raw('/feeds/all.rss', { 'Accept-Encoding': 'identity' })
    const get = await raw('/feeds/all.rss', { 'Accept-Encoding': coding })
    const again = await raw('/feeds/all.rss', { 'Accept-Encoding': coding })
    const head = await raw('/feeds/all.rss', { 'Accept-Encoding': coding }, 'HEAD')
    expect(get.headers['content-encoding']).toBe(coding === 'identity' ? undefined : coding)
    expect(Number(get.headers['content-length'])).toBe(get.body.length)
    expect(again.body.equals(get.body)).toBe(true)
    expect(stable(head.headers)).toEqual(stable(get.headers))
    expect(head.body.length).toBe(0)
    const decoded = coding === 'gzip' ? gunzipSync(get.body) : coding === 'br' ? brotliDecompressSync(get.body) : get.body
    expect(decoded.equals(identity.body)).toBe(true)
  })

  it.each([
    ['a browser opening the feed', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/xml; charset=utf-8'],
    ['a feed reader', 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8', 'application/rss+xml; charset=utf-8'],
    ['a reader that also lists text/html', 'application/rss+xml, text/html;q=0.1', 'application/rss+xml; charset=utf-8'],
    ['a client that asks for anything', '*/*', 'application/rss+xml; charset=utf-8'],
  ])('%s gets the same bytes as %s, with its own strong validator', async (_name, accept, type) => {
    const reader = await raw('/feeds/local.rss', { Accept: 'application/rss+xml' })
    const res = await raw('/feeds/local.rss', { Accept: accept })
    expect(res.headers['content-type']).toBe(type)
    expect(res.body.equals(reader.body)).toBe(true)
    expect(res.headers.vary).toBe('Accept, Accept-Encoding')
    expect(res.headers.etag === reader.headers.etag).toBe(type === reader.headers['content-type'])
    expect((await raw('/feeds/local.rss', { Accept: accept, 'If-None-Match': res.headers.etag! })).status).toBe(304)
    const json = await raw('/feeds/local.json', { Accept: accept })
    expect(json.headers['content-type']).toBe('application/feed+json; charset=utf-8')
    expect(json.headers.vary).toBe('Accept-Encoding')
  })

  it('computes each compressed form once per rendered body', () => {
    const rendered = new Rendered('<rss>安康</rss>'.repeat(100), 'application/rss+xml; charset=utf-8')
    expect(rendered.encoded('gzip')).toBe(rendered.encoded('gzip'))
    expect(rendered.encoded('br')).toBe(rendered.encoded('br'))
    expect(rendered.encoded('identity')).toBe(rendered.body)
  })

  it('a stored item invalidates the cached feed at once, fast path included', async () => {
    const before = await raw('/feeds/national.rss')
    expect((await raw('/feeds/national.rss')).headers.etag).toBe(before.headers.etag)
    await fill('people', [entry('pp2', 'people', '2024-09-20T07:00:00.000Z'), entry('pp1', 'people', '2024-09-18T07:00:00.000Z')], '1726737113000-c')
    const after = await raw('/feeds/national.rss', { 'If-None-Match': before.headers.etag! })
    expect(after.status).toBe(200)
    expect(after.headers['last-modified']).toBe('Fri, 20 Sep 2024 07:00:00 GMT')
    expect(after.body.toString()).toContain('title pp2')
  })
})

describe('serveCachedFeed (the fast path)', () => {
  it('serves only hits for the current revision, and leaves everything else to Express', async () => {
    const ctx = createContext({ config, store, rev, metrics: new Metrics(), log: silentLogger })
    const probe = await listen((req, res) => {
      if (!serveCachedFeed(ctx, req, res)) res.writeHead(599).end()
    })
    try {
      const status = async (path: string, method = 'GET') => (await fetch(probe.url + path, { method })).status
      expect(await status('/feeds/all.rss')).toBe(599)
      await ctx.cached(feedKey('all', 'rss', { limit: '5', q: '软件' }), async () => new Rendered('<rss/>', 'application/rss+xml; charset=utf-8'))
      expect(await status('/feeds/all.rss?q=%E8%BD%AF%E4%BB%B6&limit=5')).toBe(200)
      expect(await status('/feeds/all.rss?limit=5&q=%E8%BD%AF%E4%BB%B6&utm_source=x')).toBe(200)
      expect(await status('/feeds/all.rss?limit=5&q=%E8%BD%AF%E4%BB%B6', 'HEAD')).toBe(200)
      expect(await status('/feeds/all.rss?limit=5&q=%E8%BD%AF%E4%BB%B6', 'POST')).toBe(599)
      expect(await status('/feeds/all.atom?limit=5&q=%E8%BD%AF%E4%BB%B6')).toBe(599)
      expect(await status('/feeds/all.rss?limit=5')).toBe(599)
      await fill('people', [entry('pp3', 'people', '2024-09-21T07:00:00.000Z')], '1726737114000-d')
      expect(await status('/feeds/all.rss?q=%E8%BD%AF%E4%BB%B6&limit=5')).toBe(599)
    } finally {
      await probe.close()
    }
  })
})

describe('variant=', () => {
  it('converts titles, excerpts and content text, not URLs or markup, and caches each variant apart', async () => {
    const plain = await raw('/feeds/local.json')
    const hant = await raw('/feeds/local.json?variant=zh-Hant')
    expect(hant.headers.etag).not.toBe(plain.headers.etag)
    const feed = JSON.parse(hant.body.toString())
    expect(validateJsonFeed(feed)).toEqual([])
    expect(feed.language).toBe('zh-TW')
    expect(feed.title).toBe('陝南新聞聚合 · 本地新聞')
    expect(feed.items[0].title).toBe('安康 軟體 產業 新聞 0')
    expect(feed.items[0].summary).toBe('軟體園區 0 & "更多"')
    expect(feed.items[0].content_html).toContain('<p>軟體園區 <a href="https://ak.example/软件/0.html">詳情</a></p>')
    expect(feed.items[0].content_html).toContain('來源：')
    expect(feed.items[0].url).toBe('https://ak.example/n/0.html')
    expect(feed.items[0].id).toBe(JSON.parse(plain.body.toString()).items[0].id)
    expect(feed.feed_url).toBe('https://news.example.org/feeds/local.json?variant=zh-Hant')
    const hans = JSON.parse((await raw('/feeds/local.json?variant=zh-Hans')).body.toString())
    expect(hans.items[0].title).toBe('安康 软件 产业 新闻 0')
  })

  it('keeps RSS valid with the converted language', async () => {
    const rss = (await raw('/feeds/local.rss?variant=zh-Hant')).body.toString()
    expect(rssLintErrors(rss)).toEqual([])
    expect(rss).toContain('<language>zh-TW</language>')
  })

  it.each(['zh-TW', 'zh-hant', 'hant', ''])('variant=%s is a 400 naming the parameter', async (value) => {
    const res = await raw(`/feeds/local.rss?variant=${value}`)
    expect(res.status).toBe(400)
    expect(res.body.toString()).toMatch(/^variant: /)
  })
})

describe('before= paging', () => {
  /** Follows `next` from the first page; returns each page's item ids. */
  async function walk(format: 'rss' | 'atom' | 'json', limit: number): Promise<string[][]> {
    const pages: string[][] = []
    let url: string | undefined = `/feeds/local.${format}?limit=${limit}`
    while (url !== undefined) {
      const res = await raw(url)
      expect(res.status).toBe(200)
      const body = res.body.toString()
      let next: string | undefined
      if (format === 'json') {
        const feed = JSON.parse(body)
        expect(validateJsonFeed(feed)).toEqual([])
        pages.push(feed.items.map((i: { id: string }) => i.id))
        next = feed.next_url
      } else {
        assertWellFormedXml(body)
        const $ = cheerio.load(body, { xml: true })
        pages.push($(format === 'rss' ? 'item > guid' : 'entry > id').toArray().map((e) => $(e).text()))
        next = $(format === 'rss' ? 'channel > atom\\:link[rel="next"]' : 'feed > link[rel="next"]').attr('href')
        const archive = $(format === 'rss' ? 'channel > atom\\:link[rel="prev-archive"]' : 'feed > link[rel="prev-archive"]').attr('href')
        expect(archive).toBe(next)
        if (pages.length > 1) expect($(format === 'rss' ? 'channel > atom\\:link[rel="first"]' : 'feed > link[rel="first"]').attr('href')).toBe(`https://news.example.org/feeds/local.${format}?limit=${limit}`)
      }
      url = next?.replace('https://news.example.org', '')
    }
    return pages
  }

  it.each(['rss', 'atom', 'json'] as const)('%s: following next links gives every item once, in order', async (format) => {
    const whole = (await walk(format, 200)).flat()
    expect(whole).toHaveLength(7)
    const pages = await walk(format, 3)
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1])
    expect(pages.flat()).toEqual(whole)
  })

  it.each([['garbage', 'x'], ['a token without an id', 'MTcyNjczNzUxMTAwMA'], ['two cursors', 'a&before=b']])('%s is a 400 naming `before`', async (_name, value) => {
    const res = await raw(`/feeds/local.rss?before=${value}`)
    expect(res.status).toBe(400)
    expect(res.body.toString()).toMatch(/^before: /)
  })
})

describe('WebSub and browsers', () => {
  it('advertises the configured hub and a self link that is the topic, in every format', async () => {
    const rss = cheerio.load((await raw('/feeds/local.rss')).body.toString(), { xml: true })
    expect(rss('channel > atom\\:link[rel="hub"]').attr('href')).toBe(HUB)
    expect(rss('channel > atom\\:link[rel="self"]').attr('href')).toBe('https://news.example.org/feeds/local.rss')
    const atom = cheerio.load((await raw('/feeds/local.atom')).body.toString(), { xml: true })
    expect(atom('feed > link[rel="hub"]').attr('href')).toBe(HUB)
    expect(atom('feed > link[rel="self"]').attr('href')).toBe('https://news.example.org/feeds/local.atom')
    const json = JSON.parse((await raw('/feeds/local.json')).body.toString())
    expect(json.hubs).toEqual([{ type: 'WebSub', url: HUB }])
    expect(json.feed_url).toBe('https://news.example.org/feeds/local.json')
  })

  it('RSS and Atom ask for /feed.xsl, which is served as XSLT with validators', async () => {
    for (const format of ['rss', 'atom']) expect((await raw(`/feeds/local.${format}`)).body.toString()).toContain('<?xml-stylesheet href="/feed.xsl" type="text/xsl"?>')
    expect((await raw('/feeds/local.json')).body.toString()).not.toContain('xml-stylesheet')
    const xsl = await raw('/feed.xsl')
    expect(xsl.status).toBe(200)
    expect(xsl.headers['content-type']).toBe('text/xsl; charset=utf-8')
    assertWellFormedXml(xsl.body.toString())
    expect((await raw('/feed.xsl', { 'If-None-Match': xsl.headers.etag! })).status).toBe(304)
  })
})
