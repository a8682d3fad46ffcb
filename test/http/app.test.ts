import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { openStore, type Store } from '../../src/store/index.js'
import { createApp } from '../../src/http/app.js'
import { RevWatcher } from '../../src/http/rev.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { entry } from '../helpers/entries.js'
import { assertWellFormedXml, validateJsonFeed } from '../helpers/validate.js'
import type { Entry } from '../../src/model.js'

/** The web layer over a store filled directly: query parameters, HTTP semantics, caching. */
const config = resolveConfig({
  site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
  disclaimer: { text: '本网只是转载。', contact: '电话：029-00000000' },
  categories: { local: { title: '本地' }, national: { title: '国内' } },
  sources: [
    { id: 'ankang', title: '安康新闻网', url: 'https://ak.example/rss', categories: ['local'] },
    { id: 'hanzhong', title: '汉中日报', url: 'https://hz.example/rss', categories: ['local'], content: 'title' },
    { id: 'people', title: '人民网', url: 'https://people.example/rss', categories: ['national'] },
  ],
})

let store: Store
let server: Server
let base: string
let rev: RevWatcher
let metrics: Metrics

async function fill(sourceId: string, items: Entry[], revision: string) {
  await store.commit(
    {
      sourceId,
      upserts: items,
      list: items.map((e) => [e.id, Date.parse(e.published)]),
      keys: [],
      clusters: [],
      removed: [],
      state: { id: sourceId, consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [], lastAttempt: '2024-09-19T10:00:00Z', lastOutcome: 'ok' },
    },
    revision,
  )
  await rev.refresh()
}

beforeAll(async () => {
  store = await openStore('memory://')
  rev = new RevWatcher(store, silentLogger)
  metrics = new Metrics()
  const ak = Array.from({ length: 60 }, (_, i) => entry(`ak${String(i).padStart(2, '0')}`, 'ankang', new Date(Date.UTC(2024, 8, 19, 0, i)).toISOString(), { title: i % 2 ? `安康 汉江 新闻 ${i}` : `安康 广告 ${i}`, url: `https://ak.example/n/${i}.html` }))
  await fill('ankang', ak, 'r1')
  await fill('hanzhong', [entry('hz1', 'hanzhong', '2024-09-19T08:00:00.000Z', { title: '汉中 秋收', text: '汉中 全文 正文', html: '<p>汉中 全文 正文</p>' })], 'r2')
  await fill('people', [entry('pp1', 'people', '2024-09-19T07:00:00.000Z')], 'r3')
  server = createServer(createApp({ config, store, rev, metrics, log: silentLogger }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.close()
  await store.close()
})

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(base + path, { headers, method })

describe('feed routes', () => {
  it.each([
    ['/feeds/all.rss', 'application/rss+xml; charset=utf-8'],
    ['/feeds/local.atom', 'application/atom+xml; charset=utf-8'],
    ['/feeds/national.json', 'application/feed+json; charset=utf-8'],
  ])('%s answers with its type and the SPEC headers', async (path, type) => {
    const res = await get(path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(type)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=60/)
    // A feed URL answers browsers with a page (SPEC §7), so every format varies by Accept.
    expect(res.headers.get('vary')).toBe('Accept, Accept-Encoding')
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/)
    expect(res.headers.get('last-modified')).toBe('Thu, 19 Sep 2024 00:59:00 GMT'.replace('00:59', path.includes('national') ? '07:00' : '08:00'))
    const body = await res.text()
    if (path.endsWith('.json')) expect(validateJsonFeed(JSON.parse(body))).toEqual([])
    else assertWellFormedXml(body)
  })

  it('limit defaults to 50 and accepts 1–200', async () => {
    expect((await (await get('/feeds/local.json')).json()).items).toHaveLength(50)
    expect((await (await get('/feeds/local.json?limit=3')).json()).items).toHaveLength(3)
    expect((await (await get('/feeds/local.json?limit=200')).json()).items).toHaveLength(61)
  })

  it.each([
    ['/feeds/local.json?limit=0', 400, /^limit: /],
    ['/feeds/local.json?limit=201', 400, /^limit: /],
    ['/feeds/local.json?limit=ten', 400, /^limit: /],
    ['/feeds/local.json?source=nope', 400, /^source: unknown source id "nope"/],
    ['/feeds/local.json?q=', 400, /^q: /],
    ['/feeds/local.json?limit=1&limit=2', 400, /^limit: give it once/],
    ['/feeds/sports.rss', 404, /unknown category "sports"/],
    ['/feeds/local.xml', 404, /no such feed/],
  ])('%s → %i naming the problem', async (path, status, message) => {
    const res = await get(path)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toMatch(message)
  })

  it('source, q and exclude narrow the items', async () => {
    const hz = await (await get('/feeds/local.json?source=hanzhong')).json()
    expect(hz.items.map((i: { _feedloom: { source: { id: string } } }) => i._feedloom.source.id)).toEqual(['hanzhong'])
    const q = await (await get('/feeds/local.json?q=汉江&limit=200')).json()
    expect(q.items).toHaveLength(30)
    const ex = await (await get('/feeds/local.json?exclude=广告&limit=200')).json()
    expect(ex.items.every((i: { title: string }) => !i.title.includes('广告'))).toBe(true)
    expect(ex.items).toHaveLength(31)
  })

  it('title mode publishes no body text', async () => {
    const hz = await (await get('/feeds/local.json?source=hanzhong')).json()
    expect(hz.items[0].content_html).not.toContain('全文')
    expect(hz.items[0]._feedloom.content_mode).toBe('title')
  })

  it('gzip and br bodies decode to the identity body; Content-Length is exact', async () => {
    const plain = await (await get('/feeds/all.rss')).arrayBuffer()
    for (const coding of ['gzip', 'br']) {
      const res = await new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        import('node:http').then(({ get: httpGet }) =>
          httpGet(`${base}/feeds/all.rss`, { headers: { 'Accept-Encoding': coding } }, (r) => {
            const chunks: Buffer[] = []
            r.on('data', (c) => chunks.push(c))
            r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }))
          }).on('error', reject),
        )
      })
      expect(res.headers['content-encoding']).toBe(coding)
      expect(Number(res.headers['content-length'])).toBe(res.body.length)
      const decoded = coding === 'gzip' ? gunzipSync(res.body) : brotliDecompressSync(res.body)
      expect(decoded.equals(Buffer.from(plain))).toBe(true)
    }
  })

  it('HEAD sends the headers of GET and no body', async () => {
    const identity = { 'Accept-Encoding': 'identity' }
    const head = await get('/feeds/all.atom', identity, 'HEAD')
    const full = await get('/feeds/all.atom', identity)
    expect(head.status).toBe(200)
    expect(head.headers.get('etag')).toBe(full.headers.get('etag'))
    expect(head.headers.get('content-length')).toBe(String((await full.arrayBuffer()).byteLength))
    expect(await head.text()).toBe('')
  })

  it('a new item changes the ETag at once (the render cache follows the store revision)', async () => {
    const before = (await get('/feeds/national.rss')).headers.get('etag')
    expect((await get('/feeds/national.rss')).headers.get('etag')).toBe(before)
    await fill('people', [entry('pp2', 'people', '2024-09-20T07:00:00.000Z'), entry('pp1', 'people', '2024-09-19T07:00:00.000Z')], 'r4')
    const after = await get('/feeds/national.rss', { 'If-None-Match': before! })
    expect(after.status).toBe(200)
    expect(after.headers.get('etag')).not.toBe(before)
  })

  it('a 304 carries the validators and no body', async () => {
    const first = await get('/feeds/local.rss')
    const res = await get('/feeds/local.rss', { 'If-None-Match': first.headers.get('etag')! })
    expect(res.status).toBe(304)
    expect(res.headers.get('etag')).toBe(first.headers.get('etag'))
    expect(res.headers.get('cache-control')).toBe(first.headers.get('cache-control'))
    expect(res.headers.get('content-type')).toBeNull()
    expect(await res.text()).toBe('')
  })
})

describe('other routes', () => {
  it('/ lists categories with autodiscovery links and headlines, escaped', async () => {
    await fill('hanzhong', [entry('hz1', 'hanzhong', '2024-09-19T08:00:00.000Z', { title: '汉中 <script>alert(1)</script>' })], 'r5')
    const res = await get('/')
    const html = await res.text()
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(html).toContain('<link rel="alternate" type="application/rss+xml"')
    expect(html).toContain('href="/feeds/local.atom"')
    expect(html).toContain('本地')
    expect(html).toContain('汉中 &lt;script&gt;')
    expect(html).not.toContain('<script>alert')
  })

  it('/feeds.opml lists every published feed', async () => {
    const res = await get('/feeds.opml')
    const xml = await res.text()
    assertWellFormedXml(xml)
    for (const key of ['all', 'local', 'national']) expect(xml).toContain(`xmlUrl="https://news.example.org/feeds/${key}.rss"`)
  })

  it('/status.json and /status list every source', async () => {
    const json = await (await get('/status.json')).json()
    expect(json.sources.map((s: { id: string }) => s.id).sort()).toEqual(['ankang', 'hanzhong', 'people'])
    expect((await get('/status')).status).toBe(200)
  })

  it('/metrics counts polls and HTTP requests by route and status', async () => {
    metrics.recordPoll('ankang', 'ok', 120, 3, 1, 60)
    const text = await (await get('/metrics')).text()
    expect(text).toContain('feedloom_polls_total{source="ankang",outcome="ok"} 1')
    expect(text).toMatch(/feedloom_http_requests_total\{route="\/feeds\/:file",status="200"\} \d+/)
    expect(text).toMatch(/feedloom_http_requests_total\{route="\/feeds\/:file",status="400"\} \d+/)
    expect(text).toContain('feedloom_fetch_duration_seconds_bucket')
    expect(text).toContain('feedloom_items_stored_total{source="ankang",kind="new"} 3')
  })

  it('unknown paths are 404 in plain text', async () => {
    const res = await get('/nope')
    expect(res.status).toBe(404)
  })
})
