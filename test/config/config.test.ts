import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, resolveConfig } from '../../src/config/index.js'
import { ConfigError } from '../../src/errors.js'
import { nearestName } from '../../src/config/schema.js'

const valid = () => ({
  site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
  disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。', contact: '电话：029-00000000' },
  categories: { local: { title: '本地' }, national: { title: '国内' } },
  sources: [
    { id: 'gjxw', title: '各界新闻网', url: 'https://www.example.cn/rss.xml', categories: ['local'] },
    { id: 'people', title: '人民网', url: 'file:///tmp/people.xml', categories: ['national'], encoding: 'gbk', timezone: 'UTC', schedule: '*/10 * * * *', content: 'summary', include: ['陕西'], exclude: ['广告'], maxItems: 50 },
  ],
})

function issuesOf(input: unknown): string[] {
  try {
    resolveConfig(input)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).issues
  }
  throw new Error('expected a ConfigError')
}

describe('resolveConfig', () => {
  it('applies defaults to sources and keeps per-source overrides', () => {
    const config = resolveConfig(valid())
    expect(config.defaults).toEqual({ schedule: '*/15 * * * *', timezone: 'Asia/Shanghai', content: 'full', maxItemsPerSource: 200, retentionDays: 30 })
    expect(config.sources[0]).toMatchObject({ timezone: 'Asia/Shanghai', schedule: '*/15 * * * *', content: 'full', include: [], exclude: [], maxItems: 200, retentionDays: 30 })
    expect(config.sources[1]).toMatchObject({ encoding: 'gbk', timezone: 'UTC', schedule: '*/10 * * * *', content: 'summary', include: ['陕西'], exclude: ['广告'], maxItems: 50 })
  })

  const mutate = (fn: (c: ReturnType<typeof valid>) => void) => {
    const c = valid()
    fn(c)
    return c
  }
  it.each([
    ['bad source URL', mutate((c) => (c.sources[1].url = 'ftp://x/feed')), 'sources[1].url: "ftp://x/feed" is not an http(s):// or file:// URL'],
    ['unknown charset', mutate((c) => (c.sources[1].encoding = 'x-foo')), 'sources[1].encoding: "x-foo" is not a charset iconv-lite knows'],
    ['unknown zone', mutate((c) => (c.sources[1].timezone = 'Mars/Olympus')), 'sources[1].timezone: "Mars/Olympus" is not a known IANA time zone (e.g. "Asia/Shanghai")'],
    ['bad cron', mutate((c) => (c.sources[1].schedule = 'every minute')), 'sources[1].schedule: "every minute" is not a valid cron expression'],
    ['bad content mode', mutate((c) => ((c.sources[1] as { content: string }).content = 'all')), 'sources[1].content: "all" is not one of full, summary, title'],
    ['bad default content mode', mutate((c) => ((c as Record<string, unknown>).defaults = { content: 'ful' })), 'defaults.content: "ful" is not one of full, summary, title'],
    ['a number below its minimum', mutate((c) => (c.sources[1].maxItems = 0)), 'sources[1].maxItems: 0 is below the minimum of 1'],
    ['a fraction for a count', mutate((c) => (c.sources[1].maxItems = 2.5)), 'sources[1].maxItems: 2.5 is not a whole number'],
    ['a wrong type', mutate((c) => ((c.sources[1] as Record<string, unknown>).include = '陕西')), 'sources[1].include: "陕西" is not an array'],
    ['unknown category', mutate((c) => (c.sources[0].categories = ['sports'])), 'sources[0].categories[0]: unknown category "sports" (known: local, national)'],
    ['duplicate id', mutate((c) => (c.sources[1].id = 'gjxw')), 'sources[1].id: duplicate id "gjxw" (also sources[0])'],
    ['reserved category', mutate((c) => ((c.categories as Record<string, { title: string }>).all = { title: 'x' })), 'categories.all: "all" is reserved'],
    ['missing disclaimer', mutate((c) => ((c as { disclaimer?: unknown }).disclaimer = undefined)), 'disclaimer: required'],
    ['a misspelt field', mutate((c) => ((c.sources[0] as Record<string, unknown>).shedule = '* * * * *')), 'sources[0].shedule: unknown field (did you mean "schedule"?)'],
    ['a misspelt default', mutate((c) => ((c as Record<string, unknown>).defaults = { timezon: 'Asia/Shanghai' })), 'defaults.timezon: unknown field (did you mean "timezone"?)'],
    ['a field nothing is near', mutate((c) => ((c.site as Record<string, unknown>).colour = 'red')), 'site.colour: unknown field (known: title, url, language, description, websubHub, widget, imageProxy, rateLimit)'],
    ['bad site url', mutate((c) => (c.site.url = 'news.example.org')), 'site.url: "news.example.org" is not an absolute http(s):// URL'],
  ])('%s is reported with its path and the value it found', (_name, input, expected) => {
    const issues = issuesOf(input)
    expect(issues.some((line) => line.startsWith(expected)), issues.join('\n')).toBe(true)
  })

  it('reports every bad field at once', () => {
    const c = valid()
    c.sources[0].url = 'nope'
    c.sources[1].timezone = 'Nowhere/Land'
    expect(issuesOf(c)).toHaveLength(2)
  })

  it('reports unknown categories and duplicate ids together with the field errors, in one pass (issue 11 §7)', () => {
    const c = valid()
    ;(c.sources[0] as Record<string, unknown>).timezon = 'UTC'
    c.sources[0].categories = ['sports']
    c.sources[1].id = 'gjxw'
    ;(c.sources[1] as { content: string }).content = 'ful'
    c.site.url = 'x'
    expect(issuesOf(c)).toEqual([
      'site.url: "x" is not an absolute http(s):// URL',
      'sources[0].categories[0]: unknown category "sports" (known: local, national)',
      'sources[0].timezon: unknown field (did you mean "timezone"?)',
      'sources[1].content: "ful" is not one of full, summary, title',
      'sources[1].id: duplicate id "gjxw" (also sources[0])',
    ])
  })

  it('echoes a long value shortened', () => {
    const c = valid()
    c.sources[1].timezone = 'Asia/'.padEnd(200, 'x')
    expect(issuesOf(c)[0]).toBe(`sources[1].timezone: "${'Asia/'.padEnd(80, 'x')}…" is not a known IANA time zone (e.g. "Asia/Shanghai")`)
  })
})

describe('nearestName', () => {
  it.each([
    ['timezon', 'timezone'],
    ['Timezone', 'timezone'],
    ['shedule', 'schedule'],
    ['homePage', 'homepage'],
    ['max', undefined],
    ['colour', undefined],
  ])('%s → %s', (name, near) => {
    expect(nearestName(name, ['timezone', 'schedule', 'homepage', 'maxItems', 'content'])).toBe(near)
  })
})

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-config-'))
  const body = JSON.stringify(valid())
  const root = join(import.meta.dirname, '../../src/config/index.ts')

  it.each([
    ['feeds.config.json', body],
    ['feeds.config.mjs', `export default ${body}`],
    ['feeds.config.js', `export default ${body}`],
    ['feeds.config.ts', `import { defineConfig } from ${JSON.stringify(root)}\nexport default defineConfig(${body})`],
    ['feeds.config.mts', `import { defineConfig } from ${JSON.stringify(root)}\nconst c: Parameters<typeof defineConfig>[0] = ${body}\nexport default defineConfig(c)`],
  ])('loads %s', async (name, text) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    const config = await loadConfig(path)
    expect(config.sources.map((s) => s.id)).toEqual(['gjxw', 'people'])
  })

  it('names the file when it is missing or invalid', async () => {
    await expect(loadConfig(join(dir, 'nope.ts'))).rejects.toThrow(/nope\.ts: no such file/)
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ ...valid(), sources: [{ id: 'x' }] }))
    await expect(loadConfig(bad)).rejects.toThrow(/bad\.json[\s\S]*sources\[0\]\.title: /)
  })

  it('loads the shipped default feeds.config.ts', async () => {
    const config = await loadConfig(join(import.meta.dirname, '../../feeds.config.ts'))
    expect(config.sources.length).toBeGreaterThanOrEqual(8)
    expect(config.defaults.timezone).toBe('Asia/Shanghai')
    expect(Object.keys(config.categories)).toEqual(expect.arrayContaining(['national', 'international']))
  })
})
