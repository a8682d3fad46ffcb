import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { load } from 'cheerio'
import { entry } from '../helpers/entries.js'
import { CATEGORY_PAGE_SIZE } from '../../src/http/pages-routes.js'
import { htmlHeaders, pageCsp, PERMISSIONS_POLICY } from '../../src/http/headers.js'
import { pageLink, resolveLanguage } from '../../src/http/pages.js'
import { webUrl } from '../../src/render/view.js'
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
  ])('webUrl(%s) is %s', (url, expected) => {
    expect(webUrl(url)).toBe(expected)
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

})

describe('error pages (SPEC §7, issue 11 §3)', () => {
  it.each([
    ['/c/nope', 404, '找不到页面', '没有 "nope" 这个栏目。', 'unknown category "nope"'],
    ['/c/local?page=999', 400, '请求有误', '页码 page 应为 1 到 50 之间的整数，收到的是 "999"。', 'page: must be a whole number from 1 to 50, got "999"'],
    ['/c/local?page=0', 400, '请求有误', '收到的是 "0"', 'got "0"'],
    ['/c/local?page=two', 400, '请求有误', '收到的是 "two"', 'got "two"'],
    ['/c/international?page=2', 404, '找不到页面', '这个栏目没有第 2 页：目前共 1 页。', 'page: there is no page 2 (the last is 1)'],
    ['/?lang=xx', 400, '请求有误', '语言参数 lang 只能是 zh（中文）或 en（英文），收到的是 "xx"。', 'lang: must be one of zh, en, got "xx"'],
    ['/c/local?lang=fr', 400, '请求有误', '"fr"', 'lang: '],
    ['/status?lang=xx', 400, '请求有误', '"xx"', 'lang: '],
    ['/c/local?source=nope', 400, '请求有误', '这个地址无法显示。', 'source: unknown source id "nope"'],
    ['/items/00000000-0000-5000-8000-000000000000', 404, '找不到页面', '找不到这条新闻', 'no story "00000000-0000-5000-8000-000000000000"'],
    ['/items/not-a-uuid', 404, '找不到页面', '找不到这条新闻', 'no story'],
  ])('%s → %i, a page in the site language naming the problem and linking home', async (path, status, heading, words, detail) => {
    const res = await get(path)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-security-policy')).toBe(pageCsp(site.config))
    const $ = load(await res.text())
    expect($('html').attr('lang')).toBe('zh-CN')
    expect($('h1').text()).toBe(heading)
    expect($('.error-card .problem').text()).toContain(words)
    expect($('.error-card code').text()).toContain(detail)
    expect($('meta[name=robots]').attr('content')).toBe('noindex')
    expect($('.error-card a').first().attr('href')).toBe('/')
  })

  it('speaks the language the reader chose with ?lang=', async () => {
    const res = await get('/c/nope?lang=en')
    const $ = load(await res.text())
    expect($('html').attr('lang')).toBe('en')
    expect($('h1').text()).toBe('Page not found')
    expect($('.error-card .problem').text()).toBe('There is no category "nope".')
    expect($('.error-card a').first().attr('href')).toBe('/?lang=en')
  })

  it('an unknown path is a page for a browser, a line of text for anything else', async () => {
    const browser = await get('/nope/deeper', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
    expect(browser.status).toBe(404)
    expect(load(await browser.text())('.error-card .problem').text()).toBe('没有这个页面，可能是链接有误或已失效。')
    const script = await get('/nope/deeper')
    expect(script.status).toBe(404)
    expect(script.headers.get('content-type')).toMatch(/^text\/plain/)
  })

  it.each([
    ['/feeds/sports.rss', 404, /unknown category "sports"/],
    ['/feeds/local.json?limit=0', 400, /^limit: /],
    ['/status.json?x', 200, /^\{/],
  ])('feed and JSON routes keep short plain-text errors: %s', async (path, status, body) => {
    const res = await get(path, { Accept: 'text/html' })
    expect(res.status).toBe(status)
    expect(await res.text()).toMatch(body)
  })
})

describe('security headers on every HTML page (issue 12 §7)', () => {
  const HTML_PAGES = ['/', '/c/local', '/c/all?page=2', '/status', '/nope', '/c/nope', '/feeds/local.rss']
  it.each(HTML_PAGES)('%s', async (path) => {
    const res = await get(path, { Accept: 'text/html' })
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(pageCsp(site.config))
    expect(res.headers.get('content-security-policy')).not.toContain("'unsafe-inline'".replace('inline', 'eval'))
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' http:\/\/127\.0\.0\.1:\d+;/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'self'$/)
    expect(res.headers.get('permissions-policy')).toBe(PERMISSIONS_POLICY)
    // The test site is http://127.0.0.1: no HSTS, which browsers ignore over http anyway.
    expect(res.headers.get('strict-transport-security')).toBeNull()
  })

  it('HSTS only when site.url is https; images from anywhere only with the proxy off', () => {
    const https = { ...site.config, site: { ...site.config.site, url: 'https://news.example.org' } }
    expect(htmlHeaders(https)['Strict-Transport-Security']).toBe('max-age=31536000')
    expect(htmlHeaders(https, 'widget')['Strict-Transport-Security']).toBe('max-age=31536000')
    expect(htmlHeaders(https, 'widget')['X-Frame-Options']).toBeUndefined()
    expect(htmlHeaders(site.config)['Strict-Transport-Security']).toBeUndefined()
    expect(pageCsp(https)).toContain("img-src 'self' https://news.example.org data:;")
    expect(pageCsp({ ...https, site: { ...https.site, imageProxy: false } })).toContain("img-src 'self' data: http: https:;")
  })
})

describe('/status', () => {
  it('puts failing sources first, says why in words without repeating the row, and matches /status.json', async () => {
    const { res, $ } = await page('/status')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-security-policy')).toBe(pageCsp(site.config))
    const rows = $('#status-table tbody tr')
    const cell = (row: ReturnType<typeof rows.first>, col: string) => row.find('td').eq($(`#status-table th[data-col=${col}]`).index())
    expect(rows.first().attr('data-health')).toBe('failing')
    const json = await (await get('/status.json')).json()
    const broken = json.sources[0]
    expect(broken).toMatchObject({ id: 'broken', health: 'failing', consecutiveFailures: 1 })
    // The row names the source and its URL already; the error says what happened.
    expect(broken.lastError).toMatch(/^parse: malformed XML.*source broken/)
    expect(cell(rows.first(), 'error').text()).toMatch(/^parse: malformed XML/)
    expect(cell(rows.first(), 'error').text()).not.toMatch(/source broken|file:/)
    expect(cell(rows.first(), 'attempt').text()).toBe('2024年9月19日 20:00')
    expect($('#status-table th').map((_, th) => $(th).attr('data-col')).get()).toEqual(['source', 'state', 'http', 'attempt', 'success', 'error', 'items', 'failures', 'next'])
    // file:// sources have no HTTP status; the planted https source keeps none either (its state has none).
    expect(rows.map((_, r) => cell($(r), 'http').text()).get().every((t) => t === '—')).toBe(true)
    expect(json.sources.every((s: { httpStatus?: number }) => s.httpStatus === undefined)).toBe(true)
    expect(rows.map((_, r) => $(r).find('td').first().attr('data-sort')).get()).toEqual(json.sources.map((s: { title: string }) => s.title))
    expect(json.summary).toEqual({ total: 8, failing: 1 })
    expect($('.notice').length).toBe(0)
  })

  it('speaks English with ?lang=en', async () => {
    const { $ } = await page('/status?lang=en')
    expect($('h1').text()).toBe('Source status')
    expect($('#status-table tbody tr').first().find('td').eq(1).text()).toBe('failing')
    expect($('header.page p').text()).toMatch(/ · 8 sources, 1 failing \(listed first\)$/)
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
