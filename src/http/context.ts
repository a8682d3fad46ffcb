import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Config } from '../model.js'
import type { Store } from '../store/index.js'
import type { Metrics } from '../metrics.js'
import type { Logger } from '../log.js'
import { AppError } from '../errors.js'
import { chooseEncoding, codedEtag, isNotModified, RETAINED_304_HEADERS } from './conditional.js'
import { Rendered, RenderCache } from './cache.js'
import { STORE_ANSWER_MS, withDeadline, type RevWatcher, type StoreDown } from './rev.js'
import { ListCache, type ListReader } from '../query/index.js'
import { SearchIndex } from '../search/index.js'
import { createFetcher, type Fetcher } from '../fetch/index.js'
import { ImageProxy } from './img.js'
import { Pages } from './pages.js'

/** What a 503 asks clients to wait: about two probes of the store (REV_POLL_MS). */
export const STORE_RETRY_AFTER_S = 5

/** The store does not answer: a 503 with Retry-After at once, rather than a 500 after the store's own timeout. */
export class StoreUnavailable extends AppError {
  constructor(down: StoreDown) {
    super(`store: unavailable since ${new Date(down.since).toISOString()} (${down.reason}); try again in ${STORE_RETRY_AFTER_S} s`, { status: 503 })
  }
}

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
  /** Build the search index now (the web commands), rather than on the first search (tests, tools). */
  buildSearchIndex?: boolean
}

/** What every route module receives: the app's dependencies plus the shared render cache. */
export interface HttpContext extends Required<Omit<AppDeps, 'imageSecret' | 'buildSearchIndex'>> {
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
  /** What answers `q=` (issue 12 §7), caught up with the store before each search. */
  search: SearchIndex
}

export function createContext(deps: AppDeps): HttpContext {
  const { rev, metrics } = deps
  const cache = new RenderCache(undefined, (bytes) => metrics.renderCacheBytes.set(bytes))
  const pending = new Map<string, Promise<Rendered>>()
  const now = deps.now ?? (() => new Date())
  const fetcher = deps.fetcher ?? createFetcher()
  const store = guardedStore(deps.store, rev)
  const search = new SearchIndex(store, { revision: () => rev.current, log: (message) => deps.log.info(message) })
  if (deps.buildSearchIndex) void search.start()
  return {
    ...deps,
    store,
    now,
    fetcher,
    pages: new Pages(deps.config),
    images: new ImageProxy({ config: deps.config, store, fetcher, now, secret: deps.imageSecret }),
    base: deps.config.site.url.replace(/\/+$/, ''),
    lists: new ListCache(store, () => (rev.down ? undefined : rev.current)),
    search,
    async cached(key, render) {
      const full = `${key}|${rev.current}`
      const hit = cache.get(full)
      metrics.renderCache.inc({ result: hit ? 'hit' : 'miss' })
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
      const hit = cache.get(`${key}|${rev.current}`)
      // A miss here goes on to Express, whose `cached()` counts it.
      if (hit) metrics.renderCache.inc({ result: 'hit' })
      return hit
    },
  }
}

/** Store methods the web layer never waits on: they answer without asking the store (`items` is a paged scan, for the search index's build). */
const UNGUARDED = new Set<PropertyKey>(['close', 'constructor', 'items'])

/**
 * The store as request handlers see it (issue 12 §3): while the RevWatcher says it is down,
 * every read fails at once with StoreUnavailable; otherwise each read gets STORE_ANSWER_MS, and
 * one that fails or runs late marks the store down — which also releases every other request
 * still waiting on it. Cached renderings never get here, so they keep being served.
 */
function guardedStore(store: Store, rev: RevWatcher): Store {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function' || UNGUARDED.has(property)) return value
      return async (...args: unknown[]) => {
        if (rev.down) throw new StoreUnavailable(rev.down)
        let unsubscribe = () => undefined as void
        const released = new Promise<never>((_, reject) => {
          unsubscribe = rev.onDown((down) => reject(new StoreUnavailable(down)))
        })
        try {
          const call = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          const out = await Promise.race([withDeadline(call, STORE_ANSWER_MS, `for ${String(property)}`), released])
          rev.answered()
          return out
        } catch (error) {
          if (error instanceof StoreUnavailable) throw error
          rev.failed(error)
          throw new StoreUnavailable(rev.down ?? { since: Date.now(), reason: String(error) })
        } finally {
          unsubscribe()
        }
      }
    },
  })
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
