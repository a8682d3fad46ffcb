/**
 * A feedloom site as an operator runs it, for the reader and paging end-to-end tests: the e2e
 * fixture feeds (GBK, Big5, Atom, JSON Feed, a home-page-link feed, a hostile one, a reprint pair)
 * served on 127.0.0.1, polled once with `feedloom poll`, then served by the production handler.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Config } from '../../src/model.js'
import { startFeedServer, type Served } from '../helpers/servers.js'
import { runCli, startWeb } from '../helpers/feedloom.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/e2e')
export const DISCLAIMER = '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。'
export const CATEGORIES = ['all', 'national', 'international', 'local'] as const

/** One served feed: where, which file (relative to test/fixtures/e2e, or absolute), as what, for which source. */
export type SiteFeed = [path: string, file: string, contentType: string, id: string, categories: string[], extra?: object]

const FEEDS: SiteFeed[] = [
  ['/people.xml', 'people-politics.gbk.xml', 'application/rss+xml', 'people', ['national']],
  ['/chinanews.xml', 'chinanews-scroll.xml', 'application/rss+xml; charset=utf-8', 'chinanews', ['national']],
  ['/county.xml', 'county-homepage-links.xml', 'application/rss+xml; charset=utf-8', 'county', ['local']],
  ['/hk.xml', 'hk-news.big5.xml', 'text/xml; charset=big5', 'hk', ['international']],
  ['/un.atom', 'un-news.atom', 'application/atom+xml; charset=utf-8', 'un', ['international'], { timezone: 'UTC' }],
  ['/regional.json', 'regional.json', 'application/feed+json', 'regional', ['local']],
  ['/hostile.xml', 'hostile.xml', 'application/rss+xml; charset=utf-8', 'hostile', ['local']],
]

export interface PolledSite {
  /** http://127.0.0.1:PORT of feedloom itself. */
  base: string
  config: Config
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; text: string }>
  close(): Promise<void>
}

export async function startPolledSite(site: { websubHub?: string } = {}, feedList: SiteFeed[] = FEEDS): Promise<PolledSite> {
  const files = new Map<string, Served>(feedList.map(([path, file, contentType]) => [path, { body: readFileSync(resolve(FIXTURES, file)), contentType }]))
  const feeds = await startFeedServer(files)
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-readers-'))
  const configPath = join(dir, 'feeds.config.json')
  const storeUrl = `sqlite://${join(dir, 'store.sqlite')}`
  writeFileSync(
    configPath,
    JSON.stringify({
      site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN', description: '测试', ...site },
      disclaimer: { text: DISCLAIMER, contact: '电话：029-00000000' },
      defaults: { timezone: 'Asia/Shanghai', retentionDays: 3650 },
      categories: { national: { title: '国内' }, international: { title: '国际' }, local: { title: '本地' } },
      sources: feedList.map(([path, , , id, categories, extra]) => ({ id, title: `${id} title`, url: feeds.url + path, categories, homepage: `https://${id}.example/`, ...extra })),
    }),
  )
  const { code, out } = await runCli(['poll'], configPath, storeUrl)
  if (code !== 0) throw new Error(`polled-site: feedloom poll exited ${code}:\n${out}`)
  const web = await startWeb(configPath, storeUrl)
  return {
    base: web.base,
    config: web.config,
    async get(path, headers = {}) {
      const { res, text } = await web.get(path, headers)
      return { status: res.status, headers: res.headers, text }
    },
    async close() {
      await web.close()
      await feeds.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
