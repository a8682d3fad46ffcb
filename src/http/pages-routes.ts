import type { Express } from 'express'
import { loadView } from '../query/index.js'
import { Rendered, send, type HttpContext } from './context.js'
import { PAGE_CACHE_CONTROL } from './feeds.js'
import { statusRows } from './status.js'
import { Pages } from './pages.js'

/** HTML pages for people: `/` and `/status` (+ `/status.json`). */
export function pageRoutes(app: Express, ctx: HttpContext): void {
  const { config, store } = ctx
  const pages = new Pages(config)

  app.get('/', async (req, res) => {
    const rendered = await ctx.cached('index', async () => {
      const sections = await Promise.all(
        Object.entries(config.categories).map(async ([key, category]) => ({ key, ...category, items: await loadView(store, config, { category: key, limit: 10 }) })),
      )
      return new Rendered(pages.index(sections), 'text/html; charset=utf-8')
    })
    send(req, res, rendered, PAGE_CACHE_CONTROL)
  })

  app.get('/status.json', async (_req, res) => {
    const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.json({ generated: ctx.now().toISOString(), sources: rows })
  })

  app.get('/status', async (_req, res) => {
    const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
    res.setHeader('Cache-Control', 'no-store')
    res.type('html').send(pages.status(rows, ctx.now()))
  })
}
