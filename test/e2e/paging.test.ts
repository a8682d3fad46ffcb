/**
 * RFC 5005 paging over a polled site (issue 4 point 3): following `next` from the first page of
 * any view, in any format, lists every story of the view exactly once, in the view's order; the
 * reprint pair (people / chinanews) counts as one story on whichever page it falls.
 */
import * as cheerio from 'cheerio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CATEGORIES, startPolledSite, type PolledSite } from './polled-site.js'

let site: PolledSite
beforeAll(async () => {
  site = await startPolledSite()
})
afterAll(() => site?.close())

type Format = 'rss' | 'atom' | 'json'

/** One page: its item ids and its next link (site-relative), as a reader sees them. */
async function page(path: string, format: Format): Promise<{ ids: string[]; next?: string; first?: string }> {
  const { status, text } = await site.get(path)
  expect(status, text).toBe(200)
  const local = (url: string | undefined) => url?.replace(site.config.site.url, '')
  if (format === 'json') {
    const feed = JSON.parse(text)
    return { ids: feed.items.map((i: { id: string }) => i.id), next: local(feed.next_url) }
  }
  const $ = cheerio.load(text, { xml: true })
  const link = (rel: string) => local($(format === 'rss' ? `channel > atom\\:link[rel="${rel}"]` : `feed > link[rel="${rel}"]`).attr('href'))
  return { ids: $(format === 'rss' ? 'item > guid' : 'entry > id').toArray().map((e) => $(e).text()), next: link('next'), first: link('first') }
}

/** The same resource: path and parameters, whatever their order and percent-encoding. */
function same(a: string, b: string): boolean {
  const norm = (url: string) => {
    const parsed = new URL(url, 'http://x')
    return `${parsed.pathname}?${[...parsed.searchParams].sort().join('&')}`
  }
  return norm(a) === norm(b)
}

async function walk(start: string, format: Format): Promise<string[][]> {
  const pages: string[][] = []
  for (let path: string | undefined = start; path !== undefined; ) {
    const { ids, next, first } = await page(path, format)
    if (pages.length > 0 && format !== 'json') expect(same(first!, start)).toBe(true)
    pages.push(ids)
    path = next
    expect(pages.length).toBeLessThan(100)
  }
  return pages
}

const VIEWS = CATEGORIES.flatMap((category) => [`/feeds/${category}.FORMAT`, `/feeds/${category}.FORMAT?variant=zh-Hant`]).concat(['/feeds/national.FORMAT?q=国务院', '/feeds/all.FORMAT?source=people,chinanews'])

describe.each(VIEWS)('%s', (view) => {
  it.each(['json', 'rss', 'atom'] as const)('%s: pages of 1, 2, 3 and 7 list every story once, in order', async (format) => {
    const path = view.replace('FORMAT', format)
    const whole = (await page(`${path}${path.includes('?') ? '&' : '?'}limit=200`, format)).ids
    expect(whole.length).toBeGreaterThan(0)
    expect(new Set(whole).size).toBe(whole.length)
    for (const limit of [1, 2, 3, 7]) {
      const start = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}`
      const pages = await walk(start, format)
      expect(pages.flat()).toEqual(whole)
      expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true)
    }
  })
})

describe('the reprint pair', () => {
  it('is one story whatever the page size: people and chinanews together list one item fewer than they stored', async () => {
    const both = (await page('/feeds/all.json?source=people,chinanews&limit=200', 'json')).ids
    expect(both).toHaveLength(6 + 8 - 1)
    for (const limit of [1, 4, 6]) expect((await walk(`/feeds/all.json?source=people,chinanews&limit=${limit}`, 'json')).flat()).toEqual(both)
  })

  it('the same cursor pages RSS, Atom and JSON Feed alike', async () => {
    const json = await page('/feeds/all.json?limit=4', 'json')
    const cursor = new URL(json.next!, 'http://x').searchParams.get('before')!
    const older = await Promise.all((['json', 'rss', 'atom'] as const).map((format) => page(`/feeds/all.${format}?limit=4&before=${cursor}`, format)))
    expect(older[1].ids).toEqual(older[0].ids)
    expect(older[2].ids).toEqual(older[0].ids)
  })
})
