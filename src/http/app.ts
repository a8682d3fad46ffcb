import express, { type NextFunction, type Request, type Response } from 'express'
import type { Config, FeedView } from '../model.js'
import { AppError, errorMessage } from '../errors.js'
import type { Store } from '../store/index.js'
import type { Metrics } from '../metrics.js'
import type { Logger } from '../log.js'
import { loadView, newestTime, parseViewQuery, type ViewQuery } from '../query/index.js'
import { renderRss } from '../render/rss.js'
import { renderAtom } from '../render/atom.js'
import { renderJsonFeed } from '../render/jsonfeed.js'
import { renderOpml } from '../render/opml.js'
import { chooseEncoding, isNotModified, RETAINED_304_HEADERS } from './conditional.js'
import { Rendered, RenderCache } from './cache.js'
import type { RevWatcher } from './rev.js'
import { statusRows } from './status.js'
import { Pages } from './pages.js'

export interface AppDeps {
  config: Config
  store: Store
  rev: RevWatcher
  metrics: Metrics
  log: Logger
  now?: () => Date
}

const FORMATS = {
  rss: { type: 'application/rss+xml; charset=utf-8', render: renderRss },
  atom: { type: 'application/atom+xml; charset=utf-8', render: renderAtom },
  json: { type: 'application/feed+json; charset=utf-8', render: renderJsonFeed },
} as const
type Format = keyof typeof FORMATS

/** SPEC §3: readers may poll every minute; caches may serve a stale copy while they revalidate. */
export const FEED_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=300'
const PAGE_CACHE_CONTROL = 'public, max-age=60'
/** Query parameters that change a feed; any other is ignored and does not split the cache. */
const VIEW_PARAMS = ['limit', 'source', 'q', 'exclude'] as const

export function createApp(deps: AppDeps): express.Express {
  const { config, store, rev, metrics, log } = deps
  const now = deps.now ?? (() => new Date())
  const cache = new RenderCache()
  const pending = new Map<string, Promise<Rendered>>()
  const pages = new Pages(config)
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('query parser', 'simple')

  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.on('finish', () => metrics.httpRequests.inc({ route: routeLabel(req), status: String(res.statusCode) }))
    next()
  })

  /** Render once per (key, revision); concurrent misses share one render. */
  async function cached(key: string, render: () => Promise<Rendered>): Promise<Rendered> {
    const full = `${key}|${rev.current}`
    const hit = cache.get(full)
    if (hit) return hit
    let job = pending.get(full)
    if (!job) {
      job = render().finally(() => pending.delete(full))
      pending.set(full, job)
      job.then((r) => cache.set(full, r), () => undefined)
    }
    return job
  }

  app.get('/feeds/:file', async (req, res) => {
    const match = /^([A-Za-z0-9_-]+)\.(rss|atom|json)$/.exec(req.params.file)
    if (!match) throw new AppError(`no such feed "${req.params.file}" (use {category}.rss, .atom or .json)`, { status: 404 })
    const [, category, format] = match as unknown as [string, string, Format]
    const query = parseViewQuery(category, req.query, config)
    const rendered = await cached(`feed:${category}.${format}?${canonicalQuery(req.query)}`, async () => {
      const view = await feedView(query, format)
      return new Rendered(FORMATS[format].render(view), FORMATS[format].type, new Date(view.updated))
    })
    res.setHeader('Access-Control-Allow-Origin', '*')
    send(req, res, rendered, FEED_CACHE_CONTROL)
  })

  async function feedView(query: ViewQuery, format: Format): Promise<FeedView> {
    const items = await loadView(store, config, query)
    const base = config.site.url.replace(/\/+$/, '')
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
      updated: newestTime(items) ?? EPOCH,
    }
  }

  app.get('/feeds.opml', async (req, res) => {
    const rendered = await cached('opml', async () => {
      const base = config.site.url.replace(/\/+$/, '')
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

  app.get('/', async (req, res) => {
    const rendered = await cached('index', async () => {
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
    res.json({ generated: now().toISOString(), sources: rows })
  })

  app.get('/status', async (_req, res) => {
    const rows = statusRows(config, await store.getStates(config.sources.map((s) => s.id)))
    res.setHeader('Cache-Control', 'no-store')
    res.type('html').send(pages.status(rows, now()))
  })

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.type('text/plain').send('ok')
  })

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found')
  })

  // Express 5 forwards rejected promises here: 4xx in words, 5xx logged and kept vague.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = error instanceof AppError && error.status ? error.status : 500
    if (status >= 500) log.error({ err: error, path: req.path }, errorMessage(error))
    if (res.headersSent) return void res.end()
    res.status(status).type('text/plain').send(status >= 500 ? 'internal error' : errorMessage(error))
  })

  return app
}

const EPOCH = new Date(0).toISOString()

/** Writes a cached rendering with validators, 304s, compression and HEAD, without copying bytes. */
function send(req: Request, res: Response, rendered: Rendered, cacheControl: string): void {
  res.setHeader('ETag', rendered.etag)
  if (rendered.lastModified) res.setHeader('Last-Modified', rendered.lastModified)
  res.setHeader('Cache-Control', cacheControl)
  res.setHeader('Vary', 'Accept-Encoding')
  const ifNoneMatch = req.headers['if-none-match']
  const ifModifiedSince = req.headers['if-modified-since']
  if (isNotModified({ ifNoneMatch, ifModifiedSince }, rendered.etag, rendered.lastModified)) {
    for (const name of res.getHeaderNames()) {
      if (!(RETAINED_304_HEADERS as readonly string[]).includes(name) && name !== 'x-content-type-options' && name !== 'access-control-allow-origin') res.removeHeader(name)
    }
    res.status(304).end()
    return
  }
  const coding = chooseEncoding(req.headers['accept-encoding'])
  const body = rendered.encoded(coding)
  res.setHeader('Content-Type', rendered.contentType)
  if (coding !== 'identity') res.setHeader('Content-Encoding', coding)
  res.setHeader('Content-Length', body.length)
  res.status(200)
  if (req.method === 'HEAD') res.end()
  else res.end(body)
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

function routeLabel(req: Request): string {
  if (req.path.startsWith('/feeds/')) return '/feeds/:file'
  return req.route?.path ?? (['/', '/feeds.opml', '/status', '/status.json', '/healthz', '/metrics'].includes(req.path) ? req.path : 'other')
}
