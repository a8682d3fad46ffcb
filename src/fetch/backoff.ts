import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, BACKOFF_JITTER, RETRY_AFTER_CAP_MS } from './policy.js'

/**
 * How long to wait before polling a source again after `consecutiveFailures` failures in a row:
 * BACKOFF_BASE_MS doubled per further failure, at most BACKOFF_CAP_MS, spread by ±BACKOFF_JITTER.
 * It never grows without bound and never says "stop": a source that comes back is picked up again.
 * A server's Retry-After (up to RETRY_AFTER_CAP_MS) wins when it asks for longer, and is taken as is.
 * The scheduler stretches the source's own schedule by this; 0 means no failure, no stretch.
 */
export function backoffDelayMs(
  consecutiveFailures: number,
  opts: { retryAfterMs?: number; random?: () => number } = {},
): number {
  const { retryAfterMs, random = Math.random } = opts
  let delay = 0
  if (consecutiveFailures > 0) {
    const nominal = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (consecutiveFailures - 1))
    const jitter = 1 + BACKOFF_JITTER * (2 * random() - 1)
    // The cap stays a ceiling even after jitter, so "at most every 6 h" holds for a dead source.
    delay = Math.min(BACKOFF_CAP_MS, Math.round(nominal * jitter))
  }
  if (retryAfterMs !== undefined && retryAfterMs > delay) delay = Math.min(retryAfterMs, RETRY_AFTER_CAP_MS)
  return delay
}

/**
 * Milliseconds a Retry-After header asks us to wait, counted from `now`; undefined when absent or
 * unreadable. RFC 9110 §10.2.3: either delta-seconds or an HTTP-date; a date in the past means 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = parseHttpDate(text, now)
  if (date === undefined) return undefined
  return Math.max(0, date - now.getTime())
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH = `(?<month>${MONTHS.join('|')})`
const TIME = '(?<hh>\\d{2}):(?<mm>\\d{2}):(?<ss>\\d{2})'

// RFC 9110 §5.6.7: IMF-fixdate is what servers send; recipients must also read the two obsolete
// forms. Not Date.parse: it reads asctime (no zone, but meaning GMT) in local time and accepts
// many strings that are no HTTP-date at all.
const HTTP_DATES = [
  new RegExp(`^[A-Z][a-z]{2}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`), // IMF-fixdate
  new RegExp(`^[A-Z][a-z]+, (?<day>\\d{2})-${MONTH}-(?<year>\\d{2}) ${TIME} GMT$`), // rfc850-date
  new RegExp(`^[A-Z][a-z]{2} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`), // asctime-date
]

/** Epoch milliseconds of an HTTP-date in any of its three forms, or undefined. */
function parseHttpDate(text: string, now: Date): number | undefined {
  for (const pattern of HTTP_DATES) {
    const date = pattern.exec(text)?.groups
    if (!date) continue
    const year = date.year.length === 2 ? twoDigitYear(Number(date.year), now) : Number(date.year)
    const month = MONTHS.indexOf(date.month)
    return Date.UTC(year, month, Number(date.day), Number(date.hh), Number(date.mm), Number(date.ss))
  }
  return undefined
}

/**
 * RFC 9110 §5.6.7: a two-digit year means the year ending so that is at most 50 years ahead
 * (in 1999, `00` is 2000; in 2025, `94` is 1994).
 */
function twoDigitYear(yy: number, now: Date): number {
  const thisYear = now.getUTCFullYear()
  const year = thisYear - (thisYear % 100) + yy
  if (year > thisYear + 50) return year - 100
  if (year <= thisYear - 50) return year + 100
  return year
}
