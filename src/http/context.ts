import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Config } from '../model.js'
import type { Store } from '../store/index.js'
import type { Metrics } from '../metrics.js'
import type { Logger } from '../log.js'
import { chooseEncoding, codedEtag, isNotModified, RETAINED_304_HEADERS } from './conditional.js'
import { Rendered, RenderCache } from './cache.js'
import type { RevWatcher } from './rev.js'
import { ListCache, type ListReader } from '../query/index.js'
import { createFetcher, type Fetcher } from '../fetch/index.js'
import { ImageProxy } from './img.js'
import { Pages } from './pages.js'

export interface AppDeps {
  config: Config
  store: Store
  rev: RevWatcher
  metrics: Metrics
  log: Logger
  now?: () => Date
  /** Fetches images for the /img/ proxy: the process's one Fetcher, so its per-host cap counts them too. */
  fetcher?: Fetcher
  /** FEEDLOOM_SECRET, the image proxy's signing key; without it the store keeps one. */
  imageSecret?: string
}

/** What every route module receives: the app's dependencies plus the shared render cache. */
export interface HttpContext extends Required<Omit<AppDeps, 'imageSecret'>> {
  /** The HTML pages' templates and words. */
  pages: Pages
  /** Signed image addresses for pages and widgets, and the proxy that serves them. */
  images: ImageProxy
  /** Render once per (key, store revision); concurrent misses share one render. */
  cached(key: string, render: () => Promise<Rendered>): Promise<Rendered>
  /** The rendering cached for `key` at the current revision, if any: one map lookup, nothing else. */
  peek(key: string): Rendered | undefined
  /** The public base URL, without a trailing slash. */
  base: string
  /** Source item lists, re-read from the store only for sources that changed. */
  lists: ListReader
}

export function createContext(deps: AppDeps): HttpContext {
  const cache = new RenderCache()
  const pending = new Map<string, Promise<Rendered>>()
  const { rev } = deps
  const now = deps.now ?? (() => new Date())
  const fetcher = deps.fetcher ?? createFetcher()
  return {
    ...deps,
    now,
    fetcher,
    pages: new Pages(deps.config),
    images: new ImageProxy({ config: deps.config, store: deps.store, fetcher, now, secret: deps.imageSecret }),
    base: deps.config.site.url.replace(/\/+$/, ''),
    lists: new ListCache(deps.store),
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
    peek(key) {
      return cache.get(`${key}|${rev.current}`)
    },
  }
}

/** Headers a 304 keeps besides RETAINED_304_HEADERS: security and CORS apply to it too. */
const ALSO_ON_304 = new Set(['x-content-type-options', 'access-control-allow-origin'])
const KEPT_ON_304 = new Set<string>([...RETAINED_304_HEADERS, ...ALSO_ON_304])

/**
 * Writes a cached rendering with validators, 304s, compression and HEAD, without copying bytes.
 * Takes plain node:http objects, so Express routes and the fast path of `app.ts` answer with the
 * same code; `headers` are added to whatever the caller already set on `res`, and win over the
 * defaults here (a feed route's `Vary: Accept, Accept-Encoding`).
 */
export function send(req: IncomingMessage, res: ServerResponse, rendered: Rendered, cacheControl: string, headers: OutgoingHttpHeaders = {}): void {
  const coding = chooseEncoding(req.headers['accept-encoding'])
  const etag = codedEtag(rendered.etag, coding)
  const validators: OutgoingHttpHeaders = { ETag: etag, 'Cache-Control': cacheControl, Vary: 'Accept-Encoding' }
  if (rendered.lastModified) validators['Last-Modified'] = rendered.lastModified
  if (isNotModified({ ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] }, etag, rendered.lastModified)) {
    for (const name of res.getHeaderNames()) if (!KEPT_ON_304.has(name)) res.removeHeader(name)
    for (const name of Object.keys(headers)) if (KEPT_ON_304.has(name.toLowerCase())) validators[name] = headers[name]
    res.writeHead(304, validators).end()
    return
  }
  const body = rendered.encoded(coding)
  const all: OutgoingHttpHeaders = { ...validators, ...headers, 'Content-Type': rendered.contentType, 'Content-Length': body.length }
  if (coding !== 'identity') all['Content-Encoding'] = coding
  res.writeHead(200, all)
  if (req.method === 'HEAD') res.end()
  else res.end(body)
}

export { Rendered }
