import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { entry } from '../helpers/entries.js'
import { publishedId } from '../../src/render/ids.js'
import { HAVE_CHROMIUM, launchChromium, openPage, UI_TIMEOUT_MS } from './chromium.js'
import { startPortal, type Portal } from './portal.js'
import { HOSTILE_ITEMS, POLLED_AT, startSite, type Site } from './site.js'

/**
 * The pages a person reads, in Debian's Chromium (issue 11): item pages in each content mode and
 * the hostile item's, a portal photo behind a Referer check shown through the image proxy, a
 * tampered proxy address refused, a 5,000-character title clamped, a feed URL opened by the
 * browser, an error page, the dark iframe and the widget's loading state. Every page must load
 * with no console error: a CSP that blocked our own script, style or image would show there.
 */
let site: Site
let portal: Portal
let browser: Browser
const LONG_TITLE = `安康城区新增公交线路${'，沿线群众出行更加便利'.repeat(454)}`.slice(0, 5000)
const LONG_ID = 'f0000000000000000000000000000010'
const LEAD_ID = 'f0000000000000000000000000000011'

interface JsonItem {
  title: string
  url: string
  _feedloom: { page: string; content_mode: string; source: { id: string } }
}
let items: JsonItem[]

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return
  portal = await startPortal()
  site = await startSite({ portal })
  await site.plant([
    ...HOSTILE_ITEMS,
    entry(LONG_ID, 'planted', '2024-09-19T11:58:00.000Z', { title: LONG_TITLE, url: 'https://planted.example/long.html', excerpt: '摘要'.repeat(400) }),
    entry(LEAD_ID, 'planted', '2024-09-19T11:59:00.000Z', { title: '汉江秋汛 图片新闻', url: portal.article, image: `${portal.base}/upload/2024/09/hanjiang.jpg` }),
  ])
  items = (await (await fetch(`${site.base}/feeds/all.json?limit=200`)).json()).items
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await site?.close()
  await portal?.close()
})

const open = (path: string) => openPage(browser, path.startsWith('http') ? path : site.base + path)

/** Whether every <img> the selector finds has loaded, and their natural widths. */
async function loadedImages(page: Page, selector: string): Promise<number[]> {
  await page.waitForFunction((s) => Array.from(document.querySelectorAll<HTMLImageElement>(s)).every((img) => img.complete), selector)
  return page.locator(selector).evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth))
}

/** The colour of one pixel of a PNG screenshot, read by Chromium's own decoder on a canvas. */
function pixel(page: Page, png: Buffer, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    async ([data, px, py]) => {
      const image = new Image()
      image.src = `data:image/png;base64,${data}`
      await image.decode()
      const canvas = document.createElement('canvas')
      canvas.width = image.width
      canvas.height = image.height
      const context = canvas.getContext('2d')!
      context.drawImage(image, 0, 0)
      return Array.from(context.getImageData(px as number, py as number, 1, 1).data.slice(0, 3))
    },
    [png.toString('base64'), x, y] as const,
  )
}

describe.skipIf(!HAVE_CHROMIUM)('pages in Chromium', () => {
  it.each(['full', 'summary', 'title'])('the %s item page shows what its mode allows, with the disclaimer and the original', async (mode) => {
    const item = items.find((i) => i._feedloom.content_mode === mode && !i.url.startsWith(site.base))!
    const { page, context, problems } = await open(item._feedloom.page)
    expect(await page.locator('h1').textContent()).toBe(item.title)
    expect(await page.locator('.content').count()).toBe(mode === 'full' ? 1 : 0)
    expect(await page.locator('.excerpt').count()).toBe(mode === 'summary' ? 1 : 0)
    expect(await page.locator('.rights').textContent()).toContain('电话：029-00000000')
    await page.getByRole('link', { name: '阅读原文 →' }).waitFor()
    expect(await page.getByRole('link', { name: '阅读原文 →' }).getAttribute('href')).toBe(item.url)
    expect(problems).toEqual([])
    await context.close()
  })

  it("the hostile item's page runs nothing and opens no dialog", async () => {
    for (const planted of HOSTILE_ITEMS) {
      const { page, context, problems } = await open(`/items/${publishedId(planted.id).slice(9)}`)
      expect(await page.locator('h1').textContent()).toBe(planted.title)
      expect(await page.evaluate(() => document.querySelectorAll('svg, iframe, img, script:not([src])').length)).toBe(0)
      expect(problems).toEqual([])
      await context.close()
    }
    for (const hostile of items.filter((i) => i._feedloom.source.id === 'hostile')) {
      const { context, problems } = await open(hostile._feedloom.page)
      expect(problems).toEqual([])
      await context.close()
    }
  })

  it("shows a portal's photo that refuses other sites, through the image proxy", async () => {
    const story = items.find((i) => i._feedloom.source.id === 'portal')!
    // Straight from our page, the portal refuses it: that is the problem the proxy solves.
    const direct = await open('/')
    await direct.page.setContent(`<img id="x" src="${portal.base}/upload/2024/09/hanjiang.jpg">`)
    expect(await loadedImages(direct.page, '#x')).toEqual([0])
    await direct.context.close()

    const before = portal.imageRequests.length
    const { page, context, problems } = await open(story._feedloom.page)
    await page.locator('.content img').scrollIntoViewIfNeeded()
    expect(await loadedImages(page, '.content img')).toEqual([480])
    const asked = portal.imageRequests.slice(before).filter((r) => r.status === 200)
    expect(asked.length).toBeGreaterThan(0)
    expect(asked.every((r) => r.headers.referer === portal.article)).toBe(true)
    expect(problems).toEqual([])
    await context.close()
  })

  it('refuses a tampered proxy address: the image does not load and the portal is never asked', async () => {
    const story = items.find((i) => i._feedloom.source.id === 'portal')!
    const { page, context } = await open(story._feedloom.page)
    const src = (await page.locator('.content img').getAttribute('src'))!
    const [, , mac, payload] = src.split('/')
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString())
    forged[1] = `${portal.base}/upload/2024/09/secret.jpg`
    const tampered = [`/img/${mac}/${Buffer.from(JSON.stringify(forged)).toString('base64url')}`, `/img/${mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}/${payload}`]
    const before = portal.imageRequests.length
    const shown = await page.evaluate(async (paths) => {
      const results = []
      for (const path of paths) {
        const img = new Image()
        const loaded = await new Promise<boolean>((resolve) => {
          img.onload = () => resolve(true)
          img.onerror = () => resolve(false)
          img.src = path
        })
        results.push({ loaded, status: (await fetch(path)).status })
      }
      return results
    }, tampered)
    expect(shown).toEqual([
      { loaded: false, status: 403 },
      { loaded: false, status: 403 },
    ])
    expect(portal.imageRequests.length).toBe(before)
    await context.close()
  })

  it('clamps a 5,000-character title to two lines in the widget, with the whole title as its tooltip', async () => {
    portal.pages.set('/long', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body style="width:420px">
      <div id="w"></div><script src="${site.base}/widget/local.js?source=planted" data-target="w" data-show="date,source,excerpt" async></script></body></html>`)
    const { page, context, problems } = await openPage(browser, `${portal.base}/long`, { clock: new Date(POLLED_AT) })
    await page.waitForFunction(() => (document.getElementById('w')?.shadowRoot?.querySelectorAll('li').length ?? 0) > 0)
    const measured = await page.evaluate((title) => {
      const root = document.getElementById('w')!.shadowRoot!
      const link = Array.from(root.querySelectorAll<HTMLAnchorElement>('a.fl-headline')).find((a) => a.textContent === title)!
      const excerpt = link.closest('li')!.querySelector<HTMLElement>('.fl-excerpt')!
      const lines = (el: HTMLElement) => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)
      return { lines: lines(link), excerptLines: lines(excerpt), tooltip: link.title, widget: root.querySelector('.fl')!.getBoundingClientRect().height }
    }, LONG_TITLE)
    expect(measured.lines).toBeCloseTo(2, 1)
    expect(measured.excerptLines).toBeCloseTo(2, 1)
    expect(measured.tooltip).toBe(LONG_TITLE)
    expect(measured.widget).toBeLessThan(2000)
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows lead images with data-show=image in a fixed box, so nothing moves when they arrive', async () => {
    portal.pages.set('/images', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body style="width:420px">
      <div id="w"></div><script src="${site.base}/widget/local.js?source=planted" data-target="w" data-show="image,date" async></script></body></html>`)
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(UI_TIMEOUT_MS)
    // Hold the image back to measure the box before it arrives.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route(`${site.base}/img/**`, async (route) => {
      await held
      await route.continue()
    })
    await page.goto(`${portal.base}/images`)
    await page.waitForFunction(() => !!document.getElementById('w')?.shadowRoot?.querySelector('.fl-thumb img'))
    const box = () => page.evaluate(() => {
      const root = document.getElementById('w')!.shadowRoot!
      const thumb = root.querySelector('.fl-thumb')!.getBoundingClientRect()
      return { width: thumb.width, height: Math.round(thumb.height), item: Math.round(root.querySelector('.fl-has-image')!.getBoundingClientRect().height) }
    })
    const before = await box()
    expect(before).toMatchObject({ width: 88, height: 59 })
    release()
    await page.waitForFunction(() => (document.getElementById('w')!.shadowRoot!.querySelector<HTMLImageElement>('.fl-thumb img')!.naturalWidth) === 480)
    expect(await box()).toEqual(before)
    expect(await page.evaluate(() => document.getElementById('w')!.shadowRoot!.querySelector<HTMLImageElement>('.fl-thumb img')!.loading)).toBe('lazy')
    await context.close()
  })

  it('shows a quiet loading line until the headlines arrive', async () => {
    portal.pages.set('/slow', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
      <div id="w"></div><script src="${site.base}/widget/local.js" data-target="w" async></script></body></html>`)
    const context = await browser.newContext()
    const page = await context.newPage()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route(`${site.base}/widget/local.json*`, async (route) => {
      await held
      await route.continue()
    })
    await page.goto(`${portal.base}/slow`)
    await page.waitForFunction(() => !!document.getElementById('w')?.shadowRoot?.querySelector('.fl-loading'))
    expect(await page.evaluate(() => {
      const box = document.getElementById('w')!.shadowRoot!.querySelector('.fl')!
      return { text: box.textContent, busy: box.getAttribute('aria-busy') }
    })).toEqual({ text: '正在加载新闻…', busy: 'true' })
    release()
    await page.waitForFunction(() => (document.getElementById('w')!.shadowRoot!.querySelectorAll('li').length) > 0)
    expect(await page.evaluate(() => document.getElementById('w')!.shadowRoot!.querySelector('.fl')!.hasAttribute('aria-busy'))).toBe(false)
    await context.close()
  })

  it('the dark iframe is dark from edge to edge, with no white page around its card', async () => {
    portal.pages.set('/dark', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body style="background:#fff">
      <iframe id="f" src="${site.base}/widget/national.html?theme=dark&limit=2" width="400" height="700" style="border:0"></iframe></body></html>`)
    const { page, context, problems } = await openPage(browser, `${portal.base}/dark`)
    const frame = page.frameLocator('#f')
    await frame.locator('li.fl-item').first().waitFor()
    const seen = await frame.locator('html').evaluate(() => ({ canvas: getComputedStyle(document.documentElement).backgroundColor, card: Math.round(document.querySelector('.fl')!.getBoundingClientRect().height), viewport: innerHeight }))
    expect(seen.canvas).toBe('rgb(22, 27, 34)')
    expect(seen.card).toBeGreaterThanOrEqual(seen.viewport)
    // The frame's bottom corner, far below the two headlines, is the card's colour, not white.
    const shot = await page.locator('#f').screenshot()
    expect(await pixel(page, shot, 200, 690)).toEqual([22, 27, 34])
    expect(problems).toEqual([])
    await context.close()
  })

  it('a feed URL opened in the browser is a page of the feed: no XSLT, local dates, how to subscribe', async () => {
    for (const format of ['rss', 'atom', 'json']) {
      const { page, context, problems } = await open(`/feeds/local.${format}`)
      expect(await page.evaluate(() => document.contentType)).toBe('text/html')
      expect(await page.locator('h1').textContent()).toBe('陕南新闻聚合 · 本地')
      expect(await page.locator('.subscribe-help input').inputValue()).toBe(`${site.base}/feeds/local.${format}`)
      expect(await page.locator('article.item').count()).toBeGreaterThan(5)
      expect(await page.locator('article.item time').first().textContent()).toMatch(/^2024年9月19日 \d{2}:\d{2}$/)
      expect(await page.locator('body').textContent()).not.toMatch(/XSLT/)
      // Its headlines open the stories' pages here.
      await page.locator('article.item h2 a').first().click()
      await page.waitForURL(/\/items\/[0-9a-f-]{36}$/)
      expect(problems).toEqual([])
      await context.close()
    }
  })

  it('an error page says what is wrong in the site language and leads home', async () => {
    const { page, context, problems } = await open('/c/local?page=999')
    expect(await page.locator('h1').textContent()).toBe('请求有误')
    expect(await page.locator('.problem').textContent()).toContain('收到的是 "999"')
    await page.getByRole('link', { name: '← 返回首页' }).click()
    await page.waitForURL(`${site.base}/`)
    expect(await page.locator('h1').textContent()).toBe('陕南新闻聚合')
    const missing = await page.goto(`${site.base}/c/nope`)
    expect(missing?.status()).toBe(404)
    expect(await page.locator('.problem').textContent()).toBe('没有 "nope" 这个栏目。')
    expect(problems.filter((p) => !/404|400/.test(p))).toEqual([])
    await context.close()
  })

  it('the status page keeps short cells on one line, even in a narrow window', async () => {
    const { page, context, problems } = await openPage(browser, `${site.base}/status`, { viewport: { width: 700, height: 900 } })
    // Lines a cell's text takes: the distinct tops of the boxes its characters lie in.
    const cells = await page.locator('#status-table td.state, #status-table td.time, #status-table th').evaluateAll((els) =>
      els.map((el) => {
        const tops = new Set<number>()
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (!node.textContent!.trim()) continue
          const range = document.createRange()
          range.selectNodeContents(node)
          for (const rect of Array.from(range.getClientRects())) tops.add(Math.round(rect.top))
        }
        return { text: el.textContent!.trim(), lines: tops.size }
      }),
    )
    expect(cells.find((c) => c.text === '出错')).toBeDefined()
    for (const cell of cells) expect(cell.lines, cell.text).toBe(1)
    expect(await page.locator('#status-table td.state').first().evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('nowrap')
    expect(problems).toEqual([])
    await context.close()
  })

  // `FEEDLOOM_SCREENSHOTS=1 npx vitest run test/browser` refreshes the pictures the README shows.
  it.runIf(process.env.FEEDLOOM_SCREENSHOTS)('screenshots for docs/', async () => {
    const docs = join(import.meta.dirname, '../../docs')
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 })
    const page = await context.newPage()
    const story = items.find((i) => i._feedloom.source.id === 'portal')!
    await page.goto(story._feedloom.page)
    await loadedImages(page, '.content img')
    await page.screenshot({ path: join(docs, 'item.png'), fullPage: true })
    await page.goto(`${site.base}/feeds/international.rss`)
    await page.screenshot({ path: join(docs, 'feed.png') })
    portal.pages.set('/demo', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"><style>body{margin:0;padding:24px;background:#eef0f3;width:460px}</style></head><body>
      <div id="w"></div><script src="${site.base}/widget/local.js?source=planted,portal&q=汉江" data-target="w" data-show="image,date,source,excerpt" async></script></body></html>`)
    await page.goto(`${portal.base}/demo`)
    await page.waitForFunction(() => document.getElementById('w')?.shadowRoot?.querySelector<HTMLImageElement>('.fl-thumb img')?.naturalWidth === 480)
    await page.locator('body').screenshot({ path: join(docs, 'widget-images.png') })
    await context.close()
  }, 120_000)
})
