import type { Express, Request, Response } from 'express'
import { loadView, parseViewQuery } from '../query/index.js'
import { loadStory } from '../query/story.js'
import { convertItem } from '../query/variant.js'
import { convertText } from '../variant/index.js'
import { ITEM_PATH } from '../render/view.js'
import { Rendered, send, type HttpContext } from './context.js'
import { PAGE_CACHE_CONTROL } from './feeds.js'
import { htmlHeaders } from './headers.js'
import { htmlRoute, readOnly } from './errors.js'
import { statusRows, statusSummary } from './status.js'
import { PageError, quoted, resolveLanguage } from './pages.js'
import { WIDGET_SCRIPT_CACHE_CONTROL } from './widget.js'

/** Headlines per category on the index: a glance, the category page has the rest. */
export const INDEX_HEADLINES = 8
/** Items per category page. */
export const CATEGORY_PAGE_SIZE = 20
/** Deepest category page: older items stay in the feeds; paging by slicing costs O(page × size). */
export const MAX_CATEGORY_PAGE = 50
/** Query parameters of the pages themselves, never part of the feed view. */
const PAGE_ONLY_PARAMS = new Set(['page', 'lang', 'limit'])

/** HTML pages for people: `/`, `/c/{category}`, `/items/{uuid}`, `/status` (+ `/status.json`), and their script. */
export function pageRoutes(app: Express, ctx: HttpContext): void {
  const { config, store, pages } = ctx
  const headers = htmlHeaders(config)

  function sendPage(req: Request, res: Response, rendered: Rendered, cacheControl = PAGE_CACHE_CONTROL): void {
    res.set(headers)
    send(req, res, rendered, cacheControl)
  }

  app.get('/assets/pages.js', (req, res) => send(req, res, pages.script, WIDGET_SCRIPT_CACHE_CONTROL))

  app.get(
    '/',
    htmlRoute(ctx, async (req, res) => {
      const lang = resolveLanguage(req.query.lang, config)
      const rendered = await ctx.cached(`index|${lang.key}|${lang.explicit}`, async () => {
        const sections = await Promise.all(
          Object.entries(config.categories).map(async ([key, category]) => ({ key, ...category, items: await loadView(store, config, { category: key, limit: INDEX_HEADLINES }) })),
        )
        return new Rendered(pages.index(sections, lang, await ctx.images.links()), 'text/html; charset=utf-8')
      })
      sendPage(req, res, rendered)
    }),
  )

  app.get(
    '/c/:category',
    htmlRoute(ctx, async (req, res) => {
      const lang = resolveLanguage(req.query.lang, config)
      const key = String(req.params.category)
      if (key !== 'all' && !Object.hasOwn(config.categories, key)) {
        throw new PageError(404, `unknown category "${key}"`, { zh: `没有 ${quoted(key)} 这个栏目。`, en: `There is no category ${quoted(key)}.` })
      }
      const page = pageNumber(req.query.page)
      // The feed parameters (source, q, exclude…) narrow the page as they narrow the feed.
      const params = Object.fromEntries(Object.entries(req.query).filter(([name]) => !PAGE_ONLY_PARAMS.has(name)))
      const query = { ...parseViewQuery(key, params, config), limit: page * CATEGORY_PAGE_SIZE + 1 }
      const rendered = await ctx.cached(`category|${JSON.stringify(query)}|${page}|${lang.key}|${lang.explicit}`, async () => {
        const items = await loadView(store, config, query, ctx.lists, ctx.search)
        const shown = items.slice((page - 1) * CATEGORY_PAGE_SIZE, page * CATEGORY_PAGE_SIZE)
        if (page > 1 && shown.length === 0) {
          const last = Math.max(1, Math.ceil(items.length / CATEGORY_PAGE_SIZE))
          throw new PageError(404, `page: there is no page ${page} (the last is ${last})`, {
            zh: `这个栏目没有第 ${page} 页：目前共 ${last} 页。`,
            en: `This category has no page ${page}: it has ${last} page${last === 1 ? '' : 's'} now.`,
          })
        }
        const category = query.category === 'all' ? { title: config.site.title, description: config.site.description } : config.categories[query.category]
        const html = pages.category(
          { key: query.category, ...category, items: shown, page, hasNext: items.length > page * CATEGORY_PAGE_SIZE && page < MAX_CATEGORY_PAGE, params: params as Record<string, string> },
          lang,
          await ctx.images.links(),
        )
        return new Rendered(html, 'text/html; charset=utf-8')
      })
      sendPage(req, res, rendered)
    }),
  )

  app.get(
    `${ITEM_PATH}:id`,
    htmlRoute(ctx, async (req, res) => {
      const lang = resolveLanguage(req.query.lang, config)
      const { variant } = parseViewQuery('all', { variant: req.query.variant }, config)
      const id = String(req.params.id).toLowerCase()
      const rendered = await ctx.cached(`item|${id}|${variant}|${lang.key}|${lang.explicit}`, async () => {
        const story = await loadStory(store, config, id)
        if (!story) {
          throw new PageError(404, `no story ${quoted(id)}`, {
            zh: '找不到这条新闻：它可能已超过保留期限被删除，或者链接有误。',
            en: 'There is no such story: it may have passed the retention period and been removed, or the link is wrong.',
          })
        }
        const item = variant ? convertItem(story, variant) : story
        const text = (value: string) => (variant ? convertText(value, variant) : value)
        const disclaimer = { text: text(config.disclaimer.text), contact: config.disclaimer.contact && text(config.disclaimer.contact) }
        const images = await ctx.images.links()
        const html = pages.item({ item, disclaimer, variant }, lang, images, item.content === 'full' ? images.html(item.entry.html, item) : '')
        return new Rendered(html, 'text/html; charset=utf-8', new Date(item.entry.updated ?? item.entry.published))
      })
      sendPage(req, res, rendered)
    }),
  )

  app.get('/status.json', async (_req, res) => {
    const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.json({ generated: ctx.now().toISOString(), summary: statusSummary(rows), sources: rows })
  })

  app.get(
    '/status',
    htmlRoute(ctx, async (req, res) => {
      const lang = resolveLanguage(req.query.lang, config)
      const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
      // Operators reload this page to see a fix take effect: never from a cache.
      sendPage(req, res, new Rendered(pages.status(rows, statusSummary(rows), ctx.now(), lang), 'text/html; charset=utf-8'), 'no-store')
    }),
  )

  readOnly(app, ['/', '/c/:category', `${ITEM_PATH}:id`, '/status', '/status.json', '/assets/pages.js'])
}

/** `?page=N`, 1 to MAX_CATEGORY_PAGE; anything else is a 400 naming the parameter and what it got. */
export function pageNumber(value: unknown): number {
  if (value === undefined) return 1
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > MAX_CATEGORY_PAGE) {
    throw new PageError(400, `page: must be a whole number from 1 to ${MAX_CATEGORY_PAGE}, got ${quoted(value)}`, {
      zh: `页码 page 应为 1 到 ${MAX_CATEGORY_PAGE} 之间的整数，收到的是 ${quoted(value)}。更早的新闻请订阅本栏目的 RSS。`,
      en: `The page number must be a whole number from 1 to ${MAX_CATEGORY_PAGE}, not ${quoted(value)}. Older stories are in the category's feeds.`,
    })
  }
  return Number(value)
}
