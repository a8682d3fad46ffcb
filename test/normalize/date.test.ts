import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDate, YEARLESS_FUTURE_TOLERANCE_MS } from '../../src/normalize/date.js'
import { DateTime } from 'luxon'

interface DateRow {
  parser: string
  input: string
  expected_utc_iso: string | null
}

/** feedparser's date table (tests/test_date_parsers.py), BSD-2, see fixtures/normalize/feedparser/LICENSE. */
const rows: DateRow[] = JSON.parse(
  readFileSync(new URL('../fixtures/normalize/feedparser/dates.json', import.meta.url), 'utf8'),
)

/**
 * Rows of dates.json we knowingly answer differently, with the reason. Each row is a test of one
 * feedparser sub-parser; one string parser for every form cannot agree with all of them.
 */
const EXCEPTIONS: Record<string, { ours: string | null; why: string }> = {
  '22013': {
    ours: '2022-01-13T00:00:00Z',
    why:
      'feedparser expects null from its W3CDTF parser only; its ISO 8601 parser reads `YYDDD` ' +
      'ordinals, and the table also asks for `03335` → 2003-12-01, which is the same form. ' +
      'No rule tells the two apart, so `22013` is day 13 of 2022 here.',
  },
}

/** feedparser assumes UTC for zone-less strings, except that its Korean parsers assume KST. */
function zoneFor(row: DateRow): string {
  return row.parser === '_parse_date_nate' || row.parser === '_parse_date_onblog' ? 'Asia/Seoul' : 'UTC'
}

/** feedparser's answers have no fraction, and write year 99 as `99-…`. */
function normalizeIso(iso: string): string {
  const [date, time] = iso.split('T')
  const [year, ...rest] = date.split('-')
  return `${year.padStart(4, '0')}-${rest.join('-')}T${time}`
}

function toIsoSeconds(d: Date | undefined): string | null {
  if (d === undefined) return null
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

const NOW = new Date('2024-09-20T04:00:00Z') // 12:00 in Shanghai

describe('parseDate: feedparser dates.json', () => {
  it.each(rows.map((r) => [`${r.parser} ${JSON.stringify(r.input)}`, r] as const))('%s', (_name, row) => {
    const got = toIsoSeconds(parseDate(row.input, { zone: zoneFor(row), now: NOW }))
    const exception = EXCEPTIONS[row.input]
    if (exception) {
      expect(got).toBe(exception.ours)
      return
    }
    expect(got).toBe(row.expected_utc_iso === null ? null : normalizeIso(row.expected_utc_iso))
  })

  it('reproduces all but the listed exceptions', () => {
    const reproduced = rows.filter((row) => {
      const got = toIsoSeconds(parseDate(row.input, { zone: zoneFor(row), now: NOW }))
      return got === (row.expected_utc_iso === null ? null : normalizeIso(row.expected_utc_iso))
    })
    expect(rows.length - reproduced.length).toBe(Object.keys(EXCEPTIONS).length)
  })
})

/** Regional and common forms, read by a source in Asia/Shanghai at NOW (2024-09-20 12:00 +08:00). */
const regional: Array<[input: string, expected: string | null, zone?: string]> = [
  // The SPEC's own example: no zone means the source's zone.
  ['2024-09-19 17:11:51', '2024-09-19T09:11:51Z'],
  ['2024-09-19 17:11:51', '2024-09-19T17:11:51Z', 'UTC'],
  ['2024-09-19 17:11:51', '2024-09-19T21:11:51Z', 'America/New_York'],
  ['2024-09-19T17:11:51', '2024-09-19T09:11:51Z'],
  ['2024-09-19T17:11:51.250+08:00', '2024-09-19T09:11:51Z'],
  ['2024-09-19T09:11:51Z', '2024-09-19T09:11:51Z'],
  ['2024-09-19 17:11', '2024-09-19T09:11:00Z'],
  ['2024/9/19 17:11', '2024-09-19T09:11:00Z'],
  ['2024/09/19', '2024-09-18T16:00:00Z'],
  ['2024.09.19 17:11', '2024-09-19T09:11:00Z'],
  ['2024年9月19日 17:11', '2024-09-19T09:11:00Z'],
  ['2024年09月19日', '2024-09-18T16:00:00Z'],
  ['2024年9月19日 星期四 17:11', '2024-09-19T09:11:00Z'],
  ['2024年9月19日17时11分', '2024-09-19T09:11:00Z'],
  ['2024年9月19日 下午5:11', '2024-09-19T09:11:00Z'],
  ['2024-9-19下午3:05', '2024-09-19T07:05:00Z'],
  ['２０２４－０９－１９　１７：１１', '2024-09-19T09:11:00Z'],
  ['２０２４年９月１９日　１７：１１：５１', '2024-09-19T09:11:51Z'],
  ['20240919', '2024-09-18T16:00:00Z'],
  // Year-less list-page dates: this year, unless that is more than a day ahead.
  ['09-19 17:11', '2024-09-19T09:11:00Z'],
  ['[09-19]', '2024-09-18T16:00:00Z'],
  ['【09-19】', '2024-09-18T16:00:00Z'],
  ['9月19日 17:11', '2024-09-19T09:11:00Z'],
  ['09-21', '2024-09-20T16:00:00Z'], // tomorrow: within the tolerance, still this year
  ['12-30 08:00', '2023-12-30T00:00:00Z'], // months ahead: last year's
  // Relative forms, counted back from NOW in the zone.
  ['刚刚', '2024-09-20T04:00:00Z'],
  ['5分钟前', '2024-09-20T03:55:00Z'],
  ['3小时前', '2024-09-20T01:00:00Z'],
  ['3 小時前', '2024-09-20T01:00:00Z'],
  ['2天前', '2024-09-18T04:00:00Z'],
  ['5 minutes ago', '2024-09-20T03:55:00Z'],
  ['an hour ago', '2024-09-20T03:00:00Z'],
  ['半小时前', '2024-09-20T03:30:00Z'],
  ['今天 09:00', '2024-09-20T01:00:00Z'],
  ['昨天 12:00', '2024-09-19T04:00:00Z'],
  ['前天 08:30', '2024-09-18T00:30:00Z'],
  // RFC 822 and its violations.
  ['Thu, 19 Sep 2024 17:11:51 +0800', '2024-09-19T09:11:51Z'],
  ['19 Sep 2024 17:11:51 +08:00', '2024-09-19T09:11:51Z'],
  ['Mon, 19 Sep 2024 17:11:51 GMT', '2024-09-19T17:11:51Z'], // wrong weekday
  ['thu, 5 sep 24 09:00:00 gmt', '2024-09-05T09:00:00Z'],
  ['Thu, 19 Sep 2024 17:11:51 EST', '2024-09-19T22:11:51Z'],
  ['Thu, 19 Sep 2024 17:11:51 PDT', '2024-09-20T00:11:51Z'],
  ['Thu, 19 Sep 2024 17:11:51 UT', '2024-09-19T17:11:51Z'],
  ['Thu, 19 Sep 2024 17:11:51 Z', '2024-09-19T17:11:51Z'],
  ['Thu, 19 Sep 2024 17:11:51 N', '2024-09-19T17:11:51Z'], // military: RFC 2822 §4.3 reads as -0000
  ['Thu, 19 Sep 2024 17:11:51', '2024-09-19T09:11:51Z'], // no zone: the source's
  ['Thu, 19 Sep 2024 17:11:51 CST', '2024-09-19T09:11:51Z'], // China Standard Time for a UTC+8 source
  ['Thu, 19 Sep 2024 17:11:51 CST', '2024-09-19T23:11:51Z', 'UTC'], // RFC 822 US Central otherwise
  ['Thu Sep 19 17:11:51 CST 2024', '2024-09-19T09:11:51Z'], // Java Date#toString on a Chinese server
  ['Thu Sep 19 2024 17:11:51 GMT+0800 (China Standard Time)', '2024-09-19T09:11:51Z'],
  ['September 19, 2024 5:11 PM', '2024-09-19T09:11:00Z'],
  // Not dates.
  ['', null],
  ['   ', null],
  ['昨天下午', null],
  ['2024-13-01', null],
  ['2024-02-30 10:00', null],
  ['09-19 25:00', null],
  ['not a date', null],
  ['Invalid Date', null],
  ['2024-09-19 17:11:51 +25:00', null],
  ['x'.repeat(1000), null],
  ['99999999999999天前', null], // beyond what a Date holds
]

describe('parseDate: regional and common forms', () => {
  it.each(regional)('%j → %s', (input, expected, zone = 'Asia/Shanghai') => {
    expect(toIsoSeconds(parseDate(input, { zone, now: NOW }))).toBe(expected)
  })

  it('finds a date inside a regional info line', () => {
    const got = parseDate('发布时间：2024-09-19 17:11 来源：安康日报', { zone: 'Asia/Shanghai', now: NOW })
    expect(toIsoSeconds(got)).toBe('2024-09-19T09:11:00Z')
  })

  it('reads the first line of the regional sample article', () => {
    const line = readFileSync(new URL('../fixtures/normalize/regional/sample-article.txt', import.meta.url), 'utf8').split('\n')[0]
    expect(toIsoSeconds(parseDate(line, { zone: 'Asia/Shanghai', now: NOW }))).toBe('2024-09-19T09:11:51Z')
  })

  it('takes a year-less date in January as last December', () => {
    const january = new Date('2025-01-03T02:00:00Z')
    expect(toIsoSeconds(parseDate('12-31 22:00', { zone: 'Asia/Shanghai', now: january }))).toBe('2024-12-31T14:00:00Z')
    const withinTolerance = new Date(january.getTime() + YEARLESS_FUTURE_TOLERANCE_MS / 2)
    expect(toIsoSeconds(parseDate('01-03 20:00', { zone: 'Asia/Shanghai', now: withinTolerance }))).toBe('2025-01-03T12:00:00Z')
  })

  it('gives undefined, never an exception, for a bad zone or clock', () => {
    expect(parseDate('2024-09-19 17:11:51', { zone: 'Mars/Olympus', now: NOW })).toBeUndefined()
    expect(parseDate('2024-09-19 17:11:51', { zone: 'UTC', now: new Date(Number.NaN) })).toBeUndefined()
  })

  it('never throws and never returns an Invalid Date', () => {
    const pieces = fc.constantFrom('2024', '09', '19', '-', '/', ':', ' ', 'T', 'Z', '+08:00', '年', '月', '日', '前', '天', '分钟', 'Sep', 'Thu,', 'GMT', '下午', '昨天', '99', '0', 'ago', '(', ')', '［', '２')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 12 }).map((p) => p.join(''))), (input) => {
        const got = parseDate(input, { zone: 'Asia/Shanghai', now: NOW })
        if (got !== undefined) expect(Number.isNaN(got.getTime())).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('the common forms, read without luxon', () => {
  const zones = ['Asia/Shanghai', 'Asia/Hong_Kong', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'UTC']
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  it('agree with luxon for every wall time and zone, daylight-saving changes included', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2037-12-31T00:00:00Z'), noInvalidDate: true }), fc.constantFrom(...zones), fc.boolean(), (d, zone, seconds) => {
        const [y, mo, day, h, mi, s] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), seconds ? d.getUTCSeconds() : 0]
        const text = `${y}-${pad(mo)}-${pad(day)} ${pad(h)}:${pad(mi)}${seconds ? `:${pad(s)}` : ''}`
        const expected = DateTime.fromObject({ year: y, month: mo, day, hour: h, minute: mi, second: s }, { zone }).toJSDate()
        expect(parseDate(text, { zone, now: new Date('2040-01-01T00:00:00Z') })?.toISOString()).toBe(expected.toISOString())
      }),
      { numRuns: 2000 },
    )
  })
  it('agree with the RFC 822 reading of Date for every instant and offset', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
    fc.assert(
      fc.property(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2037-12-31T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: -12 * 60, max: 14 * 60 }), (d, offset) => {
        const local = new Date(Math.floor(d.getTime() / 1000) * 1000 + offset * 60_000)
        const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`
        const text = `${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${zone}`
        expect(parseDate(text, { zone: 'Asia/Shanghai', now: new Date('2040-01-01T00:00:00Z') })?.getTime()).toBe(Math.floor(d.getTime() / 1000) * 1000)
      }),
      { numRuns: 2000 },
    )
  })
})
