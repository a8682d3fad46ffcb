import { z } from 'zod'
import cron from 'node-cron'
import iconv from 'iconv-lite'
import { IANAZone } from 'luxon'

/** Zod schemas for feeds.config.ts; every message names the rule, the path is added by `formatIssues`. */

const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i
const CATEGORY_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/i

const cronExpression = z.string().refine((s) => cron.validate(s), {
  message: 'not a valid cron expression (five or six fields, e.g. "*/15 * * * *")',
})
const timezone = z.string().refine((s) => IANAZone.isValidZone(s), {
  message: 'not a known IANA time zone (e.g. "Asia/Shanghai")',
})
const encoding = z.string().refine((s) => iconv.encodingExists(s), {
  message: 'not a charset iconv-lite knows (e.g. "gbk", "gb18030", "big5", "utf-8")',
})
const httpUrl = z.string().refine((s) => /^https?:\/\/[^\s/]+/i.test(s) && URL.canParse(s), {
  message: 'must be an absolute http(s):// URL',
})
const sourceUrl = z.string().refine((s) => (/^(https?|file):\/\//i.test(s) && URL.canParse(s)), {
  message: 'must be an http(s):// or file:// URL',
})
const contentMode = z.enum(['full', 'summary', 'title'])
const words = z.array(z.string().min(1, 'must not be empty'))

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
  id: z.string().regex(SOURCE_ID, 'must be 1–64 letters, digits, "-" or "_", starting with a letter or digit'),
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
  maxItems: z.number().int().min(1).max(10_000).optional(),
  retentionDays: z.number().positive().max(3650).optional(),
  page: pageSchema.optional(),
  fullText: z.boolean().optional(),
  ignoreRobots: z.boolean().optional(),
  crawlDelay: z.number().min(0).max(600).optional(),
})

export const configSchema = z
  .strictObject({
    site: z.strictObject({
      title: z.string().min(1, 'must not be empty'),
      url: httpUrl,
      language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "zh-CN" or "en"').default('zh-CN'),
      description: z.string().optional(),
      websubHub: httpUrl.optional(),
      widget: z.strictObject({ frameAncestors: z.array(z.string().min(1)).optional() }).optional(),
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
        maxItemsPerSource: z.number().int().min(1).max(10_000).default(200),
        retentionDays: z.number().positive().max(3650).default(30),
      })
      .prefault({}),
    categories: z
      .record(z.string().regex(CATEGORY_KEY, 'category keys are letters, digits, "-" or "_"'), z.strictObject({ title: z.string().min(1), description: z.string().optional() }))
      .refine((c) => Object.keys(c).length > 0, { message: 'define at least one category' }),
    sources: z.array(sourceSchema),
  })
  .superRefine((config, ctx) => {
    // Cross-field rules zod cannot express per field.
    if ('all' in config.categories) {
      ctx.addIssue({ code: 'custom', path: ['categories', 'all'], message: '"all" is reserved for the feed of every category' })
    }
    const seen = new Map<string, number>()
    config.sources.forEach((source, index) => {
      const first = seen.get(source.id.toLowerCase())
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'id'], message: `duplicate id "${source.id}" (also sources[${first}])` })
      } else seen.set(source.id.toLowerCase(), index)
      source.categories.forEach((category, c) => {
        if (!(category in config.categories)) {
          ctx.addIssue({ code: 'custom', path: ['sources', index, 'categories', c], message: `unknown category "${category}" (known: ${Object.keys(config.categories).join(', ')})` })
        }
      })
      if (source.fullText && source.page) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'fullText'], message: 'page sources take article pages from page.article; fullText is for feed sources' })
      }
    })
  })

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

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    let message = issue.message
    if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
    else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'required'
    return `${formatPath(issue.path)}: ${message}`
  })
}
