/**
 * Feed routes as the server runs them (`createHandler`: the cache fast path in front of Express):
 * validators and their precedence, compression, HEAD, the render cache and its invalidation,
 * `variant=`, `before=` paging, the WebSub hub links, the page browsers get instead of the feed,
 * and the answers to other methods and to over-long requests.
 */
import { connect } from 'node:net'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import * as cheerio from 'cheerio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import type { Entry } from '../../src/model.js'
import { createHandler } from '../../src/http/app.js'
import { createContext, Rendered } from '../../src/http/context.js'
import { feedKey, serveCachedFeed } from '../../src/http/feeds.js'
import { answerClientErrors } from '../../src/http/errors.js'
import { htmlHeaders } from '../../src/http/headers.js'
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
    ['a feed reader', 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8'],
    ['a reader that also lists text/html', 'application/rss+xml, text/html;q=0.1'],
    ['a JSON Feed reader that also lists text/html', 'application/feed+json, application/json;q=0.9, text/html;q=0.1'],
    ['a client that asks for anything', '*/*'],
    ['a client that sends no Accept', undefined],
  ])('%s gets the feed itself', async (_name, accept) => {
    const reader = await raw('/feeds/local.rss', { Accept: 'application/rss+xml' })
    const res = await raw('/feeds/local.rss', accept === undefined ? {} : { Accept: accept })
    expect(res.headers['content-type']).toBe('application/rss+xml; charset=utf-8')
    expect(res.body.equals(reader.body)).toBe(true)
    expect(res.headers.etag).toBe(reader.headers.etag)
    expect(res.headers.vary).toBe('Accept, Accept-Encoding')
  })

  it('gives each content coding its own strong ETag (RFC 9110 §8.8.3), and 304s only for the coding asked for', async () => {
    const tags = new Map<string, string>()
    for (const coding of ['identity', 'gzip', 'br']) tags.set(coding, (await raw('/feeds/local.rss', { 'Accept-Encoding': coding })).headers.etag!)
    expect(new Set(tags.values()).size).toBe(3)
    for (const tag of tags.values()) expect(tag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    for (const [coding, tag] of tags) {
      expect((await raw('/feeds/local.rss', { 'Accept-Encoding': coding, 'If-None-Match': tag })).status).toBe(304)
      const other = coding === 'br' ? 'gzip' : 'br'
      const stale = await raw('/feeds/local.rss', { 'Accept-Encoding': other, 'If-None-Match': tag })
      expect(stale.status).toBe(200)
      expect(stale.headers.etag).toBe(tags.get(other))
    }
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

  it('ask browsers for no stylesheet, and /feed.xsl is gone (issue 11 §2)', async () => {
    for (const format of ['rss', 'atom', 'json']) expect((await raw(`/feeds/local.${format}`)).body.toString()).not.toContain('xml-stylesheet')
    expect((await raw('/feed.xsl')).status).toBe(404)
  })
})

/** What Chromium sends when someone opens a link. */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8'

describe('a feed opened in a browser (SPEC §7)', () => {
  it.each(['rss', 'atom', 'json'])('%s: an HTML page of the feed, with how to subscribe, the stories and the disclaimer', async (format) => {
    const res = await raw(`/feeds/local.${format}`, { Accept: BROWSER })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers.vary).toBe('Accept, Accept-Encoding')
    for (const [name, value] of Object.entries(htmlHeaders(config))) expect(res.headers[name.toLowerCase()], name).toBe(value)
    const $ = cheerio.load(res.body.toString())
    expect($('h1').text()).toBe('陕南新闻聚合 · 本地新闻')
    expect($('.subscribe-help input').val()).toBe(`https://news.example.org/feeds/local.${format}`)
    expect($('.subscribe-help').text()).toContain('阅读器')
    const feed = JSON.parse((await raw('/feeds/local.json')).body.toString())
    expect($('article.item h2').map((_, h) => $(h).text()).get()).toEqual(feed.items.map((i: { title: string }) => i.title))
    // Each story opens its page here; dates in the site's zone (Asia/Shanghai), as on the other pages.
    expect($('article.item h2 a').map((_, a) => `https://news.example.org${$(a).attr('href')}`).get()).toEqual(feed.items.map((i: { _feedloom: { page: string } }) => i._feedloom.page))
    expect($('article.item time').first().text()).toBe('2024年9月19日 17:11')
    expect($('footer').text()).toContain(config.disclaimer.text)
    expect($('script:not([src])').length).toBe(0)
    expect(res.body.toString()).not.toContain('xml-stylesheet')
  })

  it('pages like the feed: the older page by its cursor, and back to the newest', async () => {
    const first = cheerio.load((await raw('/feeds/local.rss?limit=3', { Accept: BROWSER })).body.toString())
    const older = first('a[rel=next]').attr('href')!
    expect(older).toMatch(/^\/feeds\/local\.rss\?limit=3&before=[A-Za-z0-9_-]+$/)
    const feedNext = cheerio.load((await raw('/feeds/local.rss?limit=3')).body.toString(), { xml: true })('channel > atom\\:link[rel="next"]').attr('href')
    expect(`https://news.example.org${older}`).toBe(feedNext)
    const second = cheerio.load((await raw(older, { Accept: BROWSER })).body.toString())
    expect(second('article.item h2').map((_, h) => second(h).text()).get()).toEqual(['安康 软件 产业 新闻 3', '安康 软件 产业 新闻 4', '安康 软件 产业 新闻 5'])
    expect(second('a[rel=first]').attr('href')).toBe('/feeds/local.rss?limit=3')
    // The address to subscribe to is the feed, not one of its older pages.
    expect(second('.subscribe-help input').val()).toBe('https://news.example.org/feeds/local.rss?limit=3')
  })

  it('speaks English with ?lang=en, and a cached page never answers a feed reader', async () => {
    const en = cheerio.load((await raw('/feeds/national.atom?lang=en', { Accept: BROWSER })).body.toString())
    expect(en('html').attr('lang')).toBe('en')
    expect(en('#how').text()).toBe('This is an Atom feed')
    const reader = await raw('/feeds/national.atom?lang=en')
    expect(reader.headers['content-type']).toBe('application/atom+xml; charset=utf-8')
    const page = await raw('/feeds/national.atom', { Accept: BROWSER })
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
  })

  it('keeps short plain-text errors', async () => {
    const res = await raw('/feeds/local.rss?limit=0', { Accept: BROWSER })
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
  })
})

describe('methods and request sizes (issue 11 §9)', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s /feeds/all.rss is 405 with Allow', async (method) => {
    const res = await raw('/feeds/all.rss', {}, method)
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
    expect(res.body.toString()).toBe(`method ${method} not allowed here (use GET, HEAD)`)
  })

  it.each(['/feeds.opml', '/', '/c/local', '/status', '/status.json', '/widget/local.js', '/items/00000000-0000-5000-8000-000000000000', '/img/x/y'])('POST %s is 405 too; OPTIONS is 204 with Allow', async (path) => {
    expect((await raw(path, {}, 'POST')).status).toBe(405)
    const options = await raw(path, {}, 'OPTIONS')
    expect(options.status).toBe(204)
    expect(options.headers.allow).toBe('GET, HEAD')
  })

  it('POST to an unknown path stays a 404', async () => {
    expect((await raw('/nope', {}, 'POST')).status).toBe(404)
  })

  describe('an over-long request', () => {
    let web: { port: number; close: () => Promise<void> }
    beforeAll(async () => {
      const httpServer = createServer(createHandler({ config, store, rev, metrics, log: silentLogger }))
      answerClientErrors(httpServer)
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
      web = { port: (httpServer.address() as AddressInfo).port, close: () => new Promise((resolve) => httpServer.close(() => resolve())) }
    })
    afterAll(() => web.close())

    /** What the server writes back to exactly these request bytes. */
    function exchange(request: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = connect(web.port, '127.0.0.1', () => socket.end(request))
        let answer = ''
        socket.on('data', (chunk) => (answer += chunk.toString()))
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
      })
    }

    it('a 20,000-character query is 414 URI Too Long, with a body saying so', async () => {
      const query = encodeURIComponent('安康'.repeat(1200)).slice(0, 20_000)
      const answer = await exchange(`GET /feeds/all.rss?q=${query} HTTP/1.1\r\nHost: x\r\n\r\n`)
      expect(answer).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/)
      expect(answer).toMatch(/Content-Type: text\/plain; charset=utf-8\r\n/)
      const [head, body] = answer.split('\r\n\r\n')
      expect(Number(/Content-Length: (\d+)/.exec(head)![1])).toBe(Buffer.byteLength(body))
      expect(body).toBe('the address is too long: a request line and its headers may take 16 KiB; shorten the query\n')
    })

    it('over-long header fields are 431 with a body; a request that does not parse is 400 with one', async () => {
      const headers = await exchange(`GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`)
      expect(headers).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n[\s\S]*\r\n\r\nthe request headers are too large: they may take 16 KiB\n$/)
      expect(await exchange('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nbad request: the request could not be read\n$/)
    })

    it('a request within the limits is served as ever', async () => {
      expect(await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/)
    })
  })
})
