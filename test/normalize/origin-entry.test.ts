import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { RawEntry } from '../../src/model.js'
import { sourceConfig } from '../helpers/entries.js'
import { normalizeFeed } from '../../src/normalize/index.js'

/**
 * Origin, credits and boilerplate as they land on the Entry (issue 3 §3): credits become authors
 * after the feed's own, `原标题` is kept, and the excerpt is made of the article without the
 * portal's lines while the HTML stays as published.
 */
const sample = readFileSync(new URL('../fixtures/normalize/regional/sample-article.txt', import.meta.url), 'utf8')

const source = sourceConfig({ id: 'gjxw', title: '各界新闻网', url: 'https://www.sxgjxw.com/rss.xml', categories: ['local'] })

function normalize(fields: Partial<RawEntry>) {
  const raw: RawEntry = { authors: [], categories: [], enclosures: [], title: '漢濱區政協：堅持黨建引領', ...fields }
  const ctx = { source, feedUrl: source.url, now: new Date('2024-09-20T04:00:00.000Z'), ambiguousLinks: new Set<string>() }
  return normalizeFeed({ format: 'rss', entries: [raw], warnings: [] }, ctx).entries[0]
}

const html = (lines: string[]) => lines.map((line) => `<p>${line}</p>`).join('')

describe('normalizeFeed: origin and credits on the entry', () => {
  it('reads the sample article: origin, reporters then editor as authors, an excerpt of the article only', () => {
    const e = normalize({ contentHtml: html(sample.split('\n')) })
    expect(e.origin).toBe('各界新聞網')
    expect(e.authors).toEqual(['龐浩楠', '李東', '唐冰', '孫璐瑩'])
    expect(e.excerpt.startsWith('漢濱區政協十六屆以來,區政協黨組始終堅持')).toBe(true)
    expect(e.html).toContain('<p>2024-09-19 17:11:51 來源:各界新聞網</p>')
    expect(e.html).toContain('<p>編輯: 孫璐瑩</p><p>以上文章僅代表作者個人觀點')
  })

  it.each([
    ['the feed names nobody: the credits', [], '<p>正文。</p><p>（记者 王帅 通讯员 刘洋）</p><p>责任编辑：陈晨</p>', ['王帅', '刘洋', '陈晨']],
    ['the feed names someone: theirs first, then the credits', ['安康日报'], '<p>正文。（记者 王帅）</p><p>编辑：陈晨</p>', ['安康日报', '王帅', '陈晨']],
    ['a credit the feed already gives is not repeated', ['王帅'], '<p>正文。（记者 王帅）</p>', ['王帅']],
    ['traditional script, half-width colon', [], '<p>正文。</p><p>記者 李娜</p><p>編輯:周敏</p>', ['李娜', '周敏']],
    ['no credits', ['editor@example.com (张三)'], '<p>记者从市政府获悉，今年全市粮食增产。</p>', ['张三']],
  ])('authors: %s', (_name, authors, contentHtml, expected) => {
    expect(normalize({ authors, contentHtml }).authors).toEqual(expected)
  })

  it.each([
    ['来源：X', '<p>来源：安康日报</p><p>正文。</p>', '安康日报'],
    ['來源:X', '<p>來源:香港文匯網</p><p>正文。</p>', '香港文匯網'],
    ['稿源：X', '<p>稿源：陕西日报　编辑：李娜</p><p>正文。</p>', '陕西日报'],
    ['转载自X', '<p>正文。</p><p>本文转载自华商网，如有侵权请联系删除。</p>', '华商网'],
  ])('origin: %s', (_name, contentHtml, origin) => {
    const e = normalize({ contentHtml })
    expect(e.origin).toBe(origin)
    expect(e.excerpt).toBe('正文。')
  })

  it('keeps the original headline a reprint names, and no 原标题 line in the excerpt', () => {
    const e = normalize({ title: '汉滨区政协', contentHtml: html(['原标题：《汉滨区政协：坚持党建引领 推动政协事业高质量发展》', '汉滨区政协十六届以来，区政协党组始终坚持以党的政治建设为统领。']) })
    expect(e.originalTitle).toBe('汉滨区政协：坚持党建引领 推动政协事业高质量发展')
    expect(e.excerpt).toBe('汉滨区政协十六届以来，区政协党组始终坚持以党的政治建设为统领。')
  })

  it('an item made only of portal lines has an empty excerpt, and keeps its text', () => {
    const e = normalize({ contentHtml: html(['来源：安康日报', '编辑：张三']) })
    expect(e.excerpt).toBe('')
    expect(e.text).toBe('来源：安康日报\n编辑：张三')
  })
})
