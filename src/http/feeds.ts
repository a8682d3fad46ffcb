import type { Express } from 'express'
import type { FeedView } from '../model.js'
import { AppError } from '../errors.js'
import { loadView, newestTime, parseViewQuery, type ViewQuery } from '../query/index.js'
import { renderRss } from '../render/rss.js'
import { renderAtom } from '../render/atom.js'
import { renderJsonFeed } from '../render/jsonfeed.js'
import { renderOpml } from '../render/opml.js'
import { Rendered, send, type HttpContext } from './context.js'

const FORMATS = {
  rss: { type: 'application/rss+xml; charset=utf-8', render: renderRss },
  atom: { type: 'application/atom+xml; charset=utf-8', render: renderAtom },
  json: { type: 'application/feed+json; charset=utf-8', render: renderJsonFeed },
} as const
type Format = keyof typeof FORMATS

/** SPEC §3: readers may poll every minute; caches may serve a stale copy while they revalidate. */
export const FEED_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=300'
export const PAGE_CACHE_CONTROL = 'public, max-age=60'
/** Query parameters that change a feed; any other is ignored and does not split the cache. */
const VIEW_PARAMS = ['limit', 'source', 'q', 'exclude'] as const

/** `/feeds/{category}.{rss,atom,json}` and `/feeds.opml`. */
export function feedRoutes(app: Express, ctx: HttpContext): void {
  const { config, store, rev, base } = ctx

  app.get('/feeds/:file', async (req, res) => {
    const match = /^([A-Za-z0-9_-]+)\.(rss|atom|json)$/.exec(req.params.file)
    if (!match) throw new AppError(`no such feed "${req.params.file}" (use {category}.rss, .atom or .json)`, { status: 404 })
    const [, category, format] = match as unknown as [string, string, Format]
    const query = parseViewQuery(category, req.query, config)
    const rendered = await ctx.cached(`feed:${category}.${format}?${canonicalQuery(req.query)}`, async () => {
      const view = await feedView(query, format)
      return new Rendered(FORMATS[format].render(view), FORMATS[format].type, new Date(view.updated))
    })
    res.setHeader('Access-Control-Allow-Origin', '*')
    send(req, res, rendered, FEED_CACHE_CONTROL)
  })

  async function feedView(query: ViewQuery, format: Format): Promise<FeedView> {
    const items = await loadView(store, config, query)
    const qs = canonicalQuery({ limit: query.limit, source: query.sources?.join(','), q: query.q, exclude: query.exclude }, true)
    const url = (ext: string) => `${base}/feeds/${query.category}.${ext}${qs}`
    const category = query.category === 'all' ? { key: 'all', title: config.site.title, description: config.site.description } : { key: query.category, ...config.categories[query.category] }
    return {
      site: config.site,
      disclaimer: config.disclaimer,
      category,
      selfUrl: url(format),
      formats: { rss: url('rss'), atom: url('atom'), json: url('json'), html: query.category === 'all' ? `${base}/` : `${base}/c/${query.category}` },
      items,
      updated: newestTime(items) ?? revisionTime(rev.current) ?? ctx.now().toISOString(),
    }
  }

  app.get('/feeds.opml', async (req, res) => {
    const rendered = await ctx.cached('opml', async () => {
      const outlines = ['all', ...Object.keys(config.categories)].map((key) => ({
        text: key === 'all' ? config.site.title : `${config.site.title} · ${config.categories[key].title}`,
        type: 'rss' as const,
        xmlUrl: `${base}/feeds/${key}.rss`,
        htmlUrl: `${base}/`,
        category: key,
      }))
      return new Rendered(renderOpml({ title: config.site.title, outlines }), 'text/x-opml; charset=utf-8')
    })
    res.setHeader('Access-Control-Allow-Origin', '*')
    send(req, res, rendered, PAGE_CACHE_CONTROL)
  })
}

/** Revisions are `${ms}-${random}`: an empty feed is as new as the last change to the store. */
function revisionTime(revision: string): string | undefined {
  const ms = Number(revision.split('-')[0])
  return ms > 0 ? new Date(ms).toISOString() : undefined
}

/** The view-changing parameters in a fixed order, so `?a&b` and `?b&a` share a cache entry. */
function canonicalQuery(query: Record<string, unknown>, withMark = false): string {
  const parts: string[] = []
  for (const name of VIEW_PARAMS) {
    let value = query[name]
    if (value === undefined) continue
    if (Array.isArray(value)) value = value.join(',')
    if (name === 'limit' && withMark && value === 50) continue
    parts.push(`${name}=${encodeURIComponent(String(value))}`)
  }
  if (!parts.length) return ''
  return `${withMark ? '?' : ''}${parts.join('&')}`
}
