/**
 * fetch/: one source URL in, bytes and validators out (DESIGN.md). Conditional GET, a timeout over
 * the whole exchange, a body cap counted while streaming, manually followed redirects, a per-host
 * concurrency cap, and every failure as a FetchError that says what happened in words.
 */
import { FetchError } from '../errors.js'
import type { FetchResult, Validators } from '../model.js'
import { fetchFile, type Answer } from './file.js'
import { describeNetworkFailure, fetchError, type Where } from './failure.js'
import { HostLimiter } from './host-limiter.js'
import {
  ACCEPT,
  ACCEPT_ENCODING,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUT_MS,
  MAX_REDIRECTS,
  PER_HOST_CONCURRENCY,
  USER_AGENT,
} from './policy.js'
import { ResponseHandler } from './response.js'

export { backoffDelayMs, parseRetryAfter } from './backoff.js'
export * from './policy.js'

export interface FetcherOptions {
  /** The transport (ofetch `createFetch({ fetch })` style); defaults to Node's global fetch (undici). */
  fetch?: typeof globalThis.fetch
  timeoutMs?: number
  maxBodyBytes?: number
  maxRedirects?: number
  perHostConcurrency?: number
  userAgent?: string
  /** The clock Retry-After dates are measured against. */
  now?: () => Date
}

export interface FetchOptions {
  /** Aborts the fetch, including its wait for a per-host slot. */
  signal?: AbortSignal
  /** Named in error messages, so a failure in a log says which source it was. */
  sourceId?: string
  /** Request headers over the defaults, lower-case names (the image proxy sends `referer` and `accept: image/*`). */
  headers?: Record<string, string>
  /** This call's body cap, counted while streaming like the default one (FetcherOptions.maxBodyBytes). */
  maxBodyBytes?: number
  /**
   * The hostname for which loopback and private addresses are allowed (by default the start URL's
   * hostname): the image proxy passes the host of the item's source's configured URL.
   */
  trustedHost?: string
}

export interface Fetcher {
  fetch(url: string, validators: Validators, opts?: FetchOptions): Promise<FetchResult>
}

/** FetcherOptions with every default filled in. */
interface Settings {
  transport: typeof globalThis.fetch
  timeoutMs: number
  maxBodyBytes: number
  maxRedirects: number
  userAgent: string
  now: () => Date
}

/** One Fetcher per process: its per-host cap counts the requests of every source it serves. */
export function createFetcher(options: FetcherOptions = {}): Fetcher {
  const settings: Settings = {
    transport: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxRedirects: options.maxRedirects ?? MAX_REDIRECTS,
    userAgent: options.userAgent ?? USER_AGENT,
    now: options.now ?? (() => new Date()),
  }
  const limiter = new HostLimiter(options.perHostConcurrency ?? PER_HOST_CONCURRENCY)

  return {
    async fetch(url, validators, opts = {}) {
      const started = performance.now()
      const target = parseSourceUrl(url, opts.sourceId)
      const answer =
        target.protocol === 'file:'
          ? await fetchFile(target, validators, opts.maxBodyBytes ?? settings.maxBodyBytes, opts.sourceId)
          : await fetchHttp(target, validators, opts, settings, limiter)
      return { ...answer, url, elapsedMs: Math.round(performance.now() - started) }
    },
  }
}

function parseSourceUrl(url: string, sourceId: string | undefined): URL {
  let target: URL
  try {
    target = new URL(url)
  } catch (cause) {
    throw fetchError(`invalid URL "${url}"`, { sourceId }, { cause })
  }
  if (!['http:', 'https:', 'file:'].includes(target.protocol)) {
    throw fetchError(`unsupported URL scheme ${target.protocol}`, { url, sourceId })
  }
  return target
}

/** One hop's outcome: a redirect to follow, or the final answer. */
type Hop = { kind: 'redirect'; to: URL } | Answer

async function fetchHttp(
  start: URL,
  validators: Validators,
  opts: FetchOptions,
  settings: Settings,
  limiter: HostLimiter,
): Promise<Answer> {
  const headers: Record<string, string> = {
    accept: ACCEPT,
    'accept-encoding': ACCEPT_ENCODING,
    'user-agent': settings.userAgent,
    ...opts.headers,
  }
  // RFC 9110 §13.1.2/§13.1.3: validators exactly as the server gave them, weak ETags included.
  if (validators.etag) headers['if-none-match'] = validators.etag
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified

  // The clock starts when the first request may go out, not while queued behind other
  // sources of the same host: a busy host must not turn waiting into timeouts.
  let timeout: AbortSignal | undefined
  const caller = follow(opts.signal)
  const exchangeSignal = () => {
    timeout ??= AbortSignal.timeout(settings.timeoutMs)
    return AbortSignal.any([caller.signal, timeout])
  }

  try {
    let current = start
    const visited = new Set([current.href])
    for (let redirects = 0; ; redirects++) {
      const where: Where = { url: current.href, sourceId: opts.sourceId }
      let hop: Hop
      try {
        hop = await limiter.run(current.host, () => exchange(current, validators, headers, exchangeSignal(), where, settings, opts.maxBodyBytes ?? settings.maxBodyBytes), opts.signal)
      } catch (error) {
        if (error instanceof FetchError) throw error
        if (opts.signal?.aborted) throw fetchError('aborted', where, { cause: error })
        if (timeout?.aborted) throw fetchError(`timed out after ${formatDuration(settings.timeoutMs)}`, where, { cause: error })
        throw fetchError(describeNetworkFailure(error, current.hostname), where, { cause: error })
      }
      if (hop.kind !== 'redirect') return hop

      const tooMany = (why: string) => fetchError(`too many redirects: ${why}`, { url: start.href, sourceId: opts.sourceId })
      if (visited.has(hop.to.href)) throw tooMany(`loop back to ${hop.to.href}`)
      if (redirects >= settings.maxRedirects) throw tooMany(`more than ${settings.maxRedirects}`)
      // A feed server must not make us read local files or speak other protocols.
      if (hop.to.protocol !== 'http:' && hop.to.protocol !== 'https:') {
        throw fetchError(`redirect to unsupported URL scheme ${hop.to.protocol}`, where)
      }
      visited.add(hop.to.href)
      current = hop.to
    }
  } finally {
    caller.stop()
  }
}

/**
 * A per-fetch signal that aborts when `signal` does. On Node 20, AbortSignal.any() keeps every
 * signal it ever made reachable from a long-lived input (nodejs/node#55351), and the caller's
 * signal is typically the process's shutdown signal: it would grow by one entry per request.
 * A listener we remove when the fetch ends leaves nothing behind.
 */
function follow(signal: AbortSignal | undefined): { signal: AbortSignal; stop(): void } {
  const local = new AbortController()
  const abort = () => local.abort(signal?.reason)
  if (signal?.aborted) abort()
  else signal?.addEventListener('abort', abort, { once: true })
  return { signal: local.signal, stop: () => signal?.removeEventListener('abort', abort) }
}

/** One request and, unless it is a redirect, its whole answer: all of it inside one per-host slot. */
async function exchange(
  url: URL,
  validators: Validators,
  headers: Record<string, string>,
  signal: AbortSignal,
  where: Where,
  settings: Settings,
  maxBodyBytes: number,
): Promise<Hop> {
  const response = new ResponseHandler(
    await settings.transport(url, { headers, redirect: 'manual', signal }),
    url,
    where,
  )
  const to = response.redirectTarget()
  if (to) {
    await response.discard()
    return { kind: 'redirect', to }
  }
  const common = { finalUrl: url.href, httpStatus: response.status }
  if (!response.isModified()) {
    await response.discard()
    // RFC 9111 §4.3.4: a 304 updates what it repeats. Last-Modified need not be repeated and
    // many servers drop the ETag too (RFC 9110 §15.4.5 asks for it), so what it omits is still ours.
    return { ...common, kind: 'not-modified', validators: { ...validators, ...response.validators() } }
  }
  if (!response.isSuccess()) {
    await response.discard()
    throw response.statusError(settings.now())
  }
  const body = await response.readBody(maxBodyBytes)
  // miniflux's "empty response body": said here, it is clearer than a parser's "no root element".
  if (body.byteLength === 0) throw fetchError(`HTTP ${response.status} with an empty body`, where, { httpStatus: response.status })
  return {
    ...common,
    kind: 'ok',
    body,
    contentType: response.contentType(),
    validators: response.validators(),
  }
}

/** 30000 → `30 s`, 200 → `200 ms`, 1500 → `1.5 s`: the timeout as configured. */
function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`
}
