import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as cheerio from 'cheerio'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli.js'
import { loadConfig } from '../../src/config/index.js'
import { OPML_NAMESPACE } from '../../src/opml.js'
import { captureIo } from '../helpers/servers.js'
import { assertWellFormedXml } from '../helpers/validate.js'

/**
 * `feedloom opml export` and `import` (issue 11 §8): a config survives export → import → export
 * unchanged, ids, every category and its title, and every source setting included; a reader's own
 * OPML (Feedly) imports as a config that loads.
 */
const ROOT = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'feedloom-opml-'))

const CONFIG = {
  site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN', description: '安康、汉中、商洛' },
  disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载。', contact: '电话：029-00000000' },
  defaults: { schedule: '*/20 * * * *', timezone: 'UTC', content: 'summary', maxItemsPerSource: 150, retentionDays: 60 },
  categories: { misc: { title: '杂项', description: '其他' }, tech: { title: '科技' }, empty: { title: '暂无来源的栏目' } },
  sources: [
    { id: 'touchnokia', title: 'TouchNokia.ru', url: 'https://touchnokia.ru/feed/', categories: ['misc', 'tech'], homepage: 'https://touchnokia.ru/' },
    { id: 'gjxw', title: '各界新闻网', url: 'https://www.sxgjxw.com/rss.xml', categories: ['tech'], encoding: 'gbk', schedule: '*/10 * * * *', timezone: 'Asia/Shanghai', content: 'full', include: ['安康', '汉江, 汉中'], exclude: ['广告'], maxItems: 80, retentionDays: 3650, fullText: true },
    {
      id: 'ankang', title: '安康市人民政府 · 要闻', url: 'https://www.ankang.gov.cn/Node-1466.html', categories: ['misc'], content: 'title', crawlDelay: 2, ignoreRobots: true,
      page: { item: 'ul.list li', title: 'a@title', link: 'a@href', date: 'span', next: 'a.next@href', pages: 2, article: { content: '#zoom' } },
    },
    { id: 'local-file', title: '本地 "文件" <源>', url: 'file:///srv/feeds/local.xml', categories: ['misc'] },
  ],
}

async function run(args: string[]): Promise<string> {
  const io = captureIo()
  const code = await main(args, io)
  expect(code, io.err()).toBe(0)
  return io.out()
}

/** `opml import` of `opml`, written where it can import `./src/config/index.js`, loaded. */
async function imported(opml: string, name: string) {
  const file = join(dir, `${name}.opml`)
  writeFileSync(file, opml)
  const text = await run(['opml', 'import', file])
  const skeleton = join(ROOT, `.tmp-${name}-${process.pid}.config.ts`)
  writeFileSync(skeleton, text)
  try {
    return { text, path: skeleton, config: await loadConfig(skeleton) }
  } catch (error) {
    rmSync(skeleton)
    throw error
  }
}

describe('opml export → import → export', () => {
  it('is the same document, and the imported config is the same config', async () => {
    const original = join(dir, 'feeds.config.json')
    writeFileSync(original, JSON.stringify(CONFIG))
    const first = await run(['opml', 'export', '--config', original])
    assertWellFormedXml(first)
    const back = await imported(first, 'roundtrip')
    try {
      const second = await run(['opml', 'export', '--config', back.path])
      expect(second).toBe(first)
      // The same config, its sources listed by first category as the export's folders hold them.
      const before = await loadConfig(original)
      const byFolder = (c: typeof before) => ({ ...c, sources: Object.keys(c.categories).flatMap((key) => c.sources.filter((s) => s.categories[0] === key)) })
      expect(back.config).toEqual(byFolder(before))
    } finally {
      rmSync(back.path)
    }
  })

  it('writes ids, every category, titles and settings as namespaced attributes, sources in folders by first category', async () => {
    const original = join(dir, 'feeds.config.json')
    writeFileSync(original, JSON.stringify(CONFIG))
    const $ = cheerio.load(await run(['opml', 'export', '--config', original]), { xml: true })
    expect($('opml').attr('xmlns:feedloom')).toBe(OPML_NAMESPACE)
    expect($('body > outline').map((_, o) => `${$(o).attr('feedloom:category')}=${$(o).attr('text')}`).get()).toEqual(['misc=杂项', 'tech=科技', 'empty=暂无来源的栏目'])
    const nokia = $('outline[feedloom\\:id=touchnokia]')
    expect(nokia.parent().attr('feedloom:category')).toBe('misc')
    expect(nokia.attr()).toMatchObject({ type: 'rss', xmlUrl: 'https://touchnokia.ru/feed/', category: 'misc,tech', htmlUrl: 'https://touchnokia.ru/' })
    // Settings the source leaves to the defaults are not repeated.
    expect(nokia.attr('feedloom:schedule')).toBeUndefined()
    expect($('outline[feedloom\\:id=gjxw]').attr()).toMatchObject({ 'feedloom:encoding': 'gbk', 'feedloom:schedule': '*/10 * * * *', 'feedloom:include': '["安康","汉江, 汉中"]', 'feedloom:retentionDays': '3650' })
    // A page source is a web page to readers, not a feed they could subscribe to.
    expect($('outline[feedloom\\:id=ankang]').attr()).toMatchObject({ type: 'link', url: 'https://www.ankang.gov.cn/Node-1466.html' })
    expect($('head > feedloom\\:defaults').attr()).toEqual({ schedule: '*/20 * * * *', timezone: 'UTC', content: 'summary', maxItemsPerSource: '150', retentionDays: '60' })
  })
})

describe('opml import of another reader’s OPML', () => {
  it('makes folders and category paths categories with their titles, titles ids, and a config that loads', async () => {
    const { config, path, text } = await imported(readFileSync(join(import.meta.dirname, '../fixtures/opml/feedly.opml'), 'utf8'), 'feedly')
    try {
      expect(text).toContain('review ids, categories and the disclaimer')
      expect(config.site.title).toBe('Zhang subscriptions in feedly Cloud')
      expect(config.sources.map((s) => [s.id, s.url])).toEqual([
        [expect.stringMatching(/^source-/), 'http://news.cnwest.com/rss/sxxw.xml'],
        [expect.stringMatching(/^source-/), 'http://www.akxw.cn/rss.xml'],
        ['touchnokia-ru', 'https://touchnokia.ru/feed/'],
        [expect.stringMatching(/^source-/), 'https://www.zaobao.com.sg/rss/realtime/china'],
      ])
      expect(config.sources[0].homepage).toBe('http://news.cnwest.com/sxxw/')
      const titles = (s: { categories: string[] }) => s.categories.map((c) => config.categories[c].title)
      expect(titles(config.sources[0])).toEqual(['陕西新闻'])
      expect(titles(config.sources[2])).toEqual(['Mobile', 'News'])
      expect(titles(config.sources[3])).toEqual(['main'])
    } finally {
      rmSync(path)
    }
  })

  it('rejects a file that is not OPML, and one with no feed in it', async () => {
    for (const [name, body, message] of [
      ['not.opml', '<html><body>hi</body></html>', 'not an OPML document'],
      ['empty.opml', '<opml version="2.0"><head/><body><outline text="x"/></body></opml>', 'no outline has an xmlUrl'],
    ]) {
      const file = join(dir, name)
      writeFileSync(file, body)
      const io = captureIo()
      expect(await main(['opml', 'import', file], io)).toBe(1)
      expect(io.err()).toContain(message)
    }
  })
})
