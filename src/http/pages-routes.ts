import { readFileSync } from 'node:fs'
import type { Express, Request, Response } from 'express'
import type { Config } from '../model.js'
import { HttpError } from '../errors.js'
import { loadView, parseViewQuery } from '../query/index.js'
import { Rendered, send, type HttpContext } from './context.js'
import { PAGE_CACHE_CONTROL } from './feeds.js'
import { statusRows } from './status.js'
import { Pages, resolveLanguage, TEMPLATES_DIR } from './pages.js'
import { WIDGET_SCRIPT_CACHE_CONTROL } from './widget.js'

/** Headlines per category on the index: a glance, the category page has the rest. */
export const INDEX_HEADLINES = 8
/** Items per category page. */
export const CATEGORY_PAGE_SIZE = 20
/** Deepest category page: older items stay in the feeds; paging by slicing costs O(page × size). */
export const MAX_CATEGORY_PAGE = 50
/** Query parameters of the pages themselves, never part of the feed view. */
const PAGE_ONLY_PARAMS = new Set(['page', 'lang', 'limit'])

/**
 * Pages run only our own script (`/assets/pages.js`) and the widget preview, which loads the widget
 * script and its JSON from the site's public origin; inline styles are ours, from templates/.
 */
export function pageCsp(config: Config): string {
  const site = new URL(config.site.url).origin
  return [
    "default-src 'none'",
    `script-src 'self' ${site}`,
    `connect-src 'self' ${site}`,
    `frame-src 'self' ${site}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ')
}

/** HTML pages for people: `/`, `/c/{category}`, `/status` (+ `/status.json`), and their script. */
export function pageRoutes(app: Express, ctx: HttpContext): void {
  const { config, store } = ctx
  const pagesScript = new Rendered(readFileSync(`${TEMPLATES_DIR}assets/pages.js`, 'utf8'), 'text/javascript; charset=utf-8')
  const pages = new Pages(config, `/assets/pages.js?v=${pagesScript.etag.slice(1, 11)}`)
  const csp = pageCsp(config)

  function sendPage(req: Request, res: Response, rendered: Rendered, cacheControl = PAGE_CACHE_CONTROL): void {
    res.setHeader('Content-Security-Policy', csp)
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin')
    send(req, res, rendered, cacheControl)
  }

  app.get('/assets/pages.js', (req, res) => send(req, res, pagesScript, WIDGET_SCRIPT_CACHE_CONTROL))

  app.get('/', async (req, res) => {
    const lang = resolveLanguage(req.query.lang, config)
    const rendered = await ctx.cached(`index|${lang.key}|${lang.explicit}`, async () => {
      const sections = await Promise.all(
        Object.entries(config.categories).map(async ([key, category]) => ({ key, ...category, items: await loadView(store, config, { category: key, limit: INDEX_HEADLINES }) })),
      )
      return new Rendered(pages.index(sections, lang), 'text/html; charset=utf-8')
    })
    sendPage(req, res, rendered)
  })

  app.get('/c/:category', async (req, res) => {
    const lang = resolveLanguage(req.query.lang, config)
    const page = pageNumber(req.query.page)
    // The feed parameters (source, q, exclude…) narrow the page as they narrow the feed.
    const params = Object.fromEntries(Object.entries(req.query).filter(([name]) => !PAGE_ONLY_PARAMS.has(name)))
    const query = { ...parseViewQuery(req.params.category, params, config), limit: page * CATEGORY_PAGE_SIZE + 1 }
    const rendered = await ctx.cached(`category|${JSON.stringify(query)}|${page}|${lang.key}|${lang.explicit}`, async () => {
      const items = await loadView(store, config, query)
      const shown = items.slice((page - 1) * CATEGORY_PAGE_SIZE, page * CATEGORY_PAGE_SIZE)
      if (page > 1 && shown.length === 0) throw new HttpError(404, `page: there is no page ${page}`)
      const category = query.category === 'all' ? { title: config.site.title, description: config.site.description } : config.categories[query.category]
      const html = pages.category(
        { key: query.category, ...category, items: shown, page, hasNext: items.length > page * CATEGORY_PAGE_SIZE && page < MAX_CATEGORY_PAGE, params: params as Record<string, string> },
        lang,
      )
      return new Rendered(html, 'text/html; charset=utf-8')
    })
    sendPage(req, res, rendered)
  })

  app.get('/status.json', async (_req, res) => {
    const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.json({ generated: ctx.now().toISOString(), sources: rows })
  })

  app.get('/status', async (req, res) => {
    const lang = resolveLanguage(req.query.lang, config)
    const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
    // Operators reload this page to see a fix take effect: never from a cache.
    sendPage(req, res, new Rendered(pages.status(rows, ctx.now(), lang), 'text/html; charset=utf-8'), 'no-store')
  })
}

/** `?page=N`, 1 to MAX_CATEGORY_PAGE; anything else is a 400 naming the parameter. */
export function pageNumber(value: unknown): number {
  if (value === undefined) return 1
  if (typeof value !== 'string' || !/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_CATEGORY_PAGE) {
    throw new HttpError(400, `page: must be a whole number from 1 to ${MAX_CATEGORY_PAGE}`)
  }
  return Number(value)
}
