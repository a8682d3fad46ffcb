import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { HAVE_CHROMIUM, launchChromium, openPage, UI_TIMEOUT_MS, type Opened } from './chromium.js'
import { entry } from '../helpers/entries.js'
import { HOSTILE_TITLE, POLLED_AT, startSite, type Site } from './site.js'

/**
 * The widgets and pages in Debian's Chromium (SPEC §6, issue 5): a portal page on another origin
 * embeds two script widgets under a hostile stylesheet, an iframe widget, and the snippet the
 * index's generator writes. One browser for the file; each test gets a fresh context.
 */
/** The reader's clock: three minutes after the newest (planted) item of `local`. */
const CLOCK = new Date('2024-09-19T11:53:00Z')
/** WCAG 2.x AA for normal text. */
const MIN_CONTRAST = 4.5

/** Every rule a careless or hostile portal stylesheet might throw at an embedded widget. */
const HOSTILE_CSS = `
  * { color: red !important; font-family: serif !important; line-height: 3 !important; letter-spacing: 4px !important;
      text-transform: uppercase !important; font-size: 30px !important; background: yellow !important; }
  ul, li { list-style: square !important; margin: 30px !important; padding: 30px !important; display: inline !important; }
  a { text-decoration: line-through !important; color: lime !important; }
  .fl, .fl-item, .fl-list, .fl-headline { display: none !important; }
  section, p { border: 8px solid magenta !important; }`
/** Host elements wearing the widget's own class names: a widget rule that leaked out would style them. */
const DECOYS = `<h1>门户网站</h1><p class="host-text">门户自己的文字</p>
  <div class="fl" data-theme="dark"><p class="fl-meta">decoy</p><ul class="fl-list"><li class="fl-item"><a class="fl-headline" href="#top">decoy link</a></li></ul></div>`
const WIDGET_PARTS = ['.fl', '.fl-title', '.fl-list', '.fl-item', '.fl-headline', '.fl-meta', '.fl-excerpt', '.fl-foot']
const STYLE_PROPS = ['color', 'background-color', 'font-family', 'font-size', 'line-height', 'letter-spacing', 'text-transform', 'display', 'margin-top', 'padding-left', 'list-style-type', 'text-decoration-line', 'border-top-width']

let site: Site
let host: { server: Server; base: string; pages: Map<string, string> }
let browser: Browser

function portal(widgets: string, hostile: boolean): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>portal</title><link rel="icon" href="data:,">${hostile ? `<style>${HOSTILE_CSS}</style>` : ''}</head>
    <body>${DECOYS}${widgets}</body></html>`
}

const twoWidgets = () => `
  <div id="news-a"></div><div id="news-b"></div>
  <script src="${site.base}/widget/local.js" data-target="news-a" data-limit="8" data-theme="light" data-show="date,source,excerpt" async></script>
  <script src="${site.base}/widget/national.js?limit=5" data-target="news-b" data-theme="dark" data-lang="en" async></script>`

/** A page of the portal (or any URL) in a fresh context that records console errors, page errors and dialogs. */
function open(path: string, options: { clock?: boolean; permissions?: string[] } = {}): Promise<Opened> {
  return openPage(browser, path.startsWith('http') ? path : host.base + path, { clock: options.clock === false ? undefined : CLOCK, permissions: options.permissions })
}

async function waitForWidget(page: Page, id: string, items?: number): Promise<void> {
  await page.waitForFunction(
    ([target, count]) => {
      const root = document.getElementById(target as string)?.shadowRoot
      const n = root?.querySelectorAll('li').length ?? 0
      return count === undefined ? n > 0 : n === count
    },
    [id, items] as const,
  )
}

interface Shown {
  theme: string | null
  lang: string
  heading: string
  items: Array<{ text: string; href: string | null; rel: string | null; meta: string; time: string | null; tooltip: string | null; excerpt: string | null }>
  foot: string
  listRole: string | null
  itemRoles: Array<string | null>
  elements: string[]
}

function shown(page: Page, id: string): Promise<Shown> {
  return page.evaluate((target) => {
    const root = document.getElementById(target)!.shadowRoot!
    const box = root.querySelector('.fl')!
    return {
      theme: box.getAttribute('data-theme'),
      lang: (box as HTMLElement).lang,
      heading: root.querySelector('.fl-title')!.textContent!,
      items: Array.from(root.querySelectorAll('li')).map((li) => ({
        text: li.querySelector('.fl-headline')!.textContent!,
        href: li.querySelector('a.fl-headline')?.getAttribute('href') ?? null,
        rel: li.querySelector('a.fl-headline')?.getAttribute('rel') ?? null,
        meta: li.querySelector('.fl-meta')?.textContent ?? '',
        time: li.querySelector('time')?.textContent ?? null,
        tooltip: li.querySelector('time')?.getAttribute('title') ?? null,
        excerpt: li.querySelector('.fl-excerpt')?.textContent ?? null,
      })),
      foot: root.querySelector('.fl-foot')?.textContent ?? '',
      listRole: root.querySelector('ul')?.getAttribute('role') ?? null,
      itemRoles: Array.from(root.querySelectorAll('li')).map((li) => li.getAttribute('role')),
      elements: [...new Set(Array.from(root.querySelectorAll('*')).map((e) => e.localName))].sort(),
    }
  }, id)
}

/** Computed styles of each widget part (inside the shadow root) or of host elements (outside). */
function styles(page: Page, scope: string | null, selectors: string[]): Promise<Record<string, Record<string, string>>> {
  return page.evaluate(
    ([target, parts, props]) => {
      const root: ParentNode = target ? document.getElementById(target)!.shadowRoot! : document
      const out: Record<string, Record<string, string>> = {}
      for (const part of parts) {
        const el = root.querySelector(part)
        if (!el) continue
        const style = getComputedStyle(el)
        out[part] = Object.fromEntries(props.map((p) => [p, style.getPropertyValue(p)]))
      }
      return out
    },
    [scope, selectors, STYLE_PROPS] as const,
  )
}

function luminance(rgb: string): number {
  const [r, g, b] = rgb.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
    const c = Number(v) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

async function widgetJson(path: string) {
  return (await fetch(site.base + path)).json() as Promise<{ items: Array<{ title: string; url?: string }> }>
}

describe.skipIf(!HAVE_CHROMIUM)('in Chromium', () => {
  beforeAll(async () => {
    site = await startSite()
    const pages = new Map<string, string>()
    const server = createServer((req, res) => {
      const body = pages.get(new URL(req.url ?? '/', 'http://x').pathname)
      if (body === undefined) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such page')
      else res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(body)
    })
    // The portal is another origin (another port): the widget's JSON crosses origins with CORS, as on a real portal.
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    host = { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pages }
    pages.set('/hostile', portal(twoWidgets(), true))
    pages.set('/clean', portal(twoWidgets(), false))
    pages.set('/bare', portal('', false))
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    host?.server.close()
    await site?.close()
  })

  it('two script widgets render their headlines with the right texts, links, languages and themes', async () => {
    const { page, context, problems } = await open('/hostile')
    await waitForWidget(page, 'news-a', 8)
    await waitForWidget(page, 'news-b', 5)
    const local = await widgetJson('/widget/local.json?limit=8')
    const national = await widgetJson('/widget/national.json?limit=5')
    const a = await shown(page, 'news-a')
    const b = await shown(page, 'news-b')

    expect(a.items.map((i) => i.text)).toEqual(local.items.map((i) => i.title))
    expect(a.items.map((i) => i.href)).toEqual(local.items.map((i) => i.url ?? null))
    expect(b.items.map((i) => i.text)).toEqual(national.items.map((i) => i.title))
    expect(a.items.filter((i) => i.href).every((i) => i.rel === 'noopener')).toBe(true)
    expect(a.theme).toBe('light')
    expect(b.theme).toBe('dark')

    // Chinese from site.language, English by data-lang; relative dates in each, absolute ones in the site zone.
    expect(a.lang).toBe('zh-CN')
    expect(a.heading).toBe('陕南新闻聚合 · 本地')
    expect(a.items[0].time).toBe('3分钟前')
    expect(a.items[0].tooltip).toBe('2024年9月19日 19:50')
    expect(a.items[0].meta).toContain('<b>恶意来源</b>')
    expect(a.items.some((i) => i.excerpt)).toBe(true)
    expect(a.foot).toBe('以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。 电话：029-00000000')
    expect(b.lang).toBe('en')
    expect(b.items.every((i) => /^\d+ hours? ago$/.test(i.time ?? ''))).toBe(true)
    expect(b.items.every((i) => i.excerpt === null)).toBe(true)
    expect(await page.evaluate(() => document.getElementById('news-b')!.shadowRoot!.querySelector('.fl-more')!.textContent)).toBe('More')

    // A list with proper roles.
    expect(a.listRole).toBe('list')
    expect(new Set(a.itemRoles)).toEqual(new Set(['listitem']))
    expect(problems).toEqual([])
    await context.close()
  })

  it('nothing from a feed executes: hostile titles are text, javascript: links are not links', async () => {
    const { page, context, problems } = await open('/hostile')
    await waitForWidget(page, 'news-a', 8)
    const a = await shown(page, 'news-a')
    expect(a.items.map((i) => i.text)).toContain(HOSTILE_TITLE)
    // Its javascript: link is no link; the headline opens its page here instead (issue 11 §1).
    expect(a.items.find((i) => i.text.startsWith('点击领取'))?.href).toMatch(new RegExp(`^${site.base}/items/[0-9a-f-]{36}$`))
    expect(a.elements).not.toContain('img')
    expect(a.elements).not.toContain('svg')
    expect(a.elements).not.toContain('script')

    // The script checks links itself, whatever the JSON says: a javascript: URL served to it stays text.
    await page.route(`${site.base}/widget/national.json*`, (route) =>
      route.fulfill({
        contentType: 'application/json',
        headers: { 'Access-Control-Allow-Origin': '*' },
        body: JSON.stringify({ title: 't', home_page_url: 'javascript:alert(5)', language: 'zh-CN', _feedloom: { disclaimer: { text: 'd' } }, items: [{ id: '1', title: '<img src=x onerror=alert(6)>', url: 'javascript:alert(7)', date_published: '2024-09-19T11:00:00Z', source: { id: 's', title: '<svg onload=alert(8)>' } }] }),
      }),
    )
    await page.setContent(portal(`<div id="forged"></div><script src="${site.base}/widget/national.js" data-target="forged" async></script>`, false))
    await waitForWidget(page, 'forged', 1)
    const forged = await shown(page, 'forged')
    expect(forged.items[0]).toMatchObject({ text: '<img src=x onerror=alert(6)>', href: null })
    expect(await page.evaluate(() => document.getElementById('forged')!.shadowRoot!.querySelectorAll('a').length)).toBe(0)
    expect(problems).toEqual([])
    await context.close()
  })

  it("the host's CSS does not change the widget, the widget's CSS does not leak out, and no globals appear", async () => {
    const clean = await open('/clean')
    const hostile = await open('/hostile')
    const bare = await open('/bare')
    for (const { page } of [clean, hostile]) {
      await waitForWidget(page, 'news-a', 8)
      await waitForWidget(page, 'news-b', 5)
    }
    for (const id of ['news-a', 'news-b']) {
      const inClean = await styles(clean.page, id, WIDGET_PARTS)
      expect(Object.keys(inClean).length).toBeGreaterThanOrEqual(6)
      expect(await styles(hostile.page, id, WIDGET_PARTS)).toEqual(inClean)
    }
    const decoys = ['h1', '.host-text', 'div.fl', 'p.fl-meta', 'ul.fl-list', 'li.fl-item', 'a.fl-headline']
    expect(await styles(clean.page, null, decoys)).toEqual(await styles(bare.page, null, decoys))

    const globals = (page: Page) => page.evaluate(() => Object.keys(window).sort())
    expect(await globals(clean.page)).toEqual(await globals(bare.page))
    for (const { context, problems } of [clean, hostile, bare]) {
      expect(problems).toEqual([])
      await context.close()
    }
  })

  it('both themes read at 4.5:1 or better, and keyboard focus is visible', async () => {
    const { page, context } = await open('/clean')
    await waitForWidget(page, 'news-a', 8)
    await waitForWidget(page, 'news-b', 5)
    for (const id of ['news-a', 'news-b']) {
      const s = await styles(page, id, ['.fl', '.fl-title', '.fl-headline', '.fl-meta', '.fl-excerpt', '.fl-foot', '.fl-more'])
      const background = s['.fl']['background-color']
      for (const [part, style] of Object.entries(s)) expect(contrast(style.color, background), `${id} ${part}`).toBeGreaterThanOrEqual(MIN_CONTRAST)
    }
    // Tab past the decoy link into widget A: the focused link inside the shadow root shows an outline.
    let focused: { outline: string; width: string } | null = null
    for (let i = 0; i < 6 && !focused; i++) {
      await page.keyboard.press('Tab')
      focused = await page.evaluate(() => {
        const inner = document.activeElement?.id === 'news-a' ? document.getElementById('news-a')!.shadowRoot!.activeElement : null
        return inner ? { outline: getComputedStyle(inner).outlineStyle, width: getComputedStyle(inner).outlineWidth } : null
      })
    }
    expect(focused).toEqual({ outline: 'solid', width: '2px' })
    await context.close()
  })

  it('data-theme="auto" follows prefers-color-scheme', async () => {
    host.pages.set('/auto', portal(`<div id="w"></div><script src="${site.base}/widget/local.js" data-target="w" data-theme="auto" data-limit="2" async></script>`, false))
    const { page, context } = await open('/auto')
    await waitForWidget(page, 'w', 2)
    const background = async () => (await styles(page, 'w', ['.fl']))['.fl']['background-color']
    await page.emulateMedia({ colorScheme: 'light' })
    expect(await background()).toBe('rgb(255, 255, 255)')
    await page.emulateMedia({ colorScheme: 'dark' })
    expect(await background()).toBe('rgb(22, 27, 34)')
    await context.close()
  })

  it('data-refresh re-fetches on its interval, revalidating by ETag, and shows new headlines', async () => {
    host.pages.set('/refresh', portal(`<div id="w"></div><script src="${site.base}/widget/local.js" data-target="w" data-limit="3" data-refresh="30" async></script>`, false))
    const { page, context, problems } = await open('/refresh')
    await waitForWidget(page, 'w', 3)
    const jsonRequests = () => site.requests.filter((r) => r.url.startsWith('/widget/local.json?limit=3'))
    const before = jsonRequests().length
    await page.clock.runFor(31_000)
    await expect.poll(() => jsonRequests().length, { timeout: UI_TIMEOUT_MS }).toBe(before + 1)
    expect(jsonRequests().at(-1)).toMatchObject({ status: 304, ifNoneMatch: expect.stringMatching(/^"/) })

    await site.plant([entry('fresh', 'planted', '2024-09-19T11:52:00.000Z', { title: '安康城区新增公交线路 今日起试运行', url: 'https://planted.example/fresh.html' })])
    await page.clock.runFor(31_000)
    await page.waitForFunction(() => document.getElementById('w')!.shadowRoot!.querySelector('li')?.textContent?.includes('新增公交线路'))
    expect((await shown(page, 'w')).items[0]).toMatchObject({ text: '安康城区新增公交线路 今日起试运行', time: '2分钟前' })
    expect(problems).toEqual([])
    await context.close()
  })

  it('the iframe widget renders framed by another origin, with the same look and no script', async () => {
    host.pages.set('/iframe', portal(`<iframe id="f" src="${site.base}/widget/international.html?theme=dark&lang=en&show=date,source,excerpt&limit=4" title="news" width="420" height="600"></iframe>`, true))
    const { page, context, problems } = await open('/iframe', { clock: false })
    const frame = page.frameLocator('#f')
    await expect.poll(() => frame.locator('li.fl-item').count(), { timeout: UI_TIMEOUT_MS }).toBe(4)
    const json = await widgetJson('/widget/international.json?limit=4')
    expect(await frame.locator('.fl-headline').allTextContents()).toEqual(json.items.map((i) => i.title))
    const inFrame = await frame.locator('.fl').evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, scripts: document.scripts.length, lang: document.documentElement.lang }))
    expect(inFrame).toEqual({ bg: 'rgb(22, 27, 34)', scripts: 0, lang: 'en' })
    expect(await frame.locator('time').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^\d+ hours? ago$/)]))
    expect(problems).toEqual([])
    await context.close()
  })

  it('the index renders categories, autodiscovery and copyable feed URLs, and switches language', async () => {
    const { page, context, problems } = await open(site.base + '/', { clock: false, permissions: ['clipboard-read', 'clipboard-write'] })
    expect(await page.locator('h1').textContent()).toBe('陕南新闻聚合')
    expect(await page.locator('.grid > section.card h2 a[id]').allTextContents()).toEqual(['本地', '国内', '国际'])
    expect(await page.locator('link[rel=alternate][type="application/atom+xml"]').count()).toBe(4)
    const card = page.locator('#c-national')
    await card.locator('details summary').click()
    await card.locator('button[data-copy]').first().click()
    await expect.poll(() => card.locator('.copied').textContent()).toBe('已复制')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${site.base}/feeds/national.rss`)

    await page.getByRole('link', { name: 'English' }).click()
    await page.waitForURL(/lang=en/)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    expect(await page.locator('#embed-h').textContent()).toBe('Embed the headlines on your site')
    expect(await page.getByRole('link', { name: 'Source status' }).getAttribute('href')).toBe('/status?lang=en')
    expect(problems).toEqual([])
    await context.close()
  })

  it("the embed generator's snippet previews live and works when pasted into a fresh page", async () => {
    const { page, context, problems } = await open(site.base + '/', { clock: true })
    await page.selectOption('#embed-form select[name=category]', 'national')
    await page.fill('#embed-form input[name=limit]', '3')
    await page.selectOption('#embed-form select[name=theme]', 'dark')
    const snippet = await page.inputValue('#embed-snippet')
    expect(snippet).toContain(`src="${site.base}/widget/national.js"`)
    expect(snippet).toContain('data-limit="3" data-theme="dark"')
    expect(snippet).toContain(`<noscript><a href="${site.base}/c/national">国内</a></noscript>`)
    await page.waitForFunction(() => document.querySelector('#embed-preview div')?.shadowRoot?.querySelectorAll('li').length === 3)

    host.pages.set('/pasted', `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><h1>我的门户</h1>${snippet}</body></html>`)
    const pasted = await open('/pasted')
    await waitForWidget(pasted.page, 'feedloom-national', 3)
    expect((await shown(pasted.page, 'feedloom-national')).theme).toBe('dark')
    expect([...problems, ...pasted.problems]).toEqual([])
    await pasted.context.close()
    await context.close()
  })

  it('the category page lists items with also-reported-by; the status page puts problems first and sorts', async () => {
    const { page, context, problems } = await open(site.base + '/c/national', { clock: false })
    expect(await page.locator('article.item').count()).toBeGreaterThan(0)
    expect(await page.locator('.also li').count()).toBeGreaterThan(0)

    await page.goto(site.base + '/status')
    const itemsColumn = (await page.locator('#status-table th').evaluateAll((ths) => ths.map((th) => (th as HTMLElement).dataset.col))).indexOf('items') + 1
    const column = (n: number) => page.locator(`#status-table tbody tr td:nth-child(${n})`).evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.sort!))
    expect(await page.locator('#status-table tbody tr').first().getAttribute('data-health')).toBe('failing')
    const items = page.locator('#status-table th[data-col=items]')
    await items.locator('button').click()
    const ascending = (await column(itemsColumn)).map(Number)
    expect(ascending).toEqual([...ascending].sort((x, y) => x - y))
    expect(await items.getAttribute('aria-sort')).toBe('ascending')
    await items.locator('button').click()
    const descending = (await column(itemsColumn)).map(Number)
    expect(descending).toEqual([...ascending].reverse())
    expect(descending[0]).toBeGreaterThan(descending.at(-1)!)
    expect(await items.getAttribute('aria-sort')).toBe('descending')
    expect(problems).toEqual([])
    await context.close()
  })

  // `FEEDLOOM_SCREENSHOTS=1 npx vitest run test/browser` refreshes the pictures the README shows.
  it.runIf(process.env.FEEDLOOM_SCREENSHOTS)('screenshots for docs/', async () => {
    const docs = join(import.meta.dirname, '../../docs')
    // A site without the planted hostile items: the pictures show what readers see.
    const demo = await startSite({ planted: false })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 })
    const page = await context.newPage()
    await page.clock.install({ time: new Date(POLLED_AT.getTime() + 5 * 60_000) })
    await page.goto(demo.base + '/')
    await page.selectOption('#embed-form select[name=category]', 'local')
    await page.fill('#embed-form input[name=limit]', '4')
    await page.waitForFunction(() => document.querySelector('#embed-preview div')?.shadowRoot?.querySelectorAll('li').length === 4)
    await page.screenshot({ path: join(docs, 'index.png'), fullPage: true })
    host.pages.set(
      '/demo',
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,"><style>body{margin:0;padding:24px;background:#eef0f3} .row{display:grid;grid-template-columns:1fr 1fr;gap:24px;align-items:start}</style></head><body><div class="row">
      <div id="light"></div><div id="dark"></div></div>
      <script src="${demo.base}/widget/local.js" data-target="light" data-limit="5" data-theme="light" data-show="date,source,excerpt" async></script>
      <script src="${demo.base}/widget/international.js" data-target="dark" data-limit="6" data-theme="dark" data-lang="en" async></script></body></html>`,
    )
    await page.setViewportSize({ width: 1100, height: 800 })
    await page.goto(host.base + '/demo')
    await waitForWidget(page, 'light', 5)
    await waitForWidget(page, 'dark', 6)
    await page.locator('body').screenshot({ path: join(docs, 'widget.png') })
    await demo.close()
    await context.close()
  })
})

