import type { Request, Response } from 'express'
import type { Config } from '../model.js'
import type { Store } from '../store/index.js'
import type { Metrics } from '../metrics.js'
import type { Logger } from '../log.js'
import { chooseEncoding, isNotModified, RETAINED_304_HEADERS } from './conditional.js'
import { Rendered, RenderCache } from './cache.js'
import type { RevWatcher } from './rev.js'

export interface AppDeps {
  config: Config
  store: Store
  rev: RevWatcher
  metrics: Metrics
  log: Logger
  now?: () => Date
}

/** What every route module receives: the app's dependencies plus the shared render cache. */
export interface HttpContext extends Required<AppDeps> {
  /** Render once per (key, store revision); concurrent misses share one render. */
  cached(key: string, render: () => Promise<Rendered>): Promise<Rendered>
  /** The public base URL, without a trailing slash. */
  base: string
}

export function createContext(deps: AppDeps): HttpContext {
  const cache = new RenderCache()
  const pending = new Map<string, Promise<Rendered>>()
  const { rev } = deps
  return {
    ...deps,
    now: deps.now ?? (() => new Date()),
    base: deps.config.site.url.replace(/\/+$/, ''),
    async cached(key, render) {
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
    },
  }
}

/** Headers a 304 keeps besides RETAINED_304_HEADERS: security and CORS apply to it too. */
const ALSO_ON_304 = new Set(['x-content-type-options', 'access-control-allow-origin'])

/** Writes a cached rendering with validators, 304s, compression and HEAD, without copying bytes. */
export function send(req: Request, res: Response, rendered: Rendered, cacheControl: string): void {
  res.setHeader('ETag', rendered.etag)
  if (rendered.lastModified) res.setHeader('Last-Modified', rendered.lastModified)
  res.setHeader('Cache-Control', cacheControl)
  res.setHeader('Vary', 'Accept-Encoding')
  if (isNotModified({ ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] }, rendered.etag, rendered.lastModified)) {
    for (const name of res.getHeaderNames()) {
      if (!(RETAINED_304_HEADERS as readonly string[]).includes(name) && !ALSO_ON_304.has(name)) res.removeHeader(name)
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

export { Rendered }
