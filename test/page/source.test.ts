import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFetcher, type Fetcher } from '../../src/fetch/index.js'
import { RobotsDisallowedError } from '../../src/fetch/robots.js'
import { EXCERPT_MAX_CHARS } from '../../src/normalize/text.js'
import { readerFor } from '../../src/source/index.js'
import { readPageSource, wantsArticles, withArticles } from '../../src/page/index.js'
import type { Entry, PageConfig, SourceConfig } from '../../src/model.js'
import { startFeedServer, type Served } from '../helpers/servers.js'
import { sourceConfig } from '../helpers/entries.js'

/** The ankang fixture portal on 127.0.0.1: list pages, articles and its robots.txt (Disallow: /zwgk/). */
const FIXTURES = join(import.meta.dirname, '../fixtures/page/ankang')
const files = new Map<string, Served>(readdirSync(FIXTURES).map((name) => [`/${name}`, { body: readFileSync(join(FIXTURES, name)), contentType: 'text/html' }]))
files.set('/zwgk/Node-1520.html', files.get('/Node-1466.html')!)

const NOW = new Date('2024-09-20T04:00:00Z')
const PAGE: PageConfig = { item: 'ul.list li', title: 'a@title', link: 'a@href', date: 'span', next: 'a:contains("下一页")@href', article: { content: '#zoom', date: '.info' } }

let portal: Awaited<ReturnType<typeof startFeedServer>>
let fetcher: Fetcher

function source(extra: Partial<SourceConfig> = {}): SourceConfig {
  return sourceConfig({ id: 'ankang', title: '安康市人民政府 · 要闻', url: `${portal.url}/Node-1466.html`, categories: ['local'], crawlDelay: 0, page: PAGE, ...extra })
}

/** The list as a poll reads it, through the source's reader, before any article page (articleLimit 0). */
async function listed(src: SourceConfig): Promise<Entry[]> {
  const fetched = await fetcher.fetch(src.url, {})
  if (fetched.kind !== 'ok') throw new Error('not modified')
  return (await readerFor(src, fetcher).read(fetched, { now: NOW, knownAmbiguous: [], articleLimit: 0 })).entries
}

/** Requests per path made by `run`. */
async function counting<T>(run: () => Promise<T>): Promise<{ result: T; requests: Map<string, number> }> {
  const before = new Map(portal.hits)
  const result = await run()
  const requests = new Map([...portal.hits].map(([path, n]) => [path, n - (before.get(path) ?? 0)] as const).filter(([, n]) => n > 0))
  return { result, requests }
}

beforeAll(async () => {
  portal = await startFeedServer(files)
  fetcher = createFetcher()
})
afterAll(() => portal?.close())

const firstPage = () => ({ text: new TextDecoder('gb18030').decode(files.get('/Node-1466.html')!.body), url: `${portal.url}/Node-1466.html` })

describe('readPageSource', () => {
  it.each([
    // pages, list pages requested after the first, items
    [1, 0, 4],
    [2, 1, 6], // page 2 repeats one item of page 1: listed once
    [5, 1, 6], // page 2's "下一页" points at itself: no loop
  ])('pages: %i follows "下一页" %i times and yields %i items', async (pages, requested, items) => {
    const { result, requests } = await counting(() => readPageSource(source(), { ...PAGE, pages }, firstPage(), fetcher))
    expect(result.format).toBe('html')
    expect(result.title).toBe('安康要闻-安康市人民政府')
    expect(result.entries).toHaveLength(items)
    expect(new Set(result.entries.map((e) => e.link)).size).toBe(items)
    expect(requests.get('/Node-1466_2.html') ?? 0).toBe(requested)
    expect(result.warnings).toEqual([])
  })

  it('keeps the first page when a later one fails', async () => {
    const html = firstPage().text.replaceAll('/Node-1466_2.html', '/Node-1466_9.html')
    const result = await readPageSource(source(), { ...PAGE, pages: 2 }, { text: html, url: `${portal.url}/Node-1466.html` }, fetcher)
    expect(result.entries).toHaveLength(4)
    expect(result.warnings).toEqual([`page: list page 2 not read: fetch: HTTP 404 Not Found (${portal.url}/Node-1466_9.html, source ankang)`])
  })

  it('refuses a list page robots.txt disallows, and logs every poll that ignores it', async () => {
    const zwgk = { ...firstPage(), url: `${portal.url}/zwgk/Node-1520.html` }
    const onePage = { ...PAGE, pages: 1 }
    await expect(readPageSource(source(), onePage, zwgk, fetcher)).rejects.toBeInstanceOf(RobotsDisallowedError)
    for (let poll = 0; poll < 2; poll++) {
      const result = await readPageSource(source({ ignoreRobots: true }), onePage, zwgk, fetcher)
      expect(result.entries).toHaveLength(4)
      expect(result.warnings).toContain(`page: ignoreRobots is set: robots.txt is not consulted for ${portal.url}/Node-1466.html and its article pages (source ankang)`)
    }
  })
})

describe('withArticles', () => {
  it('reads new items\' articles, except where robots.txt forbids', async () => {
    const src = source()
    const list = await listed(src)
    const { result, requests } = await counting(() => withArticles(src, list, new Map(), { fetcher, now: NOW }))
    expect(result.read).toBe(5)
    expect(requests.has('/zwgk/Content-2989.html')).toBe(false)
    expect(result.warnings).toEqual([expect.stringMatching(/^fetch: robots\.txt of 127\.0\.0\.1:\d+ disallows \/zwgk\/Content-2989\.html \(line 2\)/)])
    const story = result.entries.find((e) => e.url === `${portal.url}/Content-2991.html`)!
    expect(story).toMatchObject({ id: list[0].id, clusterId: list[0].id, origin: '安康日报', published: '2024-09-19T09:11:00.000Z', dateFrom: 'source' })
    expect(story.html).toContain(`<img src="${portal.url}/Upload/2024/09/19/20240919171105_3321.jpg"`)
    expect(story.contentHash).not.toBe(list[0].contentHash)
  })

  it('fetches the forbidden article with ignoreRobots', async () => {
    const src = source({ ignoreRobots: true })
    const list = (await listed(src)).filter((e) => e.url?.includes('/zwgk/'))
    const { result, requests } = await counting(() => withArticles(src, list, new Map(), { fetcher, now: NOW }))
    expect(requests.get('/zwgk/Content-2989.html')).toBe(1)
    expect(result.warnings).toEqual([expect.stringContaining('HTTP 404')])
  })

  it('keeps only the excerpt for a summary source, with the article\'s date and origin', async () => {
    const src = source({ content: 'summary' })
    const list = (await listed(src)).slice(0, 1)
    const [entry] = (await withArticles(src, list, new Map(), { fetcher, now: NOW })).entries
    expect(entry.html).not.toMatch(/<img|<p/)
    expect(entry.text.length).toBeLessThanOrEqual(EXCERPT_MAX_CHARS)
    expect(entry.text).toMatch(/^9月19日，市政府召开/)
    expect(entry).toMatchObject({ origin: '安康日报', published: '2024-09-19T09:11:00.000Z' })
  })

  it('never re-fetches a stored article unless the item changed or never got it', async () => {
    const src = source()
    const list = (await listed(src)).filter((e) => !e.url?.includes('/zwgk/'))
    const enriched = (await withArticles(src, list, new Map(), { fetcher, now: NOW })).entries
    const [kept, retitled, neverRead] = [enriched[0], enriched[1], list[2]]
    const stored = new Map([kept, { ...retitled, title: `${retitled.title}（旧）` }, neverRead].map((e) => [e.id, e]))

    const { result, requests } = await counting(() => withArticles(src, list, stored, { fetcher, now: NOW }))
    expect([...requests.keys()].sort()).toEqual(['/Content-2984.html', '/Content-2985.html', '/Content-2987.html', '/Content-2990.html'])
    expect(result.entries[0]).toEqual({ ...list[0], html: kept.html, text: kept.text, excerpt: kept.excerpt, origin: '安康日报', published: kept.published, dateFrom: 'source', contentHash: kept.contentHash })
    expect(result.entries[2].origin).toBe('汉滨区融媒体中心')
  })

  it('reads at most `limit` articles per poll and says how many wait', async () => {
    const src = source()
    const list = (await listed(src)).filter((e) => !e.url?.includes('/zwgk/'))
    const { result, requests } = await counting(() => withArticles(src, list, new Map(), { fetcher, now: NOW, limit: 2 }))
    expect(result.read).toBe(2)
    expect([...requests.values()].reduce((a, b) => a + b, 0)).toBe(2)
    expect(result.entries.slice(2)).toEqual(list.slice(2))
    expect(result.warnings).toEqual(['page: 3 article pages not read this time (at most 2 at once, source ankang); later polls read them'])
  })

  it.each([
    ['a page source with article', { page: PAGE }, true],
    ['a page source without article', { page: { ...PAGE, article: undefined } }, false],
    ['a full-text feed source', { page: undefined, fullText: true }, true],
    ['a full-text feed source in summary mode', { page: undefined, fullText: true, content: 'summary' as const }, false],
    ['a plain feed source', { page: undefined }, false],
  ])('wantsArticles: %s → %s', (_name, extra, expected) => {
    expect(wantsArticles({ ...source(), ...extra })).toBe(expected)
  })
})
