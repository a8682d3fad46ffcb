import { Script } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { load } from 'cheerio'
import { HttpError } from '../../src/errors.js'
import { parseWidgetOptions, relativeTime, WIDGET_SCRIPT_CACHE_CONTROL } from '../../src/http/widget.js'
import { frameAncestors, widgetCsp } from '../../src/http/headers.js'
import { FEED_CACHE_CONTROL } from '../../src/http/feeds.js'
import { publishedId } from '../../src/render/ids.js'
import { HOSTILE_TITLE, startSite, type Site } from '../browser/site.js'

/** The widget routes over a store the real pipeline filled from the e2e fixture feeds (test/browser/site.ts). */
let site: Site
beforeAll(async () => {
  site = await startSite()
})
afterAll(async () => {
  await site.close()
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(site.base + path, { headers })

describe('relativeTime', () => {
  const now = new Date('2024-09-19T12:00:00Z')
  it.each([
    ['2024-09-19T11:57:00Z', 'zh-CN', '3分钟前'],
    ['2024-09-19T11:57:00Z', 'en', '3 minutes ago'],
    ['2024-09-19T11:59:40Z', 'en', 'now'],
    ['2024-09-19T09:00:00Z', 'en', '3 hours ago'],
    ['2024-09-18T12:00:00Z', 'zh-CN', '昨天'],
    ['2024-09-18T12:00:00Z', 'zh-TW', '昨天'],
    ['2024-09-05T12:00:00Z', 'en', '2 weeks ago'],
    ['2023-09-19T12:00:00Z', 'zh-CN', '去年'],
    ['2024-09-19T12:07:00Z', 'en', 'now'],
  ])('%s in %s is "%s"', (iso, locale, expected) => {
    expect(relativeTime(iso, now, locale)).toBe(expected)
  })
})

describe('widget options', () => {
  it.each([
    [{ theme: 'pink' }, /^theme: /],
    [{ show: 'date,author' }, /^show: unknown part "author"/],
    [{ show: ['date', 'source'] }, /^show: give it once/],
    [{ lang: 'fr' }, /^lang: must be one of zh, en/],
  ])('%o is a 400 naming the parameter', (params, message) => {
    const error = (() => {
      try {
        parseWidgetOptions(params, site.config)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(400)
    expect((error as HttpError).message).toMatch(message)
  })

  it('defaults: light, date and source, the site language', () => {
    const options = parseWidgetOptions({}, site.config)
    expect(options).toMatchObject({ theme: 'light', show: { date: true, source: true, excerpt: false }, lang: { key: 'zh', locale: 'zh-CN' } })
  })

  it.each([
    [undefined, '*'],
    [["'self'", 'https://portal.example'], "'self' https://portal.example"],
    [['https://a.example; script-src *', 'https://b.example'], 'https://b.example'],
    [['bad token'], "'none'"],
  ])('frame-ancestors from %o is %s', (listed, expected) => {
    const config = { ...site.config, site: { ...site.config.site, widget: listed ? { frameAncestors: listed } : undefined } }
    expect(frameAncestors(config)).toBe(expected)
  })
})

describe('/widget/{category}.js', () => {
  it('is the static script, with the stylesheet and strings filled in, cached long with an ETag', async () => {
    const res = await get('/widget/local.js')
    const body = await res.text()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe(WIDGET_SCRIPT_CACHE_CONTROL)
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    expect(body).not.toContain('__FEEDLOOM_WIDGET_SHARED__')
    expect(body).toContain('.fl-list')
    expect(body).toContain('新闻暂时无法加载')
    expect(() => new Script(body)).not.toThrow()
    // The same bytes for every category: the script finds its category in its own URL.
    expect((await get('/widget/national.js')).headers.get('etag')).toBe(res.headers.get('etag'))
    const again = await get('/widget/local.js', { 'If-None-Match': res.headers.get('etag')! })
    expect(again.status).toBe(304)
  })
})

describe('/widget/{category}.json', () => {
  it('carries CORS, feed caching and an ETag the browser revalidates with', async () => {
    const res = await get('/widget/local.json?limit=5')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('cache-control')).toBe(FEED_CACHE_CONTROL)
    const feed = await res.json()
    expect(feed.items).toHaveLength(5)
    expect(feed._feedloom.disclaimer).toEqual({ text: site.config.disclaimer.text, contact: '电话：029-00000000' })
    const again = await get('/widget/local.json?limit=5', { 'If-None-Match': res.headers.get('etag')! })
    expect(again.status).toBe(304)
    expect(again.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('keeps links http(s) only, linking an item without one to its page here, and drops the text of title-only sources', async () => {
    const local = await (await get('/widget/local.json')).json()
    const hostile = local.items.find((i: { title: string }) => i.title.startsWith('点击领取'))
    expect(hostile.url).toBe(`${site.base}/items/${publishedId(hostile.id).slice('urn:uuid:'.length)}`)
    expect(local.items.every((i: { url: string }) => /^https?:\/\//.test(i.url))).toBe(true)
    const national = await (await get('/widget/national.json?source=chinanews')).json()
    expect(national.items.length).toBeGreaterThan(0)
    expect(national.items.every((i: { excerpt?: string; source: { id: string } }) => i.excerpt === undefined && i.source.id === 'chinanews')).toBe(true)
  })

  it('takes the feed query parameters', async () => {
    const all = await (await get('/widget/all.json')).json()
    expect(all.items.length).toBeGreaterThan(20)
    const q = await (await get(`/widget/all.json?q=${encodeURIComponent('汉江')}`)).json()
    expect(q.items.length).toBeGreaterThan(0)
    expect(q.items.length).toBeLessThan(all.items.length)
    const excluded = await (await get(`/widget/all.json?exclude=${encodeURIComponent('汉江')}`)).json()
    expect(excluded.items.length + q.items.length).toBe(all.items.length)
  })

  it('variant= converts the headlines and the widget own words, never the links', async () => {
    const plain = await (await get('/widget/all.json')).json()
    const hant = await (await get('/widget/all.json?variant=zh-Hant')).json()
    expect(hant._feedloom.disclaimer.text).toContain('僅代表作者個人觀點')
    expect(hant.items.map((i: { url?: string }) => i.url)).toEqual(plain.items.map((i: { url?: string }) => i.url))
    expect(hant.items.some((i: { title: string }, n: number) => i.title !== plain.items[n].title)).toBe(true)
    expect((await get('/widget/all.json?variant=zh-TW')).status).toBe(400)
  })
})

describe('/widget/{category}.html', () => {
  it('sets a CSP that allows framing, runs nothing and loads only its own images, the other HTML headers, and no X-Frame-Options', async () => {
    const res = await get('/widget/local.html')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(widgetCsp(site.config))
    expect(res.headers.get('content-security-policy')).toBe(`default-src 'none'; style-src 'unsafe-inline'; img-src 'self' ${site.base} data:; base-uri 'none'; form-action 'none'; frame-ancestors *`)
    expect(res.headers.get('x-frame-options')).toBeNull()
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    expect(res.headers.get('permissions-policy')).toMatch(/camera=\(\)/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const again = await get('/widget/local.html', { 'If-None-Match': res.headers.get('etag')! })
    expect(again.status).toBe(304)
  })

  it('frame-ancestors follows site.widget.frameAncestors', async () => {
    const other = await startSite({ frameAncestors: ['https://portal.example', "'self'"], planted: false })
    try {
      const res = await fetch(`${other.base}/widget/local.html`)
      expect(res.headers.get('content-security-policy')).toMatch(/; frame-ancestors https:\/\/portal\.example 'self'$/)
    } finally {
      await other.close()
    }
  })

  it('escapes hostile text, links only http(s), and shows the options', async () => {
    const html = await (await get('/widget/local.html?theme=dark&lang=en&show=date,excerpt&limit=8')).text()
    const $ = load(html)
    expect($('script, img, svg, iframe').length).toBe(0)
    expect($('.fl').attr('data-theme')).toBe('dark')
    expect($('html').attr('lang')).toBe('en')
    expect($('.fl-item')).toHaveLength(8)
    expect($('.fl-headline').first().text()).toBe(HOSTILE_TITLE)
    expect($('a[href^="javascript:" i]').length).toBe(0)
    // The item whose only link was javascript: links to its page here (issue 11 §1).
    expect($('a.fl-headline').filter((_, a) => $(a).text().startsWith('点击领取')).attr('href')).toMatch(new RegExp(`^${site.base}/items/[0-9a-f-]{36}$`))
    // Two lines on screen, the whole title in the tooltip.
    expect($('a.fl-headline').map((_, a) => $(a).attr('title')).get()).toEqual($('a.fl-headline').map((_, a) => $(a).text()).get())
    expect($('.fl-source').length).toBe(0)
    expect($('time').first().text()).toBe('10 minutes ago')
    expect($('.fl-more').text()).toBe('More')
    expect($('.fl-foot').text()).toContain('电话：029-00000000')
  })

  it.each([
    ['/widget/local.html?theme=pink', 400, /^theme: /],
    ['/widget/local.html?limit=0', 400, /^limit: /],
    ['/widget/local.json?source=nope', 400, /^source: unknown source id "nope"/],
    ['/widget/local.js?limit=500', 400, /^limit: /],
    ['/widget/sports.js', 404, /unknown category "sports"/],
    ['/widget/sports.json', 404, /unknown category "sports"/],
    ['/widget/local.css', 404, /no such widget/],
  ])('%s → %i in words', async (path, status, message) => {
    const res = await get(path)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toMatch(message)
  })
})
