import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { load } from 'cheerio'
import { convertText } from '../../src/variant/index.js'
import { htmlHeaders } from '../../src/http/headers.js'
import { HOSTILE_ITEMS, startSite, type Site } from '../browser/site.js'
import { publishedId } from '../../src/render/ids.js'

/**
 * `/items/{uuid}` (SPEC §7, issue 11 §1): every published story's own page, over a store the real
 * pipeline filled from the e2e fixture feeds (test/browser/site.ts), in each content mode.
 */
let site: Site
beforeAll(async () => {
  site = await startSite()
})
afterAll(async () => {
  await site.close()
})

interface JsonItem {
  id: string
  url: string
  title: string
  summary?: string
  content_html: string
  date_published: string
  authors?: Array<{ name: string }>
  _feedloom: { page: string; content_mode: string; source: { id: string; title: string }; origin?: string; also_reported_by: Array<{ source_title: string; title: string; url?: string }> }
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(site.base + path, { headers })
let items: JsonItem[]
beforeAll(async () => {
  items = (await (await get('/feeds/all.json?limit=200')).json()).items
})
const pagePath = (item: JsonItem) => item._feedloom.page.slice(site.base.length)

async function storyPage(item: JsonItem, query = '') {
  const res = await get(pagePath(item) + query)
  expect(res.status, item.title).toBe(200)
  return { res, $: load(await res.text()) }
}

/** What a reader sees of a footer-less text: the content HTML without our footer. */
function articleText(html: string): string {
  const $ = load(html.slice(0, html.lastIndexOf('<hr/>')), null, false)
  return $.root().text().replace(/\s+/g, '')
}

describe('the page of each story', () => {
  it('is linked from every JSON Feed item, at /items/ + its published uuid', () => {
    expect(items.length).toBeGreaterThan(20)
    for (const item of items) expect(item._feedloom.page).toBe(`${site.base}/items/${item.id.slice('urn:uuid:'.length)}`)
  })

  it.each(['full', 'summary', 'title'])('%s: headline, source, date in the site zone, the content the mode allows, disclaimer and the original', async (mode) => {
    const item = items.find((i) => i._feedloom.content_mode === mode && !i.url.startsWith(site.base))!
    const { res, $ } = await storyPage(item)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    for (const [name, value] of Object.entries(htmlHeaders(site.config))) expect(res.headers.get(name), name).toBe(value)
    expect($('h1').text()).toBe(item.title)
    expect($('title').text()).toBe(`${item.title} · 陕南新闻聚合`)
    expect($('.byline').text()).toContain(item._feedloom.source.title)
    const shanghai = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' }).format(new Date(item.date_published))
    expect($('.byline time').text()).toBe(shanghai)
    expect($('link[rel=canonical]').attr('href')).toBe(item.url)
    expect($('a.read-original').attr('href')).toBe(item.url)
    expect($('.rights').text()).toBe(`${site.config.disclaimer.text} 电话：029-00000000`)
    if (mode === 'full') {
      expect($('.content').text().replace(/\s+/g, '')).toBe(articleText(item.content_html))
      expect($('.excerpt').length).toBe(0)
    } else if (mode === 'summary') {
      expect($('.content').length).toBe(0)
      expect($('.excerpt').text()).toBe(item.summary)
      expect($('.note').text()).toContain('摘要')
    } else {
      // A title-only source: nothing of its text, just the headline and the link.
      expect($('.content, .excerpt').length).toBe(0)
      expect($('.note').text()).toContain('标题')
    }
  })

  it('shows the stated origin, the credits and the other sources that reported it', async () => {
    const credited = items.find((i) => i._feedloom.origin === '各界新闻网')!
    const { $ } = await storyPage(credited)
    expect($('.byline .origin').text()).toBe('来源：各界新闻网')
    expect($('.byline .credits').text()).toBe(`作者：${credited.authors!.map((a) => a.name).join('、')}`)
    expect($('.byline .credits').text()).toContain('唐冰')

    const reprinted = items.find((i) => i._feedloom.also_reported_by.length > 0)!
    const other = reprinted._feedloom.also_reported_by[0]
    const page = (await storyPage(reprinted)).$
    expect(page('.also-list li strong').text()).toBe(other.source_title)
    expect(page('.also-list li a').text()).toBe(other.title)
    expect(page('.also-list li a').attr('href')).toBe(other.url)
  })

  it('is the hostile item page: its text is text, its javascript: link no link, and it is its own canonical page', async () => {
    const [evilImg, evilJs] = HOSTILE_ITEMS
    for (const planted of [evilImg, evilJs]) {
      const res = await get(`/items/${publishedId(planted.id).slice('urn:uuid:'.length)}`)
      expect(res.status).toBe(200)
      const html = await res.text()
      const $ = load(html)
      expect($('h1').text()).toBe(planted.title)
      expect($('script:not([src]), svg, iframe').length).toBe(0)
      expect($('img').length).toBe(0)
      expect($('[onerror], [onload]').length).toBe(0)
      expect($('a[href^="javascript:" i]').length).toBe(0)
      expect($('.byline').text()).toContain('<b>恶意来源</b>')
    }
    const js = load(await (await get(`/items/${publishedId(evilJs.id).slice('urn:uuid:'.length)}`)).text())
    expect(js('a.read-original').length).toBe(0)
    expect(js('link[rel=canonical]').attr('href')).toBe(`${site.base}/items/${publishedId(evilJs.id).slice('urn:uuid:'.length)}`)
  })

  it('the sanitized hostile source keeps its text and none of its scripts', async () => {
    for (const item of items.filter((i) => i._feedloom.source.id === 'hostile')) {
      const $ = (await storyPage(item)).$
      expect($('.content script, .content iframe, .content [onclick], .content [onerror], .content [style]').length).toBe(0)
      expect($('.content a[href^="javascript:" i]').length).toBe(0)
    }
  })

  it('speaks English with lang=en, converts the story with variant=, and keeps both on its links', async () => {
    const item = items.find((i) => i._feedloom.content_mode === 'full' && /[汉这国]/.test(i.title))!
    const en = (await storyPage(item, '?lang=en')).$
    expect(en('html').attr('lang')).toBe('en')
    expect(en('a.read-original').text()).toBe('Read the original →')
    const hant = (await storyPage(item, '?variant=zh-Hant')).$
    expect(hant('h1').text()).toBe(convertText(item.title, 'zh-Hant'))
    expect(hant('h1').text()).not.toBe(item.title)
    expect(hant('.rights').text()).toContain('僅代表作者個人觀點')
    expect(hant('nav a').last().attr('href')).toBe(`${pagePath(item)}?variant=zh-Hant&lang=en`)
    expect((await get(`${pagePath(item)}?variant=zh-TW`)).status).toBe(400)
  })

  it('answers If-None-Match with 304, and accepts its uuid in capitals', async () => {
    const item = items[0]
    const first = await get(pagePath(item))
    expect((await get(pagePath(item), { 'If-None-Match': first.headers.get('etag')! })).status).toBe(304)
    expect((await get(pagePath(item).toUpperCase().replace('/ITEMS/', '/items/'))).status).toBe(200)
  })
})

describe('pages that list stories link each to its page', () => {
  it.each(['/', '/c/local', '/c/all'])('%s', async (path) => {
    const $ = load(await (await get(path)).text())
    const links = $('.items .headline, article.item h2 a').map((_, a) => $(a).attr('href')).get()
    expect(links.length).toBeGreaterThan(3)
    const pages = new Set(items.map(pagePath))
    for (const link of links) expect(pages.has(link), link).toBe(true)
  })

  it('the category page still links the original next to it', async () => {
    const $ = load(await (await get('/c/national')).text())
    const article = $('article.item').first()
    const title = article.find('h2').text()
    expect(article.find('.meta a').last().attr('href')).toBe(items.find((i) => i.title === title)!.url)
  })
})
