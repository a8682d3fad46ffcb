import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { load } from 'cheerio'
import { entry } from '../helpers/entries.js'
import { CATEGORY_PAGE_SIZE, pageCsp } from '../../src/http/pages-routes.js'
import { pageLink, resolveLanguage, safeHref } from '../../src/http/pages.js'
import { HOSTILE_TITLE, startSite, type Site } from '../browser/site.js'

/** The HTML pages over a store the real pipeline filled from the e2e fixture feeds (test/browser/site.ts). */
let site: Site
beforeAll(async () => {
  site = await startSite()
})
afterAll(async () => {
  await site.close()
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(site.base + path, { headers })
const page = async (path: string) => {
  const res = await get(path)
  expect(res.status, path).toBe(200)
  return { res, $: load(await res.text()) }
}

describe('helpers', () => {
  it.each([
    ['https://a.example/x', 'https://a.example/x'],
    ['http://a.example/', 'http://a.example/'],
    ['javascript:alert(1)', undefined],
    ['JaVaScRiPt:alert(1)', undefined],
    ['data:text/html,<script>alert(1)</script>', undefined],
    ['/relative', undefined],
    [undefined, undefined],
  ])('safeHref(%s) is %s', (url, expected) => {
    expect(safeHref(url)).toBe(expected)
  })

  it('an explicit ?lang= is carried on by every link; the site language is not written out', () => {
    const zh = resolveLanguage(undefined, site.config)
    const en = resolveLanguage('en', site.config)
    expect(zh).toEqual({ key: 'zh', locale: 'zh-CN', explicit: false })
    expect(en).toEqual({ key: 'en', locale: 'en', explicit: true })
    expect(pageLink('/c/local', zh, { page: 2 })).toBe('/c/local?page=2')
    expect(pageLink('/c/local', en, { page: 2, q: '汉江' })).toBe('/c/local?page=2&q=%E6%B1%89%E6%B1%9F&lang=en')
    expect(() => resolveLanguage('fr', site.config)).toThrow(/^lang: /)
  })
})

describe('/', () => {
  it('shows the site, each category with escaped headlines, subscribe links and autodiscovery, under a CSP', async () => {
    const { res, $ } = await page('/')
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(pageCsp(site.config))
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' http:\/\/127\.0\.0\.1:\d+;/)
    expect($('h1').text()).toBe('陕南新闻聚合')
    expect($('section.card[id^=c-]').map((_, s) => $(s).attr('id')).get()).toEqual(['c-local', 'c-national', 'c-international'])
    for (const key of ['all', 'local', 'national', 'international']) {
      for (const [ext, type] of [['rss', 'application/rss+xml'], ['atom', 'application/atom+xml'], ['json', 'application/feed+json']]) {
        expect($(`link[rel=alternate][type="${type}"][href="/feeds/${key}.${ext}"]`).length, `${key}.${ext}`).toBe(1)
        expect($(`button[data-copy="${site.base}/feeds/${key}.${ext}"]`).length).toBe(1)
      }
    }
    expect($('#c-local .headline').first().text()).toBe(HOSTILE_TITLE)
    expect($('img, svg, iframe').length).toBe(0)
    expect($('a[href^="javascript:" i]').length).toBe(0)
    expect($('script').map((_, s) => $(s).attr('src')).get()).toEqual([expect.stringMatching(/^\/assets\/pages\.js\?v=/)])
    expect($('script:not([src])').length).toBe(0)
    expect($('#embed-form').attr('data-base')).toBe(site.base)
  })

  it('answers If-None-Match with 304', async () => {
    const first = await get('/')
    expect((await get('/', { 'If-None-Match': first.headers.get('etag')! })).status).toBe(304)
  })

  it('speaks English with ?lang=en and keeps it on its links', async () => {
    const { $ } = await page('/?lang=en')
    expect($('html').attr('lang')).toBe('en')
    expect($('#embed-h').text()).toBe('Embed the headlines on your site')
    expect($('nav a').map((_, a) => $(a).attr('href')).get()).toEqual(['/?lang=en', '/?lang=en#embed', '/status?lang=en', '/feeds.opml', '/?lang=zh'])
    expect($('#c-local a.more').attr('href')).toBe('/c/local?lang=en')
  })
})

describe('/c/{category}', () => {
  it('lists the items with source, time in the site zone, excerpt and also-reported-by', async () => {
    const { $ } = await page('/c/national')
    const reprinted = $('article.item').filter((_, a) => $(a).find('.also li').length > 0)
    expect(reprinted.length).toBe(1)
    expect(reprinted.find('.also li').text()).toBe('中国新闻网 · 即时新闻')
    expect(reprinted.find('.meta').text()).toContain('人民网 · 时政')
    expect(reprinted.find('time').text()).toBe('2024年9月19日 17:11')
    // chinanews is a title-only source: its items show no text.
    const chinanews = $('article.item').filter((_, a) => $(a).find('.meta').text().includes('中国新闻网'))
    expect(chinanews.length).toBeGreaterThan(0)
    expect(chinanews.find('.excerpt').length).toBe(0)
    const all = await page('/c/all')
    expect(all.$('h1').text()).toBe('全部新闻')
    expect(all.$('article.item')).toHaveLength(CATEGORY_PAGE_SIZE)
  })

  it('pages by 20, with rel=prev/next that keep the feed parameters', async () => {
    const many = await startSite({ planted: false })
    try {
      await many.plant(Array.from({ length: 45 }, (_, i) => entry(`p${i}`, 'planted', new Date(Date.UTC(2024, 8, 18, 0, i)).toISOString(), { title: `第${i}条`, url: `https://planted.example/${i}.html` })))
      const at = async (path: string) => load(await (await fetch(many.base + path)).text())
      const first = await at('/c/local?source=planted')
      expect(first('article.item')).toHaveLength(CATEGORY_PAGE_SIZE)
      expect(first('a[rel=next]').attr('href')).toBe('/c/local?source=planted&page=2')
      expect(first('a[rel=prev]').length).toBe(0)
      const third = await at('/c/local?source=planted&page=3&lang=en')
      expect(third('article.item')).toHaveLength(5)
      expect(third('a[rel=next]').length).toBe(0)
      expect(third('a[rel=prev]').attr('href')).toBe('/c/local?source=planted&page=2&lang=en')
      expect(third('ol.items').attr('start')).toBe('41')
      expect((await fetch(`${many.base}/c/local?source=planted&page=4`)).status).toBe(404)
    } finally {
      await many.close()
    }
  })

  it.each([
    ['/c/sports', 404, /unknown category "sports"/],
    ['/c/local?page=0', 400, /^page: /],
    ['/c/local?page=two', 400, /^page: /],
    ['/c/local?page=51', 400, /^page: /],
    ['/c/local?source=nope', 400, /^source: /],
    ['/c/local?lang=fr', 400, /^lang: /],
    ['/?lang=de', 400, /^lang: /],
    ['/status?lang=xx', 400, /^lang: /],
  ])('%s → %i in words', async (path, status, message) => {
    const res = await get(path)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toMatch(message)
  })
})

describe('/status', () => {
  it('puts failing sources first, says why in words, and matches /status.json', async () => {
    const { res, $ } = await page('/status')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-security-policy')).toBe(pageCsp(site.config))
    const rows = $('#status-table tbody tr')
    expect(rows.first().attr('data-health')).toBe('failing')
    expect(rows.first().find('td').eq(3).text()).toMatch(/^parse: malformed XML/)
    expect($('#status-table th button')).toHaveLength(7)
    const json = await (await get('/status.json')).json()
    expect(rows.map((_, r) => $(r).find('td').first().attr('data-sort')).get()).toEqual(json.sources.map((s: { title: string }) => s.title))
    expect(json.sources[0]).toMatchObject({ id: 'broken', health: 'failing', consecutiveFailures: 1 })
  })

  it('speaks English with ?lang=en', async () => {
    const { $ } = await page('/status?lang=en')
    expect($('h1').text()).toBe('Source status')
    expect($('#status-table tbody tr').first().find('td').eq(1).text()).toBe('failing')
  })
})

describe('/assets/pages.js', () => {
  it('is served as a cacheable script with an ETag', async () => {
    const res = await get('/assets/pages.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect((await get('/assets/pages.js', { 'If-None-Match': res.headers.get('etag')! })).status).toBe(304)
  })
})
