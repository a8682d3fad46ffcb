import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseQueryString } from 'node:querystring'
import type { Express, Request, Response } from 'express'
import type { FeedView } from '../model.js'
import { AppError } from '../errors.js'
import { convertViewText, DEFAULT_LIMIT, encodeCursor, loadPage, newestTime, parseViewQuery, type ViewQuery } from '../query/index.js'
import { renderRssBytes } from '../render/rss.js'
import { renderAtomBytes } from '../render/atom.js'
import { renderJsonFeed } from '../render/jsonfeed.js'
import { renderOpml } from '../render/opml.js'
import { feedTitle } from '../render/view.js'
import { isBrowserNavigation } from './conditional.js'
import { Rendered, send, type HttpContext } from './context.js'
import { readOnly } from './errors.js'
import { htmlHeaders } from './headers.js'
import { resolveLanguage } from './pages.js'

const FORMATS = {
  rss: { type: 'application/rss+xml; charset=utf-8', render: renderRssBytes },
  atom: { type: 'application/atom+xml; charset=utf-8', render: renderAtomBytes },
  json: { type: 'application/feed+json; charset=utf-8', render: renderJsonFeed },
} as const
type Format = keyof typeof FORMATS

/** SPEC §3: readers may poll every minute; caches may serve a stale copy while they revalidate. */
export const FEED_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=300'
export const PAGE_CACHE_CONTROL = 'public, max-age=60'
/**
 * Feeds are read by scripts on any origin (SPEC §3); `nosniff` keeps browsers from guessing types;
 * a feed URL answers browsers with a page and readers with the feed (SPEC §7), so caches keep both apart.
 */
const FEED_HEADERS = { 'Access-Control-Allow-Origin': '*', 'X-Content-Type-Options': 'nosniff', Vary: 'Accept, Accept-Encoding' } as const
/** The route label the fast path counts under, the same as the Express route's. */
export const FEED_ROUTE = '/feeds/:file'
/** Query parameters that change a feed; any other is ignored and does not split the cache. */
const VIEW_PARAMS = ['limit', 'source', 'q', 'exclude', 'variant', 'before'] as const
const FEED_FILE = /^([A-Za-z0-9_-]+)\.(rss|atom|json)$/

/** The render-cache key of a feed request: the same from Express's parsed query and from the fast path's. */
export function feedKey(category: string, format: string, query: Record<string, unknown>): string {
  return `feed:${category}.${format}?${canonicalQuery(query)}`
}

/**
 * Answers a GET/HEAD for a feed that is already rendered at the current revision, straight from
 * the render cache with every header the Express route sends; false when it is not (an unknown
 * path, a miss, a bad parameter), and Express handles the request. A hot feed costs one map lookup.
 */
export function serveCachedFeed(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url
  // A browser gets the feed's page, which Express renders (SPEC §7).
  if ((req.method !== 'GET' && req.method !== 'HEAD') || url === undefined || !url.startsWith('/feeds/') || isBrowserNavigation(req.headers.accept)) return false
  const mark = url.indexOf('?')
  const match = FEED_FILE.exec(url.slice('/feeds/'.length, mark < 0 ? undefined : mark))
  if (!match) return false
  const rendered = ctx.peek(feedKey(match[1], match[2], mark < 0 ? {} : parseQueryString(url.slice(mark + 1))))
  if (!rendered) return false
  send(req, res, rendered, FEED_CACHE_CONTROL, FEED_HEADERS)
  ctx.metrics.httpRequests.inc({ route: FEED_ROUTE, status: String(res.statusCode) })
  return true
}

/** `/feeds/{category}.{rss,atom,json}` (a page of the feed for browsers) and `/feeds.opml`. */
export function feedRoutes(app: Express, ctx: HttpContext): void {
  const { config, store, rev, base } = ctx

  app.get(FEED_ROUTE, async (req, res) => {
    const match = FEED_FILE.exec(req.params.file)
    if (!match) throw new AppError(`no such feed "${req.params.file}" (use {category}.rss, .atom or .json)`, { status: 404 })
    const [, category, format] = match as unknown as [string, string, Format]
    const query = parseViewQuery(category, req.query, config)
    if (isBrowserNavigation(req.headers.accept)) return feedPage(req, res, query, format)
    const rendered = await ctx.cached(feedKey(category, format, req.query), async () => {
      const view = await feedView(query, format)
      const { render, type } = FORMATS[format]
      return new Rendered(render(view), type, new Date(view.updated))
    })
    send(req, res, rendered, FEED_CACHE_CONTROL, FEED_HEADERS)
  })

  async function feedView(query: ViewQuery, format: Format): Promise<FeedView> {
    const { items, next } = await loadPage(store, config, query, ctx.lists, ctx.search)
    const params = { limit: query.limit, source: query.sources?.join(','), q: query.q, exclude: query.exclude, variant: query.variant }
    const url = (ext: string, before?: string) => `${base}/feeds/${query.category}.${ext}${canonicalQuery({ ...params, before }, true)}`
    const category = query.category === 'all' ? { key: 'all', title: config.site.title, description: config.site.description } : { key: query.category, ...config.categories[query.category] }
    const view: FeedView = {
      site: config.site,
      disclaimer: config.disclaimer,
      category,
      selfUrl: url(format, query.before && encodeCursor(query.before)),
      formats: { rss: url('rss'), atom: url('atom'), json: url('json'), html: query.category === 'all' ? `${base}/` : `${base}/c/${query.category}` },
      items,
      updated: newestTime(items) ?? revisionTime(rev.current) ?? ctx.now().toISOString(),
    }
    if (next || query.before) view.pages = { next: next && url(format, encodeCursor(next)), first: query.before && url(format) }
    return query.variant ? convertViewText(view, query.variant) : view
  }

  /**
   * What a browser opening a feed URL gets (SPEC §7, issue 11 §2): the same stories and paging as
   * the feed, as a page in the site's language with dates in its zone, and how to subscribe. Errors
   * stay plain text, as on every feed route.
   */
  async function feedPage(req: Request, res: Response, query: ViewQuery, format: Format): Promise<void> {
    const lang = resolveLanguage(req.query.lang, config)
    const rendered = await ctx.cached(`feed-page:${feedKey(query.category, format, req.query)}|${lang.key}|${lang.explicit}`, async () => {
      const view = await feedView(query, format)
      const path = (url: string | undefined) => url && url.slice(base.length)
      const html = ctx.pages.feed(
        {
          title: feedTitle(view),
          description: view.category.description ?? view.site.description,
          feedUrl: view.pages?.first ?? view.selfUrl,
          format,
          formats: view.formats,
          items: view.items,
          older: path(view.pages?.next),
          newest: path(view.pages?.first),
          variant: query.variant,
        },
        lang,
        await ctx.images.links(),
        path(view.selfUrl)!,
      )
      return new Rendered(html, 'text/html; charset=utf-8', new Date(view.updated))
    })
    res.set(htmlHeaders(config))
    send(req, res, rendered, PAGE_CACHE_CONTROL, FEED_HEADERS)
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

  readOnly(app, [FEED_ROUTE, '/feeds.opml'])
}

/** The URLs of a category's feeds without parameters: the WebSub topics the hub is told about. */
export function feedTopics(base: string, category: string): string[] {
  return (Object.keys(FORMATS) as Format[]).map((format) => `${base}/feeds/${category}.${format}`)
}

/** Revisions are `${ms}-${random}`: an empty feed is as new as the last change to the store. */
function revisionTime(revision: string): string | undefined {
  const ms = Number(revision.split('-')[0])
  return ms > 0 ? new Date(ms).toISOString() : undefined
}

/** The view-changing parameters in a fixed order, so `?a&b` and `?b&a` share a cache entry. */
export function canonicalQuery(query: Record<string, unknown>, withMark = false): string {
  const parts: string[] = []
  for (const name of VIEW_PARAMS) {
    let value = query[name]
    if (value === undefined) continue
    if (Array.isArray(value)) value = value.join(',')
    if (name === 'limit' && withMark && value === DEFAULT_LIMIT) continue
    parts.push(`${name}=${encodeURIComponent(String(value))}`)
  }
  if (!parts.length) return ''
  return `${withMark ? '?' : ''}${parts.join('&')}`
}
