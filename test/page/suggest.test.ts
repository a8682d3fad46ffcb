import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decode } from '../../src/decode/index.js'
import { parseDate } from '../../src/normalize/index.js'
import { readListPage } from '../../src/page/list.js'
import { suggestPage } from '../../src/page/suggest.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/page')
const page = (file: string) => decode(readFileSync(join(FIXTURES, file))).text
const OPTIONS = { zone: 'Asia/Shanghai', now: new Date('2024-09-20T04:00:00Z') }

describe('suggestPage', () => {
  it.each([
    // three structurally different list pages: <ul><li> with a sidebar list, <div>s with <h3>, a <table>
    ['ankang/Node-1466.html', { item: 'ul.list li', title: 'a@title', link: 'a@href', date: 'span', next: 'a:contains("下一页")@href', pages: 2 }, 4, 'ul.rank li'],
    ['news/channel.html', { item: 'div.news-item', title: 'a', link: 'a@href', date: 'p.time', next: 'a.next@href', pages: 2 }, 4, 'ul.hot li'],
    ['county/index.html', { item: 'table.newslist tr', title: 'a', link: 'a@href', date: 'td.rq', next: 'a:contains("下一页")@href', pages: 2 }, 5, undefined],
  ])('%s: the dated news list wins over menus and "hot" sidebars', (file, expected, items, runnerUp) => {
    const [best, ...others] = suggestPage(page(file), OPTIONS)
    expect(best.page).toEqual(expected)
    expect([best.items, best.dated]).toEqual([items, items])
    if (runnerUp) expect(others.map((o) => o.page.item)).toContain(runnerUp)
    for (const other of others) expect(other.score).toBeLessThan(best.score)

    // the proposal reads every item, each with a title, a link and a readable date
    const list = readListPage(page(file), 'http://portal.test/list/index.html', best.page)
    expect(list.entries).toHaveLength(items)
    for (const entry of list.entries) {
      expect(entry.title!.length).toBeGreaterThanOrEqual(5)
      expect(entry.link).toMatch(/^http:\/\/portal\.test\//)
      expect(parseDate(entry.published!, OPTIONS)).toBeInstanceOf(Date)
    }
  })

  it('proposes nothing for a page with no repeated block of links', () => {
    expect(suggestPage(page('news/t20240919_1234512.html').replace(/<ul>[\s\S]*?<\/ul>/g, ''), OPTIONS)).toEqual([])
  })
})
