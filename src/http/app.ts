import express, { type NextFunction, type Request, type Response } from 'express'
import { AppError, errorMessage } from '../errors.js'
import { createContext, type AppDeps } from './context.js'
import { feedRoutes } from './feeds.js'
import { pageRoutes } from './pages-routes.js'

export type { AppDeps } from './context.js'
export { FEED_CACHE_CONTROL } from './feeds.js'

/** The Express app: shared middleware, then one route module per area, then errors. */
export function createApp(deps: AppDeps): express.Express {
  const ctx = createContext(deps)
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

/** Route label for metrics: the route pattern, never the raw path (bounded label cardinality). */
function routeLabel(req: Request): string {
  if (req.route?.path) return String(req.route.path)
  return 'unmatched'
}
