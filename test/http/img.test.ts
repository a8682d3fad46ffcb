import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { load } from 'cheerio'
import { resolveConfig } from '../../src/config/index.js'
import type { Config, Entry } from '../../src/model.js'
import { openStore, type Store } from '../../src/store/index.js'
import { createFetcher, type FetchOptions, type Fetcher } from '../../src/fetch/index.js'
import { createApp } from '../../src/http/app.js'
import { RevWatcher } from '../../src/http/rev.js'
import { IMAGE_FRESH_MS } from '../../src/http/img.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { refreshSource } from '../../src/refresh.js'
import { publishedId } from '../../src/render/ids.js'
import { entry } from '../helpers/entries.js'
import { PHOTO, startPortal, THUMB, type Portal } from '../browser/portal.js'

/**
 * The image proxy (SPEC §8, issue 11 §4) against a portal with hotlink protection: the real
 * pipeline polls the portal's feed, our pages show its photo through /img/, and the proxy fetches
 * it with the article as Referer. Only addresses this server signed are ever requested.
 */
const POLLED_AT = new Date('2024-09-19T12:00:00Z')

interface Web {
  base: string
  config: Config
  store: Store
  clock: { now: Date }
  get(path: string, headers?: Record<string, string>): Promise<Response>
  /** Stores items of the `planted` source as a poll would. */
  plant(items: Entry[]): Promise<void>
  close(): Promise<void>
}

let portal: Portal

async function startWeb(options: { imageProxy?: boolean; secret?: string; store?: Store; fetcher?: Fetcher } = {}): Promise<Web> {
  let handler: Parameters<typeof createServer>[1] = () => undefined
  const server: Server = createServer((req, res) => handler!(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const config = resolveConfig({
    site: { title: '陕南新闻聚合', url: base, language: 'zh-CN', ...(options.imageProxy === false ? { imageProxy: false } : {}) },
    disclaimer: { text: '本网只是转载。', contact: '电话：029-00000000' },
    categories: { local: { title: '本地' } },
    sources: [
      { id: 'portal', title: '汉江在线', url: `${portal.base}/rss.xml`, categories: ['local'], homepage: `${portal.base}/` },
      { id: 'planted', title: '安康新闻网', url: `${portal.base}/planted.xml`, categories: ['local'] },
      { id: 'local-file', title: '本地文件', url: 'file:///srv/feeds/local.xml', categories: ['local'] },
    ],
  })
  const store = options.store ?? (await openStore('memory://'))
  if (!options.store) await refreshSource(config.sources[0], { store, fetcher: createFetcher(), now: () => POLLED_AT, log: silentLogger, random: () => 0.5 })
  const rev = new RevWatcher(store, silentLogger)
  await rev.refresh()
  const clock = { now: POLLED_AT }
  handler = createApp({ config, store, rev, metrics: new Metrics(), log: silentLogger, now: () => clock.now, imageSecret: options.secret, fetcher: options.fetcher })
  let revision = 0
  return {
    base,
    config,
    store,
    clock,
    get: (path, headers = {}) => fetch(base + path, { headers }),
    async plant(items) {
      await store.commit(
        { sourceId: 'planted', upserts: items, list: items.map((e) => [e.id, Date.parse(e.published)]), keys: [], clusters: [], removed: [], state: { id: 'planted', consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [], lastAttempt: `2024-09-19T12:00:0${++revision}Z` } },
        `planted-${revision}`,
      )
      await rev.refresh()
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (!options.store) await store.close()
    },
  }
}

/** The one story of the portal feed, by its JSON Feed item. */
async function storyPath(web: Web): Promise<string> {
  const feed = await (await web.get('/feeds/local.json?source=portal')).json()
  return feed.items[0]._feedloom.page.slice(web.base.length)
}

let web: Web
beforeAll(async () => {
  portal = await startPortal()
  web = await startWeb()
})
afterAll(async () => {
  await web?.close()
  await portal?.close()
})

const hits = (path: string) => portal.imageRequests.filter((r) => r.path === path)

describe('a photo behind hotlink protection', () => {
  it('is refused to anyone but the portal’s own pages (the check is real)', async () => {
    expect((await fetch(`${portal.base}/upload/2024/09/hanjiang.jpg`)).status).toBe(403)
    expect((await fetch(`${portal.base}/upload/2024/09/hanjiang.jpg`, { headers: { Referer: `${web.base}/items/x` } })).status).toBe(403)
  })

  it('shows on the item page through /img/, fetched once with the article as Referer, bytes intact', async () => {
    const $ = load(await (await web.get(await storyPath(web))).text())
    const img = $('.content img')
    expect(img.attr('src')).toMatch(/^\/img\/[A-Za-z0-9_-]{22}\/[A-Za-z0-9_-]+$/)
    expect(img.attr('loading')).toBe('lazy')
    // The feed keeps the portal's own address.
    const feed = await (await web.get('/feeds/local.json?source=portal')).json()
    expect(feed.items[0].content_html).toContain(`src="${portal.base}/upload/2024/09/hanjiang.jpg"`)

    const before = hits('/upload/2024/09/hanjiang.jpg').length
    const res = await web.get(img.attr('src')!)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    expect(Buffer.from(await res.arrayBuffer()).equals(PHOTO)).toBe(true)
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toMatch(/sandbox/)
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    const [request] = hits('/upload/2024/09/hanjiang.jpg').slice(before)
    expect(request.headers.referer).toBe(portal.article)
    expect(request.headers.accept).toBe('image/*')
    expect(request.status).toBe(200)

    // Cached: the next page views cost the portal nothing; the browser revalidates by ETag.
    const again = await web.get(img.attr('src')!)
    expect(Buffer.from(await again.arrayBuffer()).equals(PHOTO)).toBe(true)
    expect((await web.get(img.attr('src')!, { 'If-None-Match': again.headers.get('etag')! })).status).toBe(304)
    expect(hits('/upload/2024/09/hanjiang.jpg').length).toBe(before + 1)
  })

  it('rewrites srcset candidates too, and a mislabelled upload is served by what its bytes are', async () => {
    const $ = load(await (await web.get(await storyPath(web))).text())
    const candidates = $('.content img').attr('srcset')!.split(', ')
    expect(candidates).toHaveLength(2)
    const [url, descriptor] = candidates[1].split(' ')
    expect(descriptor).toBe('2x')
    const res = await web.get(url)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await res.arrayBuffer()).equals(THUMB)).toBe(true)
  })

  it('revalidates with the portal once it is no longer fresh, and keeps serving it while the portal is down', async () => {
    const $ = load(await (await web.get(await storyPath(web))).text())
    const src = $('.content img').attr('src')!
    await web.get(src)
    const before = hits('/upload/2024/09/hanjiang.jpg').length
    web.clock.now = new Date(POLLED_AT.getTime() + IMAGE_FRESH_MS + 1)
    const revalidated = await web.get(src)
    expect(Buffer.from(await revalidated.arrayBuffer()).equals(PHOTO)).toBe(true)
    const [conditional] = hits('/upload/2024/09/hanjiang.jpg').slice(before)
    expect(conditional).toMatchObject({ status: 304, headers: { 'if-none-match': '"hanjiang-1"' } })

    web.clock.now = POLLED_AT
  })

  it('keeps serving a stale copy while the portal fails, and another process sharing the store signs alike', async () => {
    const real = createFetcher()
    let down = false
    const flaky: Fetcher = { fetch: (url, validators, opts) => (down ? Promise.reject(new Error('fetch: connection refused')) : real.fetch(url, validators, opts)) }
    const other = await startWeb({ store: web.store, fetcher: flaky })
    try {
      const src = load(await (await web.get(await storyPath(web))).text())('.content img').attr('src')!
      // The key lives in the store: a second web process on it signs the same address.
      expect(load(await (await other.get(await storyPath(other))).text())('.content img').attr('src')).toBe(src)
      expect((await other.get(src)).status).toBe(200)
      down = true
      other.clock.now = new Date(POLLED_AT.getTime() + IMAGE_FRESH_MS + 1)
      const stale = await other.get(src)
      expect(stale.status).toBe(200)
      expect(Buffer.from(await stale.arrayBuffer()).equals(PHOTO)).toBe(true)
    } finally {
      await other.close()
    }
  })
})

describe('what the proxy refuses', () => {
  async function signedPath(image: string): Promise<string> {
    const id = 'f0000000000000000000000000000001'
    await web.plant([entry(id, 'planted', '2024-09-19T11:00:00.000Z', { url: portal.article, html: `<p><img src="${portal.base}${image}"></p>` })])
    const $ = load(await (await web.get(`/items/${publishedId(id).slice(9)}`)).text())
    return $('.content img').attr('src')!
  }

  it('a tampered address: another MAC, or another image under the same MAC, is 403 and never requested', async () => {
    const path = await signedPath('/upload/2024/09/hanjiang.jpg')
    const [, , mac, payload] = path.split('/')
    const flipped = `/img/${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}/${payload}`
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString())
    forged[1] = 'http://169.254.169.254/latest/meta-data/'
    const swapped = `/img/${mac}/${Buffer.from(JSON.stringify(forged)).toString('base64url')}`
    const before = portal.imageRequests.length
    for (const bad of [flipped, swapped, `/img/${mac}/!!!`, `/img/short/${payload}`]) {
      const res = await web.get(bad)
      expect(res.status, bad).toBe(403)
      expect(await res.text()).toBe('img: refused: this server did not sign that address')
    }
    expect(portal.imageRequests.length).toBe(before)
  })

  it.each([
    ['an error page sent as 200', '/upload/2024/09/error.jpg', 502, /^img: http:\/\/127\.0\.0\.1:\d+\/upload\/2024\/09\/error\.jpg answered text\/html; charset=utf-8, not an image$/],
    ['an image that never ends', '/upload/2024/09/endless.jpg', 502, /^img: fetch: body larger than 8 MiB limit/],
    ['a gone image', '/upload/2024/09/gone.jpg', 404, /^img: fetch: HTTP 404/],
  ])('%s is %i in words, and remembered for a while', async (_name, image, status, message) => {
    const path = await signedPath(image)
    const res = await web.get(path)
    expect(res.status).toBe(status)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.text()).toMatch(message)
    const asked = hits(image).length
    expect((await web.get(path)).status).toBe(status)
    expect(hits(image).length).toBe(asked)
  })
})

describe('signing', () => {
  it('with FEEDLOOM_SECRET every process signs alike; without it, the store keeps one key for all', async () => {
    const [a, b] = await Promise.all([startWeb({ secret: 'correct horse battery staple' }), startWeb({ secret: 'correct horse battery staple' })])
    const c = await startWeb({ secret: 'another secret entirely' })
    try {
      const src = async (w: Web) => load(await (await w.get(await storyPath(w))).text())('.content img').attr('src')!
      expect(await src(a)).toBe(await src(b))
      expect(await src(c)).not.toBe(await src(a))
      expect((await b.get(await src(a))).status).toBe(200)
      expect((await c.get(await src(a))).status).toBe(403)
      const secret = await web.store.getSecret()
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(await web.store.getSecret()).toBe(secret)
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })

  it('fetches with the host of the item source’s configured URL as the one host allowed to be private', async () => {
    const seen: FetchOptions[] = []
    const recording: Fetcher = {
      async fetch(url, _validators, opts = {}) {
        seen.push(opts)
        return { kind: 'ok', url, finalUrl: url, httpStatus: 200, body: PHOTO, contentType: 'image/jpeg', validators: {}, elapsedMs: 1 }
      },
    }
    const w = await startWeb({ fetcher: recording })
    try {
      await w.plant([entry('f0000000000000000000000000000002', 'planted', '2024-09-19T11:00:00.000Z', { html: '<p><img src="http://10.0.0.8/a.jpg"></p>' })])
      for (const id of ['f0000000000000000000000000000002']) {
        const $ = load(await (await w.get(`/items/${publishedId(id).slice(9)}`)).text())
        expect((await w.get($('.content img').attr('src')!)).status).toBe(200)
      }
      expect(seen[0]).toMatchObject({ trustedHost: '127.0.0.1', maxBodyBytes: 8 * 1024 * 1024, sourceId: 'planted', headers: { accept: 'image/*', referer: 'http://10.0.0.8/' } })
      expect(seen[0].signal).toBeInstanceOf(AbortSignal)
    } finally {
      await w.close()
    }
  })
})

describe('lead images in widgets and on pages', () => {
  const id = 'f0000000000000000000000000000003'
  beforeAll(async () => {
    await web.plant([entry(id, 'planted', '2024-09-19T11:59:00.000Z', { title: '带图新闻', url: portal.article, image: `${portal.base}/upload/2024/09/hanjiang.jpg`, html: '<p>正文没有图片。</p>' })])
  })

  it('the widget JSON carries the proxied lead image, the iframe shows it with show=image', async () => {
    const widget = await (await web.get('/widget/local.json?source=planted')).json()
    const item = widget.items.find((i: { title: string }) => i.title === '带图新闻')
    expect(item.image).toMatch(new RegExp(`^${web.base}/img/`))
    expect((await fetch(item.image)).headers.get('content-type')).toBe('image/jpeg')
    const frame = load(await (await web.get('/widget/local.html?source=planted&show=image')).text())
    expect(frame('.fl-item.fl-has-image .fl-thumb img').attr('src')).toBe(item.image)
    expect(frame('.fl-thumb img').attr('loading')).toBe('lazy')
    expect(load(await (await web.get('/widget/local.html?source=planted')).text())('img').length).toBe(0)
  })

  it('the category page shows it as a thumbnail, the item page as its lead', async () => {
    const category = load(await (await web.get('/c/local?source=planted')).text())
    const story = category('article.item').filter((_, a) => category(a).find('h2').text() === '带图新闻')
    expect(story.find('.thumb img').attr('src')).toMatch(/^\/img\//)
    const page = load(await (await web.get(`/items/${publishedId(id).slice(9)}`)).text())
    expect(page('figure.lead img').attr('src')).toBe(story.find('.thumb img').attr('src'))
  })
})

describe('site.imageProxy: false', () => {
  it('leaves images at their sources, asked for with no Referer, and /img/ answers nothing', async () => {
    const off = await startWeb({ imageProxy: false })
    try {
      const res = await off.get(await storyPath(off))
      expect(res.headers.get('content-security-policy')).toContain("img-src 'self' data: http: https:")
      const img = load(await res.text())('.content img')
      expect(img.attr('src')).toBe(`${portal.base}/upload/2024/09/hanjiang.jpg`)
      expect(img.attr('referrerpolicy')).toBe('no-referrer')
      expect((await off.get('/img/a/b')).status).toBe(404)
    } finally {
      await off.close()
    }
  })
})
