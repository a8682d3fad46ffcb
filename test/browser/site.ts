import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { resolveConfig } from '../../src/config/index.js'
import { openStore, type Store } from '../../src/store/index.js'
import { createApp } from '../../src/http/app.js'
import { RevWatcher } from '../../src/http/rev.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { createFetcher } from '../../src/fetch/index.js'
import { refreshSource } from '../../src/refresh.js'
import type { Config, Entry } from '../../src/model.js'
import { entry } from '../helpers/entries.js'

/**
 * A feedloom site on 127.0.0.1 for the page, widget and browser tests: the real pipeline polls the
 * end-to-end fixture feeds (test/fixtures/e2e, copies of real shapes: 人民网 GBK, UN News Atom, a
 * regional JSON Feed, 中国新闻网 with a cross-source reprint, a hostile feed and a broken one) from
 * file:// URLs, and a few hostile items are written straight into the store, as if normalize had
 * let them through, because the pages and widgets must be safe on their own.
 */
const E2E = join(import.meta.dirname, '../fixtures/e2e')
/** The clock the pipeline runs at: the fixture items are all from 2024-09-19 (Asia/Shanghai). */
export const POLLED_AT = new Date('2024-09-19T12:00:00Z')

export const HOSTILE_TITLE = '<img src=x onerror=alert(1)>'
/** Ids are 128-bit hex, as normalize/ makes them, so their published uuids lead back to them (`/items/{uuid}`). */
export const HOSTILE_ITEMS: Entry[] = [
  entry('e0000000000000000000000000000001', 'planted', '2024-09-19T11:50:00.000Z', { title: HOSTILE_TITLE, url: 'https://planted.example/a.html', excerpt: '<script>alert(2)</script> 摘要' }),
  entry('e0000000000000000000000000000002', 'planted', '2024-09-19T11:40:00.000Z', { title: '点击领取 "><svg onload=alert(3)>', url: 'javascript:alert(4)', excerpt: 'javascript 链接' }),
]

export interface Site {
  config: Config
  store: Store
  /** `http://127.0.0.1:PORT`, also the configured `site.url`, so absolute links point back here. */
  base: string
  server: Server
  /** Every request the app answered: path and the If-None-Match it carried. */
  requests: Array<{ url: string; ifNoneMatch?: string; status: number }>
  /** Stores new items of the planted source, as a poll would, and lets the web layer see them at once. */
  plant(items: Entry[]): Promise<void>
  close(): Promise<void>
}

/** `portal`: also poll that portal's feed (test/browser/portal.ts), whose photos sit behind a Referer check. */
export async function startSite(options: { frameAncestors?: string[]; language?: string; planted?: boolean; portal?: { base: string } } = {}): Promise<Site> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined
  const requests: Site['requests'] = []
  const server = createServer((req, res) => {
    res.on('finish', () => requests.push({ url: req.url ?? '', ifNoneMatch: req.headers['if-none-match'], status: res.statusCode }))
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const file = (name: string) => pathToFileURL(join(E2E, name)).href

  const config = resolveConfig({
    site: { title: '陕南新闻聚合', url: base, language: options.language ?? 'zh-CN', description: '安康、汉中、商洛地方新闻与国内国际要闻', ...(options.frameAncestors ? { widget: { frameAncestors: options.frameAncestors } } : {}) },
    disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。', contact: '电话：029-00000000' },
    defaults: { timezone: 'Asia/Shanghai' },
    categories: { local: { title: '本地', description: '安康本地新闻' }, national: { title: '国内' }, international: { title: '国际' } },
    sources: [
      { id: 'regional', title: '汉江在线', url: file('regional.json'), categories: ['local'], homepage: 'https://www.hanjiang.example/' },
      { id: 'county', title: '示例县人民政府', url: file('county-homepage-links.xml'), categories: ['local'], content: 'summary' },
      { id: 'hostile', title: '示例门户网', url: file('hostile.xml'), categories: ['local'] },
      { id: 'planted', title: '<b>恶意来源</b>', url: 'https://planted.example/rss', categories: ['local'] },
      { id: 'people', title: '人民网 · 时政', url: file('people-politics.gbk.xml'), categories: ['national'], homepage: 'http://politics.people.com.cn/', content: 'summary' },
      { id: 'chinanews', title: '中国新闻网 · 即时新闻', url: file('chinanews-scroll.xml'), categories: ['national'], content: 'title' },
      { id: 'un', title: 'UN News', url: file('un-news.atom'), categories: ['international'], timezone: 'UTC' },
      { id: 'broken', title: '损坏的来源', url: file('broken.xml'), categories: ['international'] },
      ...(options.portal ? [{ id: 'portal', title: '汉江在线 · 图片新闻', url: `${options.portal.base}/rss.xml`, categories: ['local'], homepage: `${options.portal.base}/` }] : []),
    ],
  })

  const store = await openStore('memory://')
  const fetcher = createFetcher()
  for (const source of config.sources.filter((s) => s.id !== 'planted')) {
    await refreshSource(source, { store, fetcher, now: () => POLLED_AT, log: silentLogger, random: () => 0.5 })
  }
  const rev = new RevWatcher(store, silentLogger)
  let planted: Entry[] = []
  let revision = 0
  async function plant(items: Entry[]): Promise<void> {
    planted = [...items, ...planted]
    await store.commit(
      {
        sourceId: 'planted',
        upserts: items,
        list: planted.map((e) => [e.id, Date.parse(e.published)]),
        keys: [],
        clusters: [],
        removed: [],
        state: { id: 'planted', consecutiveFailures: 0, validators: {}, itemCount: planted.length, ambiguousLinks: [], lastAttempt: POLLED_AT.toISOString(), lastSuccess: POLLED_AT.toISOString(), lastOutcome: 'ok' },
      },
      `planted-${++revision}`,
    )
    await rev.refresh()
  }
  if (options.planted !== false) await plant(HOSTILE_ITEMS)
  handler = createApp({ config, store, rev, metrics: new Metrics(), log: silentLogger, now: () => POLLED_AT })

  return {
    config,
    store,
    base,
    server,
    requests,
    plant,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await store.close()
    },
  }
}
