import type { RequestListener } from 'node:http'
import express, { type NextFunction, type Request, type Response } from 'express'
import { AppError, errorMessage } from '../errors.js'
import { createContext, type AppDeps, type HttpContext } from './context.js'
import { notFound } from './errors.js'
import { feedRoutes, serveCachedFeed } from './feeds.js'
import { imageRoutes } from './img.js'
import { pageRoutes } from './pages-routes.js'
import { widgetRoutes } from './widget.js'

export type { AppDeps } from './context.js'
export { FEED_CACHE_CONTROL } from './feeds.js'

/**
 * What the server runs: hot feeds answered from the render cache by a plain node:http listener
 * (Express's routing and middleware cost more than the rest of such a request), everything else,
 * and every cache miss, by the Express app over the same context and the same `send`.
 */
export function createHandler(deps: AppDeps, mount?: (app: express.Express, ctx: HttpContext) => void): RequestListener {
  const ctx = createContext(deps)
  const app = buildApp(ctx, mount)
  return (req, res) => {
    if (!serveCachedFeed(ctx, req, res)) app(req, res)
  }
}

/** The Express app alone: shared middleware, then one route module per area, then errors. */
export function createApp(deps: AppDeps, mount?: (app: express.Express, ctx: HttpContext) => void): express.Express {
  return buildApp(createContext(deps), mount)
}

/** `mount` adds routes that need the process's other parts (the WebSub callback) before the 404. */
function buildApp(ctx: HttpContext, mount?: (app: express.Express, ctx: HttpContext) => void): express.Express {
  const { metrics, log } = ctx
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('query parser', 'simple')

  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.on('finish', () => metrics.httpRequests.inc({ route: routeLabel(req), status: String(res.statusCode) }))
    next()
  })

  feedRoutes(app, ctx)
  pageRoutes(app, ctx)
  widgetRoutes(app, ctx)
  imageRoutes(app, ctx.images)
  mount?.(app, ctx)

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.type('text/plain').send('ok')
  })

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })

  app.use(notFound(ctx))

  // Express 5 forwards rejected promises here: 4xx in words, 5xx logged and kept vague.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = error instanceof AppError && error.status ? error.status : 500
    if (status >= 500) log.error({ err: error, path: req.path }, errorMessage(error))
    if (res.headersSent) return void res.end()
    res.status(status).type('text/plain').send(status >= 500 ? 'internal error' : errorMessage(error))
  })

  return app
}

/** Route label for metrics: the route pattern, never the raw path (bounded label cardinality). */
function routeLabel(req: Request): string {
  if (req.route?.path) return String(req.route.path)
  return 'unmatched'
}
