/**
 * Date strings as feeds and regional portals really write them, read into a UTC instant.
 *
 * Accepted: RFC 822/1123/2822 and its common violations (no or wrong weekday, 2-digit year,
 * single-digit day, full or lowercase month names, `Feb, 2012`, named and military zones),
 * asctime and JavaScript `Date#toString` forms, ISO 8601 / W3CDTF (with `T` or a space,
 * fractions, truncated forms), and the Chinese regional forms (`2024-09-19 17:11:51`,
 * `2024年9月19日 17:11`, `09-19 17:11`, `5分钟前`, `昨天 12:00`, full-width digits).
 * A string with no zone is read in the source's zone. Anything else gives `undefined`, never an
 * exception or an Invalid Date.
 */
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon'

export interface ParseDateOptions {
  /** IANA zone of the source, used when the string names none. */
  zone: string
  /** The clock: relative forms (`5分钟前`) and year-less forms (`09-19`) count from it. */
  now: Date
}

/** Longer strings are not dates but pages of text; scanning them costs time for nothing. */
export const MAX_DATE_LENGTH = 300

/**
 * A year-less date (`09-19 17:11`) is taken in the current year unless that puts it further
 * ahead than this, in which case it is last year's (a December item read in January).
 */
export const YEARLESS_FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000

/** RFC 2822 §4.3: a 2-digit year below this is 20xx, otherwise 19xx. */
const TWO_DIGIT_YEAR_PIVOT = 50

/** UTC offsets in minutes of zone names seen in feeds. RFC 822 §5.1 names the first group. */
const ZONE_OFFSETS: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  // Unofficial but common in feeds, as feedparser reads them.
  at: -240, ast: -240, adt: -180, et: -300, ct: -360, mt: -420, pt: -480,
  wet: 0, west: 60, bst: 60, cet: 60, cest: 120, met: 60, mest: 120, eet: 120, eest: 180,
  msk: 180, hkt: 480, sgt: 480, awst: 480, jst: 540, kst: 540, aest: 600, aedt: 660, nzst: 720, nzdt: 780,
}

/**
 * Java's `Date#toString()` on a server in China writes `CST` for China Standard Time, so a source
 * whose own zone is UTC+8 means +08:00 by it; anyone else means RFC 822's US Central time.
 */
const CHINA_STANDARD_TIME_MINUTES = 480

/** Month names by language: English (and RFC 822), plus the Greek and Hungarian feedparser meets. */
const MONTHS: Record<string, number> = {}
for (const [names, month] of [
  ['jan january ιαν ιανουάριος január', 1],
  ['feb february φεβ φεβρουάριος február', 2],
  ['mar march μάώ μαώ μάρ μαρ μάρτιος március', 3],
  ['apr april απρ απρίλιος április', 4],
  ['may μάι μαϊ μαι μάιος május', 5],
  ['jun june ιούν ιον ιουν ιούνιος június', 6],
  ['jul july ιούλ ιολ ιουλ ιούλιος július', 7],
  ['aug august αύγ αυγ αύγουστος augusztus', 8],
  ['sep sept september σεπ σεπτέμβριος szeptember', 9],
  ['oct october οκτ οκτώβριος október', 10],
  ['nov november νοέ νοε νοέμβριος', 11],
  ['dec december δεκ δεκέμβριος', 12],
] as const) {
  for (const name of names.split(' ')) MONTHS[name] = month
}

function monthNumber(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token)
  return MONTHS[token.toLowerCase().replace(/\.$/, '')]
}

/** Digits, punctuation and spaces in full width (`２０２４－０９－１９　１７：１１`) fold to ASCII. */
function foldWidth(s: string): string {
  return s.normalize('NFKC')
}

const HAN_OR_HANGUL = /[\p{Script=Han}\p{Script=Hangul}]/u

interface Fields {
  year: number
  month?: number
  day?: number
  ordinal?: number
  hour?: number
  minute?: number
  second?: number
  millisecond?: number
}

interface TimeOfDay {
  hour: number
  minute: number
  second: number
  millisecond: number
}

const TIME = String.raw`(?:(?:上午|下午|오전|오후|am|pm)\s*)?\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[ap]\.?m\.?(?![a-z]))?`

function parseTime(src: string | undefined): TimeOfDay | undefined {
  if (src === undefined) return { hour: 0, minute: 0, second: 0, millisecond: 0 }
  const m = /^(上午|下午|오전|오후|am|pm)?\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([ap])\.?m\.?)?$/iu.exec(src)
  if (!m) return undefined
  let hour = Number(m[2])
  const marker = (m[1] ?? m[6] ?? '').toLowerCase()
  if (marker === 'am' || marker === 'a' || marker === '上午' || marker === '오전') {
    if (hour > 12) return undefined
    if (hour === 12) hour = 0
  } else if (marker !== '') {
    // `下午 3:00` and `下午 15:00` are both written.
    if (hour < 12) hour += 12
  }
  // RFC 5322 §3.3 allows a leap second; an instant one second early is close enough.
  const second = m[4] === '60' ? 59 : Number(m[4] ?? 0)
  const millisecond = m[5] ? Math.floor(Number(`0.${m[5]}`) * 1000) : 0
  return { hour, minute: Number(m[3]), second, millisecond }
}

function expandYear(digits: string): number {
  const year = Number(digits)
  if (digits.length > 2) return year
  return year < TWO_DIGIT_YEAR_PIVOT ? 2000 + year : 1900 + year
}

/**
 * A zone as written (`GMT`, `+0800`, `-01:01`, `GMT+8`, `Etc/GMT`, `PDT`, `Z`, military letters)
 * to a luxon zone; `null` when the text is there but is no zone (the whole date is then rejected).
 */
function parseZone(src: string, sourceZone: Zone, at: number): Zone | null {
  const text = src.trim()
  const lower = text.toLowerCase()
  if (lower === 'cst' && sourceZone.offset(at) === CHINA_STANDARD_TIME_MINUTES) {
    return FixedOffsetZone.instance(CHINA_STANDARD_TIME_MINUTES)
  }
  if (lower in ZONE_OFFSETS) return FixedOffsetZone.instance(ZONE_OFFSETS[lower])
  // RFC 2822 §4.3: military zone letters were defined with the wrong sign in RFC 822, so they
  // carry no information and are read as -0000 (UTC).
  if (/^[a-ik-y]$/.test(lower)) return FixedOffsetZone.utcInstance
  const offset = /^(?:(?:gmt|utc|ut)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(lower)
  if (offset) {
    const hours = Number(offset[2])
    const minutes = Number(offset[3] ?? 0)
    if (hours > 18 || minutes > 59) return null
    const sign = offset[1] === '-' ? -1 : 1
    return FixedOffsetZone.instance(sign * (hours * 60 + minutes))
  }
  if (text.includes('/') && IANAZone.isValidZone(text)) return IANAZone.create(text)
  return null
}

/** A luxon instant as a Date, or `undefined` when it is invalid or beyond what a Date holds. */
function toDate(dt: DateTime): Date | undefined {
  const date = dt.isValid ? dt.toJSDate() : undefined
  return date && !Number.isNaN(date.getTime()) ? date : undefined
}

function build(fields: Fields, zone: Zone): Date | undefined {
  return toDate(DateTime.fromObject(fields, { zone }))
}

/** Fields plus the zone as written (absent: the source's zone). */
interface Reading {
  fields: Fields
  zone?: string
}

/** A form of date string: its pattern, and how a match reads (`undefined`: not a valid date). */
interface Form {
  pattern: RegExp
  read: (m: RegExpExecArray, now: DateTime) => Reading | undefined
}

function withTime(fields: Omit<Fields, 'hour' | 'minute' | 'second' | 'millisecond'>, time: string | undefined, zone: string | undefined): Reading | undefined {
  const t = parseTime(time)
  if (!t) return undefined
  // ISO 8601 puts a zone only on a time: `2013-01-27-01` is no date with offset -01.
  if (zone !== undefined && time === undefined && /^[+-]/.test(zone)) return undefined
  return { fields: { ...fields, ...t }, zone }
}

/** Each form is anchored (the whole string is one date); the first whose pattern matches decides. */
const FORMS: Form[] = [
  // RFC 822 and its violations: `16 Dec 2012 11:47:32 GMT`, `26 January 2004 16:31:00 AT`,
  // `13 Feb, 2012 06:28:00 UTC`, `06-Nov-94 08:49:37 GMT` (RFC 850).
  {
    pattern: new RegExp(String.raw`^(\d{1,2})(?:st|nd|rd|th)?[\s-]+(\p{L}+)\.?,?[\s-]+(\d{4}|\d{2})(?!\d)(?:,?\s+(${TIME}))?(?:\s*(.+))?$`, 'iu'),
    read: (m) => {
      const month = monthNumber(m[2])
      if (month === undefined) return undefined
      return withTime({ year: expandYear(m[3]), month, day: Number(m[1]) }, m[4], m[5])
    },
  },
  // asctime `Jan  4 16:29:06 2004`, Twitter `Jul 15 01:16:00 +0000 2012`,
  // JavaScript `Aug 30 2012 17:26:16 GMT+0200`, US `September 19, 2024 5:11 PM`.
  {
    pattern: new RegExp(String.raw`^(\p{L}+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?(?:,?\s+(${TIME}))?(?:\s+([^\s\d]\S*|[+-]\S+))?(?:\s+(\d{4}))?$`, 'iu'),
    read: (m) => {
      const month = monthNumber(m[1])
      const year = m[3] ?? m[6]
      if (month === undefined || year === undefined || (m[3] && m[6])) return undefined
      return withTime({ year: Number(year), month, day: Number(m[2]) }, m[4], m[5])
    },
  },
  // ISO 8601 / W3CDTF and the regional `2024-09-19 17:11:51`, `2024/9/19 17:11`, perforce
  // `2006/09/15 08:19:53 EDT`, Hungarian `2004-július-13T9:15-05:00`, feedparser's `2003-012-31`.
  {
    pattern: new RegExp(String.raw`^(\d{4})[-/.](\d{1,3}|\p{L}+)[-/.](\d{1,2})(?:(?:T|\s+|T\s+)(${TIME}))?(?:\s*(.+))?$`, 'iu'),
    read: (m) => {
      const month = monthNumber(m[2])
      if (month === undefined) return undefined
      return withTime({ year: Number(m[1]), month, day: Number(m[3]) }, m[4], m[5])
    },
  },
  // ISO 8601 basic format `20240919`, `20240919T171151Z`.
  {
    pattern: /^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i,
    read: (m) => {
      const time = m[4] ? `${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''}` : undefined
      return withTime({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, time, m[7])
    },
  },
  // W3CDTF reduced precision: `2003-12`, `2003`.
  { pattern: /^(\d{4})-(\d{1,2})$/, read: (m) => ({ fields: { year: Number(m[1]), month: Number(m[2]), day: 1 } }) },
  { pattern: /^(\d{4})$/, read: (m) => ({ fields: { year: Number(m[1]), month: 1, day: 1 } }) },
  // ISO 8601 ordinal dates `2003335`, `2003-335`.
  { pattern: /^(\d{4})-?(\d{3})$/, read: (m) => ({ fields: { year: Number(m[1]), ordinal: Number(m[2]) } }) },
  // ISO 8601:1988 truncated forms with a 2-digit year, as feedparser reads them:
  // `031231`, `03-12-31`, `-0312`, `-03-12`, `03335`.
  { pattern: /^(\d{2})(\d{2})(\d{2})$/, read: (m) => ({ fields: { year: expandYear(m[1]), month: Number(m[2]), day: Number(m[3]) } }) },
  { pattern: /^(\d{2})-(\d{2})-(\d{2})$/, read: (m) => ({ fields: { year: expandYear(m[1]), month: Number(m[2]), day: Number(m[3]) } }) },
  { pattern: /^-(\d{2})-?(\d{2})$/, read: (m) => ({ fields: { year: expandYear(m[1]), month: Number(m[2]), day: 1 } }) },
  { pattern: /^(\d{2})-?(\d{3})$/, read: (m) => ({ fields: { year: expandYear(m[1]), ordinal: Number(m[2]) } }) },
  // Regional list pages: `09-19 17:11`, `9/19`, `9月19日` (already folded to `9-19`): no year.
  {
    pattern: new RegExp(String.raw`^(\d{1,2})[-/](\d{1,2})(?:\s+(${TIME}))?$`, 'iu'),
    read: (m, now) => {
      const reading = withTime({ year: now.year, month: Number(m[1]), day: Number(m[2]) }, m[3], undefined)
      if (reading === undefined) return undefined
      const thisYear = DateTime.fromObject(reading.fields, { zone: now.zone })
      if (thisYear.isValid && thisYear.toMillis() - now.toMillis() > YEARLESS_FUTURE_TOLERANCE_MS) {
        return { fields: { ...reading.fields, year: now.year - 1 } }
      }
      return reading
    },
  },
]

const RELATIVE_UNITS: Array<[RegExp, 'seconds' | 'minutes' | 'hours' | 'days' | 'weeks' | 'months' | 'years']> = [
  [/^(?:秒|秒钟|秒鐘|s|secs?|seconds?)$/i, 'seconds'],
  [/^(?:分|分钟|分鐘|mins?|minutes?)$/i, 'minutes'],
  [/^(?:小时|小時|个小时|個小時|h|hrs?|hours?)$/i, 'hours'],
  [/^(?:天|日|days?)$/i, 'days'],
  [/^(?:周|週|星期|个星期|個星期|weeks?)$/i, 'weeks'],
  [/^(?:月|个月|個月|months?)$/i, 'months'],
  [/^(?:年|years?)$/i, 'years'],
]

/** `刚刚`, `5分钟前`, `3小时前`, `2天前`, `5 minutes ago`, `an hour ago`. */
function parseAgo(s: string, now: DateTime): Date | undefined | null {
  if (/^(?:刚刚|剛剛|刚才|剛才|just now|now)$/i.test(s)) return toDate(now)
  const m = /^(\d+|an?|one|半)\s*([\p{L}]+?)\s*(?:之?前|ago)$/iu.exec(s)
  if (!m) return null
  const unit = RELATIVE_UNITS.find(([pattern]) => pattern.test(m[2]))?.[1]
  if (!unit) return undefined
  const amount = m[1] === '半' ? 0.5 : /^\d+$/.test(m[1]) ? Number(m[1]) : 1
  return toDate(now.minus({ [unit]: amount }))
}

const DAY_WORDS: Record<string, number> = { 今天: 0, 今日: 0, today: 0, 昨天: 1, 昨日: 1, yesterday: 1, 前天: 2 }

/** `今天 09:00`, `昨天 12:00`, `前天 08:30`, `yesterday`: a day counted back in the zone. */
const DAY_WORD = new RegExp(String.raw`^(今天|今日|昨天|昨日|前天|today|yesterday)\s*(${TIME})?$`, 'iu')

function parseDayWord(s: string, now: DateTime): Date | undefined | null {
  const m = DAY_WORD.exec(s)
  if (!m) return null
  const time = parseTime(m[2])
  if (!time) return undefined
  const day = now.startOf('day').minus({ days: DAY_WORDS[m[1].toLowerCase()] })
  return toDate(day.set(time))
}

/** Chinese and Korean units to the separators the forms read: `2024年9月19日 17时11分` → `2024-9-19 17:11`. */
function foldCjkUnits(s: string): string {
  return s
    .replace(/[(]?(?:星期|礼拜|禮拜|周|週)[一二三四五六日天][)]?/g, ' ')
    .replace(/[(]?[월화수목금토일]요일[)]?/g, ' ')
    .replace(/(\d)\s*[年년]\s*(?=\d)/g, '$1-')
    .replace(/(\d)\s*[月월]\s*(?=\d)/g, '$1-')
    .replace(/(\d)\s*[日号號일]/g, '$1 ')
    .replace(/(\d)\s*[时時点點]\s*(\d)/g, '$1:$2')
    .replace(/(\d)\s*分\s*(\d)/g, '$1:$2')
    .replace(/(\d)\s*[分秒]/g, '$1')
    .replace(/(上午|下午)/g, ' $1')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * A date inside a longer regional line (`发布时间：2024-09-19 17:11 来源：X`), as page sources'
 * date selectors return it. Only for text with Han or Hangul in it, so a Western string with
 * trailing garbage (`2013-01-28T11:30:00-06:00Textra`) still fails.
 */
const EMBEDDED_DATE = new RegExp(String.raw`(?<![\d.])(\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2})(?:\s*(${TIME}))?(?![\d:])`, 'iu')

function readForms(s: string, now: DateTime, sourceZone: Zone): Date | undefined {
  for (const form of FORMS) {
    const m = form.pattern.exec(s)
    if (!m) continue
    // The first form whose pattern matches decides: a later, looser one must not rescue it.
    const reading = form.read(m, now)
    if (reading === undefined) return undefined
    let zone: Zone | null = sourceZone
    if (reading.zone !== undefined) {
      zone = parseZone(reading.zone, sourceZone, now.toMillis())
      if (zone === null) return undefined
    }
    return build(reading.fields, zone)
  }
  return undefined
}

/** `2024-09-19 17:11:51` (seconds optional), the regional portals' own form, read in the source's zone. */
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/
/** RFC 822 as most feeds write it: `Thu, 19 Sep 2024 17:11:51 +0800` (or GMT, UT, UTC, Z). */
const RFC822_COMMON = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UTC?|Z|[+-]\d{4})$/
const MONTH_INDEX: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 }
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** A zone's offsets, in minutes, by UTC hour: asking Intl costs microseconds, and an hour's offset never changes. */
const zoneOffsets = new Map<string, { format: Intl.DateTimeFormat; byHour: Map<number, number> }>()

const zoneValidity = new Map<string, boolean>()

/** luxon's own check, remembered: it builds an Intl formatter each time it is asked. */
function validZone(zone: string): boolean {
  let valid = zoneValidity.get(zone)
  if (valid === undefined) zoneValidity.set(zone, (valid = IANAZone.isValidZone(zone)))
  return valid
}

function offsetMinutes(zone: string, utcMs: number): number {
  let entry = zoneOffsets.get(zone)
  if (!entry) {
    entry = { format: new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }), byHour: new Map() }
    zoneOffsets.set(zone, entry)
  }
  const hour = Math.floor(utcMs / HOUR_MS)
  let offset = entry.byHour.get(hour)
  if (offset === undefined) {
    const parts: Record<string, number> = {}
    for (const p of entry.format.formatToParts(new Date(hour * HOUR_MS))) if (p.type !== 'literal') parts[p.type] = Number(p.value)
    offset = Math.round((Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - hour * HOUR_MS) / 60_000)
    entry.byHour.set(hour, offset)
  }
  return offset
}

/**
 * The two forms nearly every item is dated in, read without luxon (which costs a hundred
 * microseconds per date). Anything unusual — a field out of range, a wall time within a day of a
 * daylight-saving change — is left to the general reader, so both give the same answer.
 */
function commonForm(s: string, zone: string): Date | undefined {
  const wall = WALL_TIME.exec(s)
  if (wall) {
    const [y, mo, d, h, mi, sec] = [wall[1], wall[2], wall[3], wall[4], wall[5], wall[6] ?? '0'].map(Number)
    const local = Date.UTC(y, mo - 1, d, h, mi, sec)
    if (!validFields(local, y, mo, d, h, mi, sec)) return undefined
    const before = offsetMinutes(zone, local - DAY_MS)
    if (before !== offsetMinutes(zone, local + DAY_MS)) return undefined
    return new Date(local - before * 60_000)
  }
  const rfc = RFC822_COMMON.exec(s)
  if (rfc) {
    const [d, y, h, mi, sec] = [rfc[1], rfc[3], rfc[4], rfc[5], rfc[6]].map(Number)
    const mo = MONTH_INDEX[rfc[2]] + 1
    const local = Date.UTC(y, mo - 1, d, h, mi, sec)
    if (!validFields(local, y, mo, d, h, mi, sec)) return undefined
    const z = rfc[7]
    const offset = /^[+-]/.test(z) ? (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) : 0
    if (Math.abs(offset) >= 24 * 60) return undefined
    return new Date(local - offset * 60_000)
  }
  return undefined
}

/** Whether the fields name a real moment (no 31 June, no 24:00) of a year Date handles plainly. */
function validFields(local: number, y: number, mo: number, d: number, h: number, mi: number, sec: number): boolean {
  if (y < 1900 || h > 23 || mi > 59 || sec > 59) return false
  const date = new Date(local)
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
}

export function parseDate(input: string, opts: ParseDateOptions): Date | undefined {
  if (typeof input !== 'string' || input.length > MAX_DATE_LENGTH) return undefined
  const common = input.length <= 40 && !Number.isNaN(opts.now.getTime()) && validZone(opts.zone) ? commonForm(input.trim(), opts.zone) : undefined
  if (common) return common
  const sourceZone = IANAZone.create(opts.zone)
  if (!sourceZone.isValid || Number.isNaN(opts.now.getTime())) return undefined
  const now = DateTime.fromJSDate(opts.now, { zone: sourceZone })

  let s = foldWidth(input).replace(/\s+/g, ' ').trim()
  // A list page's `[09-19]` or `【2024-09-19】`, and an RFC 822 comment `GMT+0800 (CST)`.
  s = s.replace(/^[[【(「](.*)[\]】)」]$/u, '$1').trim()
  s = s.replace(/(\S)\s*\([^()]*\)$/, '$1')
  if (s === '') return undefined

  const relative = parseAgo(s, now) ?? parseDayWord(s, now)
  if (relative !== null) return relative

  // The weekday is decoration, often wrong: a known name, or any word followed by a comma.
  s = s.replace(/^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?|\p{L}+\.?,)\s*/iu, '')
  const hasCjk = HAN_OR_HANGUL.test(s)
  if (hasCjk) s = foldCjkUnits(s)

  const direct = readForms(s, now, sourceZone)
  if (direct !== undefined || !hasCjk) return direct
  const embedded = EMBEDDED_DATE.exec(s)
  return embedded ? readForms(embedded[0].trim(), now, sourceZone) : undefined
}
