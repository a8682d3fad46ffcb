import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, resolveConfig } from '../../src/config/index.js'
import { ConfigError } from '../../src/errors.js'

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
    ['bad source URL', mutate((c) => (c.sources[1].url = 'ftp://x/feed')), 'sources[1].url: must be an http(s):// or file:// URL'],
    ['unknown charset', mutate((c) => (c.sources[1].encoding = 'x-foo')), 'sources[1].encoding: not a charset'],
    ['unknown zone', mutate((c) => (c.sources[1].timezone = 'Mars/Olympus')), 'sources[1].timezone: not a known IANA time zone'],
    ['bad cron', mutate((c) => (c.sources[1].schedule = 'every minute')), 'sources[1].schedule: not a valid cron expression'],
    ['bad content mode', mutate((c) => ((c.sources[1] as { content: string }).content = 'all')), 'sources[1].content:'],
    ['unknown category', mutate((c) => (c.sources[0].categories = ['sports'])), 'sources[0].categories[0]: unknown category "sports"'],
    ['duplicate id', mutate((c) => (c.sources[1].id = 'gjxw')), 'sources[1].id: duplicate id "gjxw" (also sources[0])'],
    ['reserved category', mutate((c) => ((c.categories as Record<string, { title: string }>).all = { title: 'x' })), 'categories.all: "all" is reserved'],
    ['missing disclaimer', mutate((c) => ((c as { disclaimer?: unknown }).disclaimer = undefined)), 'disclaimer: '],
    ['typo in a field name', mutate((c) => ((c.sources[0] as Record<string, unknown>).shedule = '* * * * *')), 'sources[0]: unknown field "shedule"'],
    ['bad site url', mutate((c) => (c.site.url = 'news.example.org')), 'site.url: must be an absolute http(s):// URL'],
  ])('%s is reported with its path', (_name, input, expected) => {
    expect(issuesOf(input).some((line) => line.startsWith(expected))).toBe(true)
  })

  it('reports every bad field at once', () => {
    const c = valid()
    c.sources[0].url = 'nope'
    c.sources[1].timezone = 'Nowhere/Land'
    expect(issuesOf(c)).toHaveLength(2)
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
