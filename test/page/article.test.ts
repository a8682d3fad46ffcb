import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decode } from '../../src/decode/index.js'
import { parseDate } from '../../src/normalize/index.js'
import { extractArticle, type ArticleConfig } from '../../src/page/article.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/page')
const page = (file: string) => decode(readFileSync(join(FIXTURES, file))).text
const NOW = new Date('2024-09-20T04:00:00Z')
const ZONE = { zone: 'Asia/Shanghai', now: NOW }

const ZOOM: ArticleConfig = { content: '#zoom', date: '.info' }

describe('extractArticle', () => {
  it.each([
    // file, config, way, date (UTC), origin and where it was found, text inside, image src as written
    ['ankang/Content-2991.html', ZOOM, 'selector', '2024-09-19T09:11:00.000Z', '安康日报', '全力以赴稳增长', '/Upload/2024/09/19/20240919171105_3321.jpg'], // 来源 in the .info line
    ['ankang/Content-2990.html', ZOOM, 'selector', '2024-09-19T02:05:00.000Z', '各界新闻网', '民主监督员', '../Upload/2024/09/19/20240919100512_1187.jpg'], // 来源 closing #zoom
    ['ankang/Content-2987.html', ZOOM, 'selector', '2024-09-18T08:40:00.000Z', '汉滨区融媒体中心', '一江清水永续北上', '/Upload/2024/09/18/20240918164012_7720.jpg'], // 来源：本网 names no one: <meta name="ContentSource">
    ['ankang/Content-2987.html', { content: '#zoom' }, 'selector', '2024-09-18T08:40:00.000Z', '汉滨区融媒体中心', '集中开工仪式', undefined], // no date selector: <meta name="PubDate">
    ['news/t20240919_1234567.html', { date: '.info' }, 'readability', '2024-09-19T09:11:51.000Z', '西安日报', '首条环线地铁', 'images/20240919_8hx.jpg'],
    ['news/t20240919_1234512.html', { date: '.info' }, 'readability', '2024-09-19T07:02:10.000Z', '陕西日报', '颗粒归仓', undefined],
  ] as const)('%s with %j', (file, config, via, date, origin, text, image) => {
    const article = extractArticle(page(file), `http://portal.test/${file}`, config)
    expect(article.via).toBe(via)
    expect(parseDate(article.dateText!, ZONE)?.toISOString()).toBe(date)
    expect(article.origin).toBe(origin)
    expect(article.text).toContain(text)
    if (image) expect(article.html).toContain(`src="${image}"`)
    // navigation, share buttons, related links and scripts are not the article
    expect(article.text).not.toMatch(/当前位置|分享到|相关新闻|上一篇|document\.write|违法和不良信息/)
  })

  it('takes the content by readability alone when nothing is configured', () => {
    const article = extractArticle(page('news/t20240918_1233288.html'), 'http://portal.test/a.html')
    expect(article.via).toBe('readability')
    expect(article.text).toMatch(/^1981年|野生朱鹮种群数量已突破一万只/m)
    expect(article.text).not.toContain('热点排行')
    // the date and 来源 line sit outside what readability keeps, and nothing else names them
    expect(article.dateText).toBeUndefined()
  })

  it('says which selector matched nothing on which page', () => {
    expect(() => extractArticle(page('news/t20240919_1234567.html'), 'http://portal.test/a.html', { content: '#zoom' }, 'xbw')).toThrow(
      'page: page.article.content matched 0 elements on http://portal.test/a.html (selector "#zoom", source xbw)',
    )
  })

  it('refuses a page readability finds no article on', () => {
    expect(() => extractArticle('<html><body><nav><a href="/">首页</a></nav></body></html>', 'http://portal.test/empty.html')).toThrow(
      'page: readability found no article on http://portal.test/empty.html',
    )
  })
})
