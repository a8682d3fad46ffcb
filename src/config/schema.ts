import { z } from 'zod'
import cron from 'node-cron'
import iconv from 'iconv-lite'
import { IANAZone } from 'luxon'

/**
 * Zod schemas for feeds.config.ts. Every custom message is a predicate (`is not a known IANA time
 * zone`), so `formatIssues` can put the bad value before it and the path before that.
 */

const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i
const CATEGORY_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/i

const cronExpression = z.string().refine((s) => cron.validate(s), {
  message: 'is not a valid cron expression (five or six fields, e.g. "*/15 * * * *")',
})
const timezone = z.string().refine((s) => IANAZone.isValidZone(s), {
  message: 'is not a known IANA time zone (e.g. "Asia/Shanghai")',
})
const encoding = z.string().refine((s) => iconv.encodingExists(s), {
  message: 'is not a charset iconv-lite knows (e.g. "gbk", "gb18030", "big5", "utf-8")',
})
const httpUrl = z.string().refine((s) => /^https?:\/\/[^\s/]+/i.test(s) && URL.canParse(s), {
  message: 'is not an absolute http(s):// URL',
})
const sourceUrl = z.string().refine((s) => (/^(https?|file):\/\//i.test(s) && URL.canParse(s)), {
  message: 'is not an http(s):// or file:// URL',
})
const contentMode = z.enum(['full', 'summary', 'title'])
const words = z.array(z.string().min(1, 'must not be empty'))
/**
 * Retention in days and list lengths in items: any positive whole number (SPEC §9). An archive keeps
 * 36500 days; what the machine can hold is the operator's call, not a bound of ours.
 */
const dayCount = z.number().int().min(1)
const itemCount = z.number().int().min(1)

const pageSchema = z.strictObject({
  item: z.string().min(1),
  title: z.string().min(1),
  link: z.string().min(1),
  date: z.string().min(1).optional(),
  next: z.string().min(1).optional(),
  pages: z.number().int().min(1).max(50).optional(),
  article: z.strictObject({ content: z.string().min(1).optional(), date: z.string().min(1).optional() }).optional(),
})

export const sourceSchema = z.strictObject({
  id: z.string().regex(SOURCE_ID, 'is not an id: 1–64 letters, digits, "-" or "_", starting with a letter or digit'),
  title: z.string().min(1, 'must not be empty'),
  url: sourceUrl,
  categories: z.array(z.string()).min(1, 'must name at least one category'),
  homepage: httpUrl.optional(),
  encoding: encoding.optional(),
  timezone: timezone.optional(),
  schedule: cronExpression.optional(),
  content: contentMode.optional(),
  include: words.optional(),
  exclude: words.optional(),
  maxItems: itemCount.optional(),
  retentionDays: dayCount.optional(),
  page: pageSchema.optional(),
  fullText: z.boolean().optional(),
  ignoreRobots: z.boolean().optional(),
  crawlDelay: z.number().min(0).max(600).optional(),
})

export const configSchema = z.strictObject({
  site: z.strictObject({
    title: z.string().min(1, 'must not be empty'),
    url: httpUrl,
    language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'is not a language tag such as "zh-CN" or "en"').default('zh-CN'),
    description: z.string().optional(),
    websubHub: httpUrl.optional(),
    widget: z.strictObject({ frameAncestors: z.array(z.string().min(1)).optional() }).optional(),
    imageProxy: z.boolean().optional(),
    rateLimit: z
      .strictObject({
        perMinute: z.number().int().min(1).max(1_000_000),
        burst: z.number().int().min(1).max(1_000_000).optional(),
        trustProxy: z.boolean().optional(),
      })
      .optional(),
  }),
  disclaimer: z.strictObject({
    text: z.string().min(1, 'must not be empty: every republished item carries it'),
    contact: z.string().optional(),
  }),
  defaults: z
    .strictObject({
      schedule: cronExpression.default('*/15 * * * *'),
      timezone: timezone.default('Asia/Shanghai'),
      content: contentMode.default('full'),
      maxItemsPerSource: itemCount.default(200),
      retentionDays: dayCount.default(30),
    })
    .prefault({}),
  categories: z
    .record(z.string().regex(CATEGORY_KEY, 'is not a category key: letters, digits, "-" or "_"'), z.strictObject({ title: z.string().min(1), description: z.string().optional() }))
    .refine((c) => Object.keys(c).length > 0, { message: 'define at least one category' }),
  sources: z.array(sourceSchema),
})

type Raw = Record<string, unknown>
const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The rules across fields (unique ids, known categories), checked on the raw input whatever else
 * is wrong with it, so one `check-config` names every problem at once (issue 11 §7) rather than
 * only after the field errors are fixed.
 */
function crossFieldIssues(input: unknown): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = []
  if (!isObject(input)) return issues
  const categories = isObject(input.categories) ? input.categories : undefined
  if (categories && 'all' in categories) issues.push({ path: ['categories', 'all'], message: '"all" is reserved for the feed of every category' })
  if (!Array.isArray(input.sources)) return issues
  const seen = new Map<string, number>()
  input.sources.forEach((source: unknown, index) => {
    if (!isObject(source)) return
    if (typeof source.id === 'string') {
      const first = seen.get(source.id.toLowerCase())
      if (first !== undefined) issues.push({ path: ['sources', index, 'id'], message: `duplicate id "${source.id}" (also sources[${first}])` })
      else seen.set(source.id.toLowerCase(), index)
    }
    if (categories && Array.isArray(source.categories)) {
      source.categories.forEach((category: unknown, c) => {
        if (typeof category === 'string' && !Object.hasOwn(categories, category)) {
          issues.push({ path: ['sources', index, 'categories', c], message: `unknown category "${category}" (known: ${Object.keys(categories).join(', ')})` })
        }
      })
    }
    if (source.fullText === true && source.page !== undefined) {
      issues.push({ path: ['sources', index, 'fullText'], message: 'page sources take article pages from page.article; fullText is for feed sources' })
    }
  })
  return issues
}

export type UserConfig = z.input<typeof configSchema>
export type UserSource = z.input<typeof sourceSchema>

/** `sources[3].url: must be …` — the path style SPEC §1 promises for check-config. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${String(part)}` : String(part)
  }
  return out || '(root)'
}

/** Longest value echoed back in a message: enough to recognise it, never a wall of text. */
const ECHO_LENGTH = 80

/** A value as a message quotes it: `"ful"`, `0`, `true`, or its kind when it is bigger than that. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > ECHO_LENGTH ? `${value.slice(0, ECHO_LENGTH)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return Array.isArray(value) ? 'a list' : `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input
  for (const part of path) value = isObject(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[part] : undefined
  return value
}

/** The schema at `path`, through optional, default and prefault wrappers; undefined past the schema's end. */
function schemaAt(path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  let schema: z.ZodType | undefined = configSchema
  for (const part of [...path, undefined]) {
    while (schema && 'unwrap' in schema && typeof schema.unwrap === 'function' && !(schema instanceof z.ZodArray)) schema = schema.unwrap() as z.ZodType
    if (part === undefined || !schema) break
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(part)]
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType
    else schema = undefined
  }
  return schema
}

/** Edit distance (Levenshtein), for "did you mean": `timezon` → `timezone`. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]
}

/** The known field nearest to a misspelt one: at most two edits, and fewer than half its length. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const scored = known.map((k) => ({ k, d: k.toLowerCase() === name.toLowerCase() ? 0 : distance(name.toLowerCase(), k.toLowerCase()) }))
  const best = scored.filter((c) => c.d <= 2 && c.d < name.length / 2).sort((a, b) => a.d - b.d)[0]
  return best?.k
}

/** One line per problem, each with its path, the value it found and what it wanted (issue 11 §7). */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const value = valueAt(input, issue.path)
  switch (issue.code) {
    case 'unrecognized_keys': {
      const schema = schemaAt(issue.path)
      const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : []
      return issue.keys.map((key) => {
        const near = nearestName(key, known)
        return `${formatPath([...issue.path, key])}: unknown field${near ? ` (did you mean "${near}"?)` : known.length ? ` (known: ${known.join(', ')})` : ''}`
      })
    }
    case 'invalid_type':
      if (value === undefined) return [`${formatPath(issue.path)}: required`]
      if (issue.expected === 'int') return [`${formatPath(issue.path)}: ${shown(value)} is not a whole number`]
      return [`${formatPath(issue.path)}: ${shown(value)} is not ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`]
    case 'invalid_key': {
      const key = issue.path.at(-1)
      return [`${formatPath(issue.path.slice(0, -1))}: key ${shown(key)} ${issue.issues.map((inner) => inner.message).join('; ')}`]
    }
    case 'invalid_value':
      return [`${formatPath(issue.path)}: ${shown(value)} is not one of ${issue.values.map(String).join(', ')}`]
    case 'too_small':
    case 'too_big': {
      // Our own wording where the schema gives one ("must not be empty"); the bound otherwise.
      if (!/^Too (small|big)/.test(issue.message)) return [`${formatPath(issue.path)}: ${issue.message}`]
      const small = issue.code === 'too_small'
      const bound = small ? issue.minimum : issue.maximum
      const what = typeof value === 'string' ? `${bound} characters` : Array.isArray(value) ? `${bound} entries` : String(bound)
      const rule = issue.inclusive === false ? (small ? 'is not more than' : 'is not less than') : small ? 'is below the minimum of' : 'is above the maximum of'
      return [`${formatPath(issue.path)}: ${shown(value)} ${rule} ${what}`]
    }
    default:
      // Refinements and patterns carry predicates of ours: put the value before them.
      return [`${formatPath(issue.path)}: ${value === undefined || /^(must|define|"all")/.test(issue.message) ? '' : `${shown(value)} `}${issue.message}`]
  }
}

/** Every problem of a config: the schema's and the cross-field rules', each once, in the order of the file's fields. */
export function configIssues(input: unknown): string[] {
  const parsed = configSchema.safeParse(input)
  const lines = parsed.success ? [] : parsed.error.issues.flatMap((issue) => describeIssue(issue, input))
  lines.push(...crossFieldIssues(input).map((issue) => `${formatPath(issue.path)}: ${issue.message}`))
  const order = Object.keys(configSchema.shape)
  const rank = (line: string) => {
    const top = order.indexOf(/^[A-Za-z]+/.exec(line)?.[0] ?? '')
    return top < 0 ? order.length : top
  }
  // By top-level field as a config file writes them, then by path: `sources[2]` before `sources[10]`.
  return [...new Set(lines)].sort((a, b) => rank(a) - rank(b) || a.split(':')[0].localeCompare(b.split(':')[0], 'en', { numeric: true }))
}
