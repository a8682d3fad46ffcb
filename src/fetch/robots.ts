/**
 * robots.txt (RFC 9309), fetched once per host through the process's Fetcher and kept for a day:
 * page sources and article pages are crawled, so the site's rules apply to them (issue 6).
 */
import { createRequire } from 'node:module'
import { FetchError } from '../errors.js'
import type { Validators } from '../model.js'
import type { Fetcher, FetchOptions } from './index.js'
import { USER_AGENT } from './policy.js'

/** What we use of robots-parser's parsed file. */
interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined
  getMatchingLineNumber(url: string, ua?: string): number
  getCrawlDelay(ua?: string): number | undefined
}

// robots-parser is CommonJS (`module.exports = function`) but its typings declare an ES default
// export, which NodeNext then types as the module object: required, it is the function it is.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (url: string, body: string) => Robot

/** RFC 9309 §2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours. */
export const ROBOTS_CACHE_MS = 24 * 60 * 60 * 1000

/**
 * RFC 9309 §2.3.1.4: an unreachable robots.txt (5xx, network error) means "disallow all", but
 * only for a while: we ask again after this long instead of holding the verdict for a day.
 */
export const ROBOTS_UNREACHABLE_RETRY_MS = 10 * 60 * 1000

/** A Crawl-delay beyond this is a typo or a wish to be left alone; we wait this long at most. */
export const MAX_CRAWL_DELAY_MS = 60 * 1000

/** The product token robots.txt groups are matched against: the first word of our User-Agent. */
export const ROBOTS_AGENT = USER_AGENT.split('/')[0]

export interface RobotsVerdict {
  allowed: boolean
  /** The site's Crawl-delay for us, in milliseconds, capped. */
  crawlDelayMs?: number
  /** Why a URL is disallowed, in words, for the message the operator sees. */
  reason?: string
}

interface Rules {
  /** `undefined` when robots.txt was unreachable: everything is disallowed until `expires`. */
  robot?: Robot
  unreachable?: string
  expires: number
  validators: Validators
  body?: string
}

export interface RobotsOptions {
  now?: () => Date
}

/** robots.txt rules per origin (`http://host:port`), fetched lazily and revalidated with conditional GET. */
export class RobotsTxt {
  private readonly rules = new Map<string, Promise<Rules>>()
  private readonly now: () => Date

  constructor(
    private readonly fetcher: Fetcher,
    options: RobotsOptions = {},
  ) {
    this.now = options.now ?? (() => new Date())
  }

  /**
   * May we fetch `url`? `file://` URLs have no robots.txt and are always allowed. `trustedHost`
   * as in FetchOptions: robots.txt of a host a page linked to is fetched under the same SSRF rules.
   */
  async check(url: string, sourceId?: string, trustedHost?: string): Promise<RobotsVerdict> {
    const target = new URL(url)
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return { allowed: true }
    const rules = await this.rulesFor(target.origin, { sourceId, trustedHost })
    if (!rules.robot) return { allowed: false, reason: `robots.txt of ${target.host} is unreachable (${rules.unreachable}), so nothing may be fetched (RFC 9309 §2.3.1.4)` }
    const delay = rules.robot.getCrawlDelay(ROBOTS_AGENT)
    const crawlDelayMs = delay !== undefined && Number.isFinite(delay) && delay > 0 ? Math.min(delay * 1000, MAX_CRAWL_DELAY_MS) : undefined
    // robots-parser answers `undefined` for a URL of another origin; ours never is.
    const allowed = rules.robot.isAllowed(target.href, ROBOTS_AGENT) !== false
    const line = allowed ? 0 : rules.robot.getMatchingLineNumber(target.href, ROBOTS_AGENT)
    return {
      allowed,
      ...(crawlDelayMs !== undefined && { crawlDelayMs }),
      ...(!allowed && { reason: `robots.txt of ${target.host} disallows ${target.pathname}${target.search}${line > 0 ? ` (line ${line})` : ''}` }),
    }
  }

  private rulesFor(origin: string, opts: FetchOptions): Promise<Rules> {
    const cached = this.rules.get(origin)
    const nowMs = this.now().getTime()
    if (cached) {
      return cached.then((rules) => {
        if (rules.expires > nowMs) return rules
        if (this.rules.get(origin) !== cached) return this.rulesFor(origin, opts)
        const next = this.load(origin, rules, opts)
        this.rules.set(origin, next)
        return next
      })
    }
    const next = this.load(origin, undefined, opts)
    this.rules.set(origin, next)
    return next
  }

  private async load(origin: string, previous: Rules | undefined, opts: FetchOptions): Promise<Rules> {
    const url = `${origin}/robots.txt`
    const nowMs = this.now().getTime()
    try {
      const fetched = await this.fetcher.fetch(url, previous?.body !== undefined ? previous.validators : {}, opts)
      if (fetched.kind === 'not-modified' && previous?.body !== undefined) {
        return { ...previous, expires: nowMs + ROBOTS_CACHE_MS, validators: fetched.validators }
      }
      if (fetched.kind === 'ok') {
        // RFC 9309 §2.3: robots.txt is UTF-8; a portal's HTML "not found" page parses as no rules.
        const body = new TextDecoder('utf-8').decode(fetched.body)
        return { robot: robotsParser(url, body), body, expires: nowMs + ROBOTS_CACHE_MS, validators: fetched.validators }
      }
      return { robot: robotsParser(url, ''), expires: nowMs + ROBOTS_CACHE_MS, validators: {} }
    } catch (error) {
      // RFC 9309 §2.3.1.3: 4xx ("unavailable") means no rules at all.
      if (error instanceof FetchError && error.httpStatus !== undefined && error.httpStatus >= 400 && error.httpStatus < 500) {
        return { robot: robotsParser(url, ''), expires: nowMs + ROBOTS_CACHE_MS, validators: {} }
      }
      const why = error instanceof FetchError && error.httpStatus !== undefined ? `HTTP ${error.httpStatus}` : error instanceof Error ? error.message : String(error)
      return { unreachable: why, expires: nowMs + ROBOTS_UNREACHABLE_RETRY_MS, validators: {} }
    }
  }
}

/** A fetch we did not make because robots.txt forbids it: a source error for a list page, a warning for an article. */
export class RobotsDisallowedError extends FetchError {
  constructor(verdict: RobotsVerdict, url: string, sourceId: string | undefined) {
    super(`fetch: ${verdict.reason ?? 'robots.txt disallows it'} (${url}${sourceId ? `, source ${sourceId}` : ''}); set ignoreRobots: true on the source to fetch it anyway`)
  }
}
