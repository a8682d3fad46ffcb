/**
 * fetch/: one source URL in, bytes and validators out (DESIGN.md). Conditional GET, a timeout over
 * the whole exchange, a body cap counted while streaming, manually followed redirects, a per-host
 * concurrency cap, and every failure as a FetchError that says what happened in words.
 */
import { Agent, fetch as undiciFetch } from 'undici'
import { FetchError } from '../errors.js'
import type { FetchResult, Validators } from '../model.js'
import { forbiddenReason, pinnedLookup, resolveHost, systemResolver, type ResolvedAddress, type Resolver } from './address.js'
import { fetchFile, type Answer } from './file.js'
import { describeNetworkFailure, fetchError, type Where } from './failure.js'
import { HostLimiter, type CrawlQueue, type HostSlots } from './host-limiter.js'
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
export type { CrawlQueue, HostSlots } from './host-limiter.js'
export type { ResolvedAddress, Resolver } from './address.js'

export interface FetcherOptions {
  /**
   * The transport (ofetch `createFetch({ fetch })` style); defaults to undici's fetch, which
   * also takes the per-hop `dispatcher` that connects to the addresses the SSRF check approved.
   */
  fetch?: typeof globalThis.fetch
  /** Resolves hostnames for the SSRF check (tests inject one); defaults to the system resolver. */
  lookup?: Resolver
  /** The per-host cap; defaults to this process's own (HostLimiter), Redis-backed for a deployment. */
  hostSlots?: HostSlots
  /** The crawl queue page sources use, when it must hold across processes (fetch/redis-hosts). */
  crawlQueue?: CrawlQueue
  /** Stops every fetch of this Fetcher, in flight or waiting: the process's shutdown. */
  signal?: AbortSignal
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
   * The one hostname this fetch may reach on a loopback, private or link-local address: the
   * source's own configured host (an operator may aggregate intranet feeds). Defaults to the
   * requested URL's hostname, so it must be given whenever the URL came from someone else's
   * page (article links, further list pages, images). `file:` URLs count as host "".
   */
  trustedHost?: string
}

export interface Fetcher {
  fetch(url: string, validators: Validators, opts?: FetchOptions): Promise<FetchResult>
  /** A deployment-wide crawl queue for page sources, when this Fetcher was built with one. */
  readonly crawlQueue?: CrawlQueue
}

/** FetcherOptions with every default filled in. */
interface Settings {
  transport: typeof globalThis.fetch
  timeoutMs: number
  maxBodyBytes: number
  maxRedirects: number
  userAgent: string
  now: () => Date
  resolver: Resolver
  stop?: AbortSignal
}

/** One Fetcher per process: its per-host cap counts the requests of every source it serves. */
export function createFetcher(options: FetcherOptions = {}): Fetcher {
  const settings: Settings = {
    transport: options.fetch ?? (undiciFetch as unknown as typeof globalThis.fetch),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxRedirects: options.maxRedirects ?? MAX_REDIRECTS,
    userAgent: options.userAgent ?? USER_AGENT,
    now: options.now ?? (() => new Date()),
    resolver: options.lookup ?? systemResolver,
    stop: options.signal,
  }
  const limiter = options.hostSlots ?? new HostLimiter(options.perHostConcurrency ?? PER_HOST_CONCURRENCY)

  return {
    crawlQueue: options.crawlQueue,
    async fetch(url, validators, opts = {}) {
      const started = performance.now()
      const target = parseSourceUrl(url, opts.sourceId)
      const network = { ms: 0 }
      let answer: Answer
      if (target.protocol === 'file:') {
        // A local file is the operator's own source, never a link someone else's page gave us.
        if ((opts.trustedHost ?? '') !== '') throw fetchError(`${target.href} refused: a local file, and the source is on ${opts.trustedHost}`, { sourceId: opts.sourceId })
        answer = await fetchFile(target, validators, opts.maxBodyBytes ?? settings.maxBodyBytes, opts.sourceId)
        network.ms = performance.now() - started
      } else answer = await fetchHttp(target, validators, opts, settings, limiter, network)
      return { ...answer, url, elapsedMs: Math.round(network.ms) }
    },
  }
}

/**
 * Where a hop may connect: nowhere (a FetchError naming the reason) when its host resolves to an
 * address of RANGES and is not the trusted host; otherwise the addresses to pin the connection
 * to, or undefined for the trusted host (resolved by the transport as usual).
 */
async function approvedAddresses(url: URL, trustedHost: string, redirected: boolean, settings: Settings, where: Where): Promise<ResolvedAddress[] | undefined> {
  if (url.hostname === trustedHost) return undefined
  let addresses: ResolvedAddress[]
  try {
    addresses = await resolveHost(url.hostname, settings.resolver)
  } catch (error) {
    throw fetchError(describeNetworkFailure(error, url.hostname), where, { cause: error })
  }
  if (addresses.length === 0) throw fetchError(`cannot resolve host ${url.hostname}`, where)
  for (const { address } of addresses) {
    const reason = forbiddenReason(address)
    if (!reason) continue
    const shown = address === url.hostname.replace(/^\[|\]$/g, '') ? '' : ` ${address}`
    throw fetchError(`${redirected ? 'redirect to ' : ''}${url.href} refused: ${reason}${shown}`, { sourceId: where.sourceId })
  }
  return addresses
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
  limiter: HostSlots,
  /** Time spent inside per-host slots, the exchanges themselves, summed over hops. */
  network: { ms: number },
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
  const caller = follow([opts.signal, settings.stop])
  const exchangeSignal = () => {
    timeout ??= AbortSignal.timeout(settings.timeoutMs)
    return AbortSignal.any([caller.signal, timeout])
  }

  const trustedHost = opts.trustedHost ?? start.hostname
  try {
    let current = start
    const visited = new Set([current.href])
    for (let redirects = 0; ; redirects++) {
      const where: Where = { url: current.href, sourceId: opts.sourceId }
      const pinned = await approvedAddresses(current, trustedHost, redirects > 0, settings, where)
      let hop: Hop
      try {
        hop = await limiter.run(
          current.host,
          async () => {
            const from = performance.now()
            try {
              return await exchange(current, validators, headers, exchangeSignal(), where, settings, pinned, opts.maxBodyBytes ?? settings.maxBodyBytes)
            } finally {
              network.ms += performance.now() - from
            }
          },
          caller.signal,
        )
      } catch (error) {
        if (error instanceof FetchError) throw error
        if (caller.signal.aborted) throw fetchError('aborted', where, { cause: error })
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
 * A per-fetch signal that aborts when any of `signals` does (the poll's, the process's). On
 * Node 20, AbortSignal.any() keeps every signal it ever made reachable from a long-lived input
 * (nodejs/node#55351), and these are long-lived: each would grow by one entry per request.
 * Listeners we remove when the fetch ends leave nothing behind.
 */
function follow(signals: Array<AbortSignal | undefined>): { signal: AbortSignal; stop(): void } {
  const local = new AbortController()
  const given = signals.filter((s): s is AbortSignal => s !== undefined)
  const abort = (event?: Event) => local.abort((event?.target as AbortSignal | undefined)?.reason)
  const aborted = given.find((s) => s.aborted)
  if (aborted) local.abort(aborted.reason)
  else for (const s of given) s.addEventListener('abort', abort, { once: true })
  return { signal: local.signal, stop: () => given.forEach((s) => s.removeEventListener('abort', abort)) }
}

/**
 * One request and, unless it is a redirect, its whole answer: all of it inside one per-host slot.
 * With `pinned` addresses the connection goes to them and nowhere else, through an agent of its
 * own (closed with the exchange), so a second DNS answer cannot differ from the one checked.
 */
async function exchange(
  url: URL,
  validators: Validators,
  headers: Record<string, string>,
  signal: AbortSignal,
  where: Where,
  settings: Settings,
  pinned: ResolvedAddress[] | undefined,
  maxBodyBytes: number,
): Promise<Hop> {
  const dispatcher = pinned && new Agent({ connect: { lookup: pinnedLookup(pinned) } })
  try {
    const init = { headers, redirect: 'manual', signal, ...(dispatcher && { dispatcher }) } as RequestInit
    const response = new ResponseHandler(await settings.transport(url, init), url, where)
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
  } finally {
    void dispatcher?.destroy().catch(() => undefined)
  }
}

/** 30000 → `30 s`, 200 → `200 ms`, 1500 → `1.5 s`: the timeout as configured. */
function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`
}
