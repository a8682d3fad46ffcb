/**
 * Retention and list lengths take any positive whole number (SPEC §9, issue 10): an archive keeps
 * 36500 days; only what is no whole number of days or items, or below one, is refused, by path.
 */
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { ConfigError } from '../../src/errors.js'
import { retain } from '../../src/store/retention.js'
import { entry } from '../helpers/entries.js'

const config = (defaults: object, source: object = {}) => ({
  site: { title: '陕南新闻聚合', url: 'https://news.example.org' },
  disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。' },
  defaults,
  categories: { local: { title: '本地' } },
  sources: [{ id: 'archive', title: '档案', url: 'https://www.example.cn/rss.xml', categories: ['local'], ...source }],
})

function issues(input: unknown): string[] {
  try {
    resolveConfig(input)
    return []
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).issues
  }
}

describe('retentionDays, maxItemsPerSource and maxItems', () => {
  it.each([
    ['an archive of 100 years', { retentionDays: 36500 }, { retentionDays: 36500, maxItems: 1_000_000 }],
    ['a million items per source', { maxItemsPerSource: 1_000_000 }, {}],
    ['the largest whole numbers JavaScript holds exactly', { retentionDays: Number.MAX_SAFE_INTEGER, maxItemsPerSource: Number.MAX_SAFE_INTEGER }, {}],
    ['one', { retentionDays: 1, maxItemsPerSource: 1 }, { retentionDays: 1, maxItems: 1 }],
  ])('accepts %s', (_name, defaults, source) => {
    expect(issues(config(defaults, source))).toEqual([])
  })

  it.each([
    ['zero days', { retentionDays: 0 }, {}, 'defaults.retentionDays'],
    ['half a day', {}, { retentionDays: 0.5 }, 'sources[0].retentionDays'],
    ['negative items', { maxItemsPerSource: -1 }, {}, 'defaults.maxItemsPerSource'],
    ['a fraction of an item', {}, { maxItems: 2.5 }, 'sources[0].maxItems'],
    ['a string', {}, { retentionDays: '30' }, 'sources[0].retentionDays'],
  ])('refuses %s, naming the field', (_name, defaults, source, path) => {
    const found = issues(config(defaults, source))
    expect(found).toHaveLength(1)
    expect(found[0].startsWith(`${path}: `)).toBe(true)
  })

  it('keeps a 99-year-old item that has left the feed under a 36500-day retention', () => {
    const { sources } = resolveConfig(config({ retentionDays: 36500 }))
    const now = new Date('2024-09-20T00:00:00Z')
    const old = entry('old', 'archive', '1925-10-01T00:00:00Z')
    const { list, dropped } = retain([[old.id, Date.parse(old.published)]], [], sources[0], now)
    expect(list.map(([id]) => id)).toEqual(['old'])
    expect(dropped).toEqual([])
  })
})
