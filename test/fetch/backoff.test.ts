import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelayMs, parseRetryAfter } from '../../src/fetch/backoff.js'
import { BACKOFF_CAP_MS, RETRY_AFTER_CAP_MS } from '../../src/fetch/policy.js'

const S = 1000
const MIN = 60 * S
const H = 60 * MIN

describe('backoffDelayMs', () => {
  const middle = () => 0.5 // no jitter
  const low = () => 0 // -10 %
  const high = () => 1 // +10 %

  it.each([
    ['no failure, no backoff', 0, middle, undefined, 0],
    ['first failure: the base', 1, middle, undefined, 1 * MIN],
    ['doubles: 2nd', 2, middle, undefined, 2 * MIN],
    ['doubles: 3rd', 3, middle, undefined, 4 * MIN],
    ['doubles: 5th', 5, middle, undefined, 16 * MIN],
    ['9th: 256 min, still under the cap', 9, middle, undefined, 256 * MIN],
    ['10th: 512 min is capped at 6 h', 10, middle, undefined, 6 * H],
    ['50th: still 6 h, never given up', 50, middle, undefined, 6 * H],
    ['10000th: 2^9999 overflows to Infinity, still 6 h', 10_000, middle, undefined, 6 * H],
    ['jitter -10 %', 1, low, undefined, 54 * S],
    ['jitter +10 %', 1, high, undefined, 66 * S],
    ['jitter -10 % at 3rd', 3, low, undefined, 216 * S],
    ['jitter below the cap', 20, low, undefined, 5.4 * H],
    ['jitter never lifts past the cap', 20, high, undefined, 6 * H],
    ['Retry-After longer than backoff wins, taken exactly', 1, low, 2 * MIN, 2 * MIN],
    ['Retry-After shorter than backoff loses', 5, middle, 1 * MIN, 16 * MIN],
    ['Retry-After beyond the backoff cap still wins', 10, middle, 12 * H, 12 * H],
    ['Retry-After capped at 24 h', 1, middle, 48 * H, 24 * H],
    ['Retry-After with no failure counted', 0, middle, 30 * S, 30 * S],
  ])('%s', (_name, failures, random, retryAfterMs, expected) => {
    expect(backoffDelayMs(failures, { retryAfterMs, random })).toBe(expected)
  })

  it('grows with each failure, stays within ±10 % of the doubling and under the caps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const random = () => r
        const delay = backoffDelayMs(n, { random })
        const nominal = Math.min(BACKOFF_CAP_MS, MIN * 2 ** (n - 1))
        expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal * 0.9))
        expect(delay).toBeLessThanOrEqual(Math.min(BACKOFF_CAP_MS, Math.ceil(nominal * 1.1)))
        expect(backoffDelayMs(n + 1, { random })).toBeGreaterThanOrEqual(delay)
      }),
    )
  })

  it('never exceeds the Retry-After cap whatever the server asks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.nat(), (n, retryAfterMs) => {
        expect(backoffDelayMs(n, { retryAfterMs })).toBeLessThanOrEqual(Math.max(BACKOFF_CAP_MS, RETRY_AFTER_CAP_MS))
      }),
    )
  })
})

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  // Two minutes before the RFC's own example date.
  const now = new Date('1999-12-31T23:57:59Z')

  it.each([
    ['delta-seconds (RFC example)', '120', 120 * S],
    ['delta-seconds with spaces', ' 120 ', 120 * S],
    ['zero seconds', '0', 0],
    ['IMF-fixdate (RFC example)', 'Fri, 31 Dec 1999 23:59:59 GMT', 120 * S],
    ['obsolete RFC 850 date', 'Friday, 31-Dec-99 23:59:59 GMT', 120 * S],
    ['RFC 850 two-digit year 00 is 2000, not 1900', 'Saturday, 01-Jan-00 00:00:01 GMT', 122 * S],
    ['obsolete asctime date, read as GMT', 'Fri Dec 31 23:59:59 1999', 120 * S],
    ['asctime with a space-padded day', 'Sat Jan  1 00:00:01 2000', 122 * S],
    ['a date in the past is no wait', 'Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['absent (null)', null, undefined],
    ['absent (undefined)', undefined, undefined],
    ['empty', '', undefined],
    ['words', 'soon', undefined],
    ['negative seconds', '-1', undefined],
    ['fractional seconds', '1.5', undefined],
    ['numeric zone is no HTTP-date', 'Fri, 31 Dec 1999 23:59:59 +0000', undefined],
    ['IMF-fixdate without GMT', 'Fri, 31 Dec 1999 23:59:59', undefined],
    ['ISO 8601 is no HTTP-date', '1999-12-31T23:59:59Z', undefined],
  ])('%s: %j', (_name, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it('reads a two-digit year as at most 50 years ahead', () => {
    const in2025 = new Date('2025-06-01T00:00:00Z')
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', in2025)).toBe(0) // 1994, in the past
    expect(parseRetryAfter('Friday, 01-Jun-74 00:00:00 GMT', in2025)).toBe(Date.UTC(2074, 5, 1) - in2025.getTime())
  })
})
