import { createServer, type RequestListener, type Server } from 'node:http'
import express, { type NextFunction, type Request, type Response } from 'express'
import { AppError, errorMessage, StoreError } from '../errors.js'
import { createContext, STORE_RETRY_AFTER_S, type AppDeps, type HttpContext } from './context.js'
import { answerClientErrors, notFound } from './errors.js'
import { feedRoutes, serveCachedFeed } from './feeds.js'
import { imageRoutes } from './img.js'
import { pageRoutes } from './pages-routes.js'
import { RateLimiter } from './rate-limit.js'
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
  const limiter = deps.config.site.rateLimit && new RateLimiter(deps.config.site.rateLimit)
  return (req, res) => {
    const wait = limiter?.retryAfter(req) ?? 0
    if (wait > 0) {
      ctx.metrics.httpRequests.inc({ route: 'rate-limited', status: '429' })
      res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': String(wait), 'Cache-Control': 'no-store' }).end(`rate limit: too many requests from your address; try again in ${wait} s\n`)
      return
    }
    // RFC 9111 §5.1: while the store is away, what we serve is as old as its last answer.
    if (ctx.rev.down) res.setHeader('Age', String(Math.max(0, Math.round((Date.now() - ctx.rev.lastAnswer) / 1000))))
    if (!serveCachedFeed(ctx, req, res)) app(req, res)
  }
}

/** A client gets this long to send its request headers (slowloris: a half-sent request holds a connection). */
export const HEADERS_TIMEOUT_MS = 10_000
/** … and this long for the whole request, body included. */
export const REQUEST_TIMEOUT_MS = 30_000
/** An idle keep-alive connection is closed after this long (Node's default; browsers and readers reconnect). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** How often Node checks the two timeouts above; its default (30 s) would let a slow client stay three times as long. */
const CONNECTIONS_CHECK_MS = 1_000

/** The node:http server every web process runs, with the timeouts that keep slow clients from holding it. */
export function createWebServer(handler: RequestListener): Server {
  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECK_MS },
    handler,
  )
  answerClientErrors(server)
  return server
}

/**
 * Stops accepting connections and lets the requests in flight finish for up to `deadlineMs`:
 * idle keep-alive connections are closed at once and as they become idle, responses still being
 * written get `Connection: close`; after the deadline every connection left (a client that sent
 * half its headers, one that reads slowly) is closed. Resolves when the server is closed.
 */
export function drain(server: Server, deadlineMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.on('request', (_req, res) => res.setHeader('Connection', 'close'))
  server.closeIdleConnections()
  const sweep = setInterval(() => server.closeIdleConnections(), 100)
  const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs)
  return closed.finally(() => {
    clearInterval(sweep)
    clearTimeout(deadline)
  })
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

  // Degraded while the store does not answer: this process still serves what it rendered.
  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.removeHeader('Age')
    const down = ctx.rev.down
    if (!down) return void res.type('text/plain').send('ok')
    res.setHeader('Retry-After', String(STORE_RETRY_AFTER_S))
    res.status(503).type('text/plain').send(`degraded: the store has not answered since ${new Date(down.since).toISOString()} (${down.reason}); serving cached renderings only\n`)
  })

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })

  app.use(notFound(ctx))

  // Express 5 forwards rejected promises here: 4xx in words; the store away is a 503 that says
  // when to come back (issue 12 §3); other 5xx logged and kept vague.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const unavailable = error instanceof StoreError || (error instanceof AppError && error.status === 503)
    const status = unavailable ? 503 : error instanceof AppError && error.status ? error.status : 500
    if (status >= 500 && !unavailable) log.error({ err: error, path: req.path }, errorMessage(error))
    if (res.headersSent) return void res.end()
    res.removeHeader('Age')
    if (unavailable) {
      res.setHeader('Retry-After', String(STORE_RETRY_AFTER_S))
      res.setHeader('Cache-Control', 'no-store')
      return void res.status(503).type('text/plain').send(`${error instanceof AppError && error.status === 503 ? errorMessage(error) : 'store: unavailable'}\n`)
    }
    res.status(status).type('text/plain').send(status >= 500 ? 'internal error' : errorMessage(error))
  })

  return app
}

/** Route label for metrics: the route pattern, never the raw path (bounded label cardinality). */
function routeLabel(req: Request): string {
  if (req.route?.path) return String(req.route.path)
  return 'unmatched'
}
