/**
 * `GET /img/{mac}/{payload}`: the image proxy of our pages and widgets (SPEC §8). It fetches only
 * addresses this server signed, through the process's Fetcher (timeouts, redirect limit, the
 * body cap counted while streaming, and its address checks, trusting private addresses only on
 * the host of the item's source's configured URL), sends the article as Referer so hotlink
 * checks pass, serves only what really is an image, and keeps bytes and validators in a
 * byte-bounded cache so a page view costs the portal nothing most of the time.
 */
import type { Express, Request, Response } from 'express'
import type { Config, SourceConfig, Validators } from '../model.js'
import type { Fetcher } from '../fetch/index.js'
import type { Store } from '../store/index.js'
import { FetchError, HttpError, errorMessage } from '../errors.js'
import { ImageLinks, ImageSigner, IMAGE_PATH, imageType, type ImageRequest } from '../images/index.js'
import { isNotModified, strongEtag } from './conditional.js'
import { readOnly } from './errors.js'
import { SizedLru } from './lru.js'

/** Far above a news photo (a few hundred KiB) and a portal's full-size original (a few MiB). */
export const IMAGE_MAX_BYTES = 8 * 1024 * 1024
/** What the cache may hold: a few hundred photos, a bounded share of a web process's memory. */
export const IMAGE_CACHE_BYTES = 64 * 1024 * 1024
/** How long a fetched image is served before the portal is asked (conditionally) again. */
export const IMAGE_FRESH_MS = 60 * 60 * 1000
/** How long a failure is remembered: a broken image on a busy page must not hit the portal per view. */
export const IMAGE_FAILURE_MS = 5 * 60 * 1000
/** A page waits for its images; one that takes longer is better shown broken than late. */
export const IMAGE_TIMEOUT_MS = 10_000
/** A signed address always names the same image: browsers keep it a day. */
export const IMAGE_CACHE_CONTROL = 'public, max-age=86400'
/** What a remembered failure counts for against IMAGE_CACHE_BYTES. */
const FAILURE_SIZE = 256

/**
 * Every /img/ answer: never sniffed as another type, sandboxed with no script should one be opened
 * as a document (an SVG may carry script), and embeddable by portals under COEP.
 */
const IMAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const

type Cached =
  | { kind: 'image'; body: Buffer; type: string; etag: string; validators: Validators; checkedMs: number }
  | { kind: 'failed'; status: number; message: string; checkedMs: number }

export interface ImageProxyDeps {
  config: Config
  store: Store
  fetcher: Fetcher
  now: () => Date
  /** FEEDLOOM_SECRET when set; otherwise the store keeps one (Store.getSecret). */
  secret?: string
}

export class ImageProxy {
  private signer?: Promise<ImageSigner>
  private readonly cache = new SizedLru<Cached>(IMAGE_CACHE_BYTES, (c) => (c.kind === 'image' ? c.body.length : FAILURE_SIZE))
  private readonly pending = new Map<string, Promise<Cached>>()
  private readonly sources: ReadonlyMap<string, SourceConfig>

  constructor(private readonly deps: ImageProxyDeps) {
    this.sources = new Map(deps.config.sources.map((s) => [s.id, s]))
  }

  get enabled(): boolean {
    return this.deps.config.site.imageProxy !== false
  }

  /** How pages and widgets address images: signed /img/ paths, or the images' own URLs with the proxy off. */
  async links(): Promise<ImageLinks> {
    return new ImageLinks(this.enabled ? await this.key() : undefined)
  }

  private key(): Promise<ImageSigner> {
    this.signer ??= (this.deps.secret !== undefined ? Promise.resolve(this.deps.secret) : this.deps.store.getSecret()).then(
      (secret) => new ImageSigner(secret),
      (error: unknown) => {
        // A store hiccup must not leave the process without images until it restarts.
        this.signer = undefined
        throw error
      },
    )
    return this.signer
  }

  /** The image a signed address stands for, from the cache or the portal; an HttpError when there is none. */
  async image(mac: string, payload: string): Promise<Extract<Cached, { kind: 'image' }>> {
    if (!this.enabled) throw new HttpError(404, 'img: the image proxy is off (site.imageProxy: false)')
    const request = await this.open(mac, payload)
    const source = this.sources.get(request.sourceId)
    if (!source) throw new HttpError(404, `img: source "${request.sourceId}" is not configured any more`)
    const cached = this.cache.get(request.url)
    const nowMs = this.deps.now().getTime()
    const fresh = cached && nowMs - cached.checkedMs < (cached.kind === 'image' ? IMAGE_FRESH_MS : IMAGE_FAILURE_MS)
    const result = fresh ? cached : await this.shared(request, source, cached)
    if (result.kind === 'failed') throw new HttpError(result.status, result.message)
    return result
  }

  private async open(mac: string, payload: string): Promise<ImageRequest> {
    const signer = await this.key()
    let request: ImageRequest | undefined
    try {
      request = signer.open(mac, payload)
    } catch {
      // A payload that is not ours cannot be parsed either: the MAC check already refused it unless it was.
      request = undefined
    }
    if (!request) throw new HttpError(403, 'img: refused: this server did not sign that address')
    return request
  }

  /** One fetch per image however many pages ask for it at once. */
  private shared(request: ImageRequest, source: SourceConfig, cached: Cached | undefined): Promise<Cached> {
    let job = this.pending.get(request.url)
    if (!job) {
      job = this.fetch(request, source, cached).finally(() => this.pending.delete(request.url))
      this.pending.set(request.url, job)
    }
    return job
  }

  private async fetch(request: ImageRequest, source: SourceConfig, cached: Cached | undefined): Promise<Cached> {
    const stale = cached?.kind === 'image' ? cached : undefined
    const checkedMs = this.deps.now().getTime()
    let result: Cached
    try {
      const fetched = await this.deps.fetcher.fetch(request.url, stale?.validators ?? {}, {
        sourceId: source.id,
        // With no article to name, the image's own site is the page a hotlink check expects.
        headers: { referer: request.referer ?? `${new URL(request.url).origin}/`, accept: 'image/*' },
        maxBodyBytes: IMAGE_MAX_BYTES,
        trustedHost: hostnameOf(source.url),
        signal: AbortSignal.timeout(IMAGE_TIMEOUT_MS),
      })
      if (fetched.kind === 'not-modified') result = { ...stale!, validators: { ...stale!.validators, ...fetched.validators }, checkedMs }
      else {
        const type = imageType(fetched.body, fetched.contentType)
        const body = Buffer.from(fetched.body)
        result = type
          ? { kind: 'image', body, type, etag: strongEtag(body), validators: fetched.validators, checkedMs }
          : { kind: 'failed', status: 502, message: `img: ${request.url} answered ${fetched.contentType ?? 'without a Content-Type'}, not an image`, checkedMs }
      }
    } catch (error) {
      const gone = error instanceof FetchError && (error.httpStatus === 404 || error.httpStatus === 410)
      // A portal that fails for a moment keeps showing the copy we have.
      if (stale && !gone) return { ...stale, checkedMs }
      result = { kind: 'failed', status: gone ? 404 : 502, message: `img: ${errorMessage(error)}`, checkedMs }
    }
    this.cache.set(request.url, result)
    return result
  }
}

function hostnameOf(url: string): string {
  // A file:// source has no host: no private address is trusted for its images.
  return /^https?:/i.test(url) ? new URL(url).hostname : ''
}

/** `/img/{mac}/{payload}`. */
export function imageRoutes(app: Express, proxy: ImageProxy): void {
  const path = `${IMAGE_PATH}:mac/:payload`
  app.get(path, async (req: Request, res: Response) => {
    let image: Awaited<ReturnType<ImageProxy['image']>>
    try {
      image = await proxy.image(String(req.params.mac), String(req.params.payload))
    } catch (error) {
      if (!(error instanceof HttpError)) throw error
      res.status(error.status!).set(IMAGE_HEADERS).setHeader('Cache-Control', 'no-store')
      res.type('text/plain').send(error.message)
      return
    }
    const validators = { ETag: image.etag, 'Cache-Control': IMAGE_CACHE_CONTROL }
    if (isNotModified({ ifNoneMatch: req.headers['if-none-match'] }, image.etag)) {
      res.writeHead(304, validators).end()
      return
    }
    res.writeHead(200, { ...IMAGE_HEADERS, ...validators, 'Content-Type': image.type, 'Content-Length': image.body.length })
    if (req.method === 'HEAD') res.end()
    else res.end(image.body)
  })
  readOnly(app, [path])
}
