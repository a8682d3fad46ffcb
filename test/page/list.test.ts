import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decode } from '../../src/decode/index.js'
import { parseDate } from '../../src/normalize/index.js'
import { readListPage } from '../../src/page/list.js'
import { parseField } from '../../src/page/selector.js'
import type { PageConfig } from '../../src/model.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/page')
const page = (file: string) => decode(readFileSync(join(FIXTURES, file))).text
const NOW = new Date('2024-09-20T04:00:00Z')

describe('parseField', () => {
  it.each([
    ['a', { css: 'a' }],
    ['a@href', { css: 'a', attr: 'href' }],
    ['h3 > a.title@data-url', { css: 'h3 > a.title', attr: 'data-url' }],
    ['@href', { attr: 'href' }],
    [':scope@title', { attr: 'title' }],
    [':scope', {}],
    ['a[href*="@"]', { css: 'a[href*="@"]' }],
    ['  span.date  ', { css: 'span.date' }],
  ])('%s', (spec, expected) => {
    expect(parseField(spec)).toEqual(expected)
  })
})

const ANKANG: PageConfig = { item: 'ul.list li', title: 'a@title', link: 'a@href', date: 'span', next: 'a:contains("下一页")@href' }
const NEWS: PageConfig = { item: '.news-item', title: 'h3 a', link: 'h3 a@href', date: '.time', next: 'a.next@href' }
const COUNTY: PageConfig = { item: 'table.newslist tr', title: 'a', link: 'a@href', date: 'td.rq' }

describe('readListPage over the fixture portals', () => {
  it.each([
    // file, page URL, config, items, first item, next page
    ['ankang/Node-1466.html', 'http://www.ankang.gov.cn/Node-1466.html', ANKANG, 4,
      { title: '安康市召开2024年第三季度经济运行分析会', link: 'http://www.ankang.gov.cn/Content-2991.html', published: '[09-19]', iso: '2024-09-18T16:00:00.000Z' },
      'http://www.ankang.gov.cn/Node-1466_2.html'],
    ['ankang/Node-1466_2.html', 'http://www.ankang.gov.cn/Node-1466_2.html', ANKANG, 3,
      { title: '汉江生态经济带建设项目集中开工', link: 'http://www.ankang.gov.cn/Content-2987.html', published: '[09-18]', iso: '2024-09-17T16:00:00.000Z' },
      'http://www.ankang.gov.cn/Node-1466_2.html'],
    ['news/channel.html', 'https://www.example-news.cn/news/sxxw/index.html', NEWS, 4,
      { title: '西安地铁8号线全线“洞通” 预计2025年底开通运营', link: 'https://www.example-news.cn/news/sxxw/202409/t20240919_1234567.html', published: '2024-09-19 17:11', iso: '2024-09-19T09:11:00.000Z' },
      'https://www.example-news.cn/news/sxxw/index_1.html'],
    ['county/index.html', 'http://www.hanyin.gov.cn/xwzx/zwyw/index.html', COUNTY, 5,
      { title: '汉阴县召开县政府第三十二次常务会议', link: 'http://www.hanyin.gov.cn/xwzx/zwyw/202409/t20240919_1021877.html', published: '2024-09-19', iso: '2024-09-18T16:00:00.000Z' },
      undefined],
  ])('%s', (file, url, config, count, first, next) => {
    const list = readListPage(page(file), url, config)
    expect(list.entries).toHaveLength(count)
    expect(list.warnings).toEqual([])
    const [entry] = list.entries
    expect(entry).toMatchObject({ title: first.title, link: first.link, published: first.published, baseUrl: url })
    // the date as the list writes it, read in the source zone
    expect(parseDate(entry.published!, { zone: 'Asia/Shanghai', now: NOW })?.toISOString()).toBe(first.iso)
    expect(list.next).toBe(next)
    for (const e of list.entries) expect(e.link).toMatch(/^https?:\/\/[^/]+\/\S+\.html$/)
  })

  it('reads the full title from the title attribute where the text is cut short', () => {
    const list = readListPage(page('ankang/Node-1466.html'), 'http://www.ankang.gov.cn/Node-1466.html', ANKANG)
    expect(list.entries[1].title).toBe('汉滨区政协十六届以来履职工作综述：守正创新促发展 同心聚力谱新篇')
    const byText = readListPage(page('ankang/Node-1466.html'), 'http://www.ankang.gov.cn/Node-1466.html', { ...ANKANG, title: 'a' })
    expect(byText.entries[1].title).toBe('汉滨区政协十六届以来履职工作综述：守正创新…')
  })

  it('resolves document-relative and root-relative links against the page', () => {
    const list = readListPage(page('ankang/Node-1466.html'), 'http://www.ankang.gov.cn/sub/Node-1466.html', ANKANG)
    expect(list.entries.map((e) => e.link)).toEqual([
      'http://www.ankang.gov.cn/Content-2991.html',
      'http://www.ankang.gov.cn/sub/Content-2990.html',
      'http://www.ankang.gov.cn/zwgk/Content-2989.html',
      'http://www.ankang.gov.cn/Content-2987.html',
    ])
  })

  it('honours <base href> and drops javascript: links with a warning', () => {
    const html = page('county/index.html')
      .replace('<title>', '<base href="http://www.hanyin.gov.cn/xwzx/zwyw/"><title>')
      .replace('./202409/t20240917_1021633.html', 'javascript:void(0)')
    const list = readListPage(html, 'http://www.hanyin.gov.cn/index.jsp?col=zwyw', COUNTY)
    expect(list.entries[0].link).toBe('http://www.hanyin.gov.cn/xwzx/zwyw/202409/t20240919_1021877.html')
    expect(list.entries[3]).not.toHaveProperty('link')
    expect(list.warnings).toEqual(['page: item 3 on http://www.hanyin.gov.cn/index.jsp?col=zwyw has no usable link ("javascript:void(0)")'])
  })

  it.each([
    ['a selector from another site', { ...ANKANG, item: '.news-item' }],
    ['a class renamed in a redesign', { ...ANKANG, item: 'ul.newslist li' }],
  ])('fails with "page.item matched 0 elements on URL" for %s', (_name, config) => {
    expect(() => readListPage(page('ankang/Node-1466.html'), 'https://www.ankang.gov.cn/Node-1466.html', config, 'ankang')).toThrow(
      `page: page.item matched 0 elements on https://www.ankang.gov.cn/Node-1466.html (selector ${JSON.stringify(config.item)}, source ankang)`,
    )
  })
})
