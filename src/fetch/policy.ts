/**
 * Every number and set that decides how politely and how long we fetch, in one place
 * (STYLE.md rule 7). createFetcher() and backoffDelayMs() read these; options override the first five.
 */

const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS
const HOUR_MS = 60 * MINUTE_MS

/** Whole exchange, redirects and body included: a feed that takes longer is broken, not slow. */
export const DEFAULT_TIMEOUT_MS = 30 * SECOND_MS

/** Far above any real feed (big podcast feeds reach a few MiB); stops a misconfigured URL that points at a video. */
export const DEFAULT_MAX_BODY_BYTES = 15 * 1024 * 1024

/** Real feeds move once or twice (http → https, old path → new); a longer chain is a misconfiguration or a trap. */
export const MAX_REDIRECTS = 5

/**
 * Regional portals publish dozens of channel feeds on one host; polling them all at once
 * looks like an attack and gets us blocked, so at most this many requests per host are in flight.
 */
export const PER_HOST_CONCURRENCY = 2

/** Names us and where to complain, so operators can tell us apart from scrapers (RFC 9110 §10.1.5). */
export const USER_AGENT = 'feedloom/0.1 (+https://github.com/feedloom/feedloom)'

/** Feeds first; generic XML next because many servers label RSS as text/xml; anything else last for HTML list pages. */
export const ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8'

/** fetch decompresses these itself; feeds compress 5–10×, which matters at many sources per minute. */
export const ACCEPT_ENCODING = 'gzip, deflate, br'

/** Statuses whose Retry-After we honour: the server is telling us when it will want us back. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([
  429, // Too Many Requests: we polled too often (RFC 6585 §4)
  503, // Service Unavailable: down for maintenance or overloaded (RFC 9110 §15.6.4)
])

/** First wait after a failure; one missed poll of a typical 15-minute schedule is gentle enough. */
export const BACKOFF_BASE_MS = MINUTE_MS

/** Longest backoff: a dead source is still tried four times a day, so it comes back on its own (never given up for good). */
export const BACKOFF_CAP_MS = 6 * HOUR_MS

/** ±10 %: spreads sources that failed together (one host down) so they do not all retry in the same second. */
export const BACKOFF_JITTER = 0.1

/** A Retry-After beyond a day is a misconfigured server, not a plan; we check back daily. */
export const RETRY_AFTER_CAP_MS = 24 * HOUR_MS
