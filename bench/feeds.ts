/**
 * Feeds for the ingest bench, in the shape of the regional portals feedloom aggregates: RSS 2.0
 * whose items carry a headline, a link and GUID, a zone-less `2024-09-19 17:11:51` date, and a
 * description of a few HTML paragraphs with the portal's furniture (来源 line, image, 编辑 line,
 * reprint disclaimer). The text is drawn from the characters of the real article in
 * test/fixtures/normalize/regional/ (in simplified script, as mainland portals write; the article
 * is a Hong Kong reprint), by a seeded generator, so every item of every source is a
 * distinct story (no two share their shingles by more than chance) and every run writes the same bytes.
 */
import { readFileSync } from 'node:fs'
import { convertText } from '../src/variant/index.js'

const SAMPLE = new URL('../test/fixtures/normalize/regional/sample-article.txt', import.meta.url)
/** Two-character words of the article: the vocabulary of generated text. */
const WORDS = (() => {
  const text = convertText(readFileSync(SAMPLE, 'utf8').replace(/\([a-zǎǐǒǔāēīōūáéíóúàèìòù]+\)/g, ''), 'zh-Hans')
  const han = [...text].filter((c) => /\p{Script=Han}/u.test(c))
  const words = new Set<string>()
  for (let i = 0; i + 1 < han.length; i++) words.add(han[i] + han[i + 1])
  return [...words]
})()

/** mulberry32: a small seeded generator, so a bench run is repeatable. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sentence(rng: () => number, words: number): string {
  let s = ''
  for (let i = 0; i < words; i++) s += WORDS[Math.floor(rng() * WORDS.length)] + (i % 7 === 6 ? '，' : '')
  return `${s}。`
}

export interface BenchItem {
  title: string
  link: string
  date: string
  paragraphs: string[]
}

/** Item `index` of source `source`: the same arguments give the same item. */
export function benchItem(source: number, index: number, base = Date.UTC(2024, 8, 19, 9, 11, 51)): BenchItem {
  const rng = random(source * 1_000_003 + index)
  const at = new Date(base - index * 60_000 - source * 1_000)
  // Shanghai wall-clock time, as the portals write it.
  const local = new Date(at.getTime() + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19)
  return {
    title: sentence(rng, 8).slice(0, -1),
    link: `http://s${source}.example.cn/news/2024/0919/${index}.html`,
    date: local,
    paragraphs: [sentence(rng, 30), sentence(rng, 40), sentence(rng, 30)],
  }
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The item as an RSS `<item>`: what the portals' feeds look like. */
export function itemXml(source: number, item: BenchItem, index: number): string {
  const description = [
    `<p>${item.date} 来源：各界新闻网</p>`,
    ...item.paragraphs.map((p) => `<p>${p}</p>`),
    ...(index % 3 === 0 ? [`<p><img src="/uploads/2024/09/${index}.jpg" alt=""></p>`] : []),
    '<p>编辑：孙璐莹</p>',
    '<p>以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。</p>',
  ].join('')
  return `<item><title>${escapeXml(item.title)}</title><link>${item.link}</link><guid isPermaLink="true">${item.link}</guid><pubDate>${item.date}</pubDate><author>记者 王磊</author><category>本地</category><description><![CDATA[${description}]]></description></item>`
}

/** A whole feed of `count` items of source `source`, newest first; `offset` shifts which items (a later round). */
export function feedXml(source: number, count: number, offset = 0): string {
  const items: string[] = []
  for (let i = 0; i < count; i++) items.push(itemXml(source, benchItem(source, i + offset), i + offset))
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>来源 ${source}</title><link>http://s${source}.example.cn/</link><description>地方新闻</description>${items.join('\n')}</channel></rss>\n`
}

/**
 * The node flags the `feedloom` command runs with (its `#!` line): servers the bench starts in
 * its own way (bench/server.ts) get them too, so they run under the heap budget users' do. With
 * `web`, those of the Procfile's web process instead (it polls nothing: V8's default young
 * generation, see the README's Memory). BENCH_NO_SHIPPED_FLAGS=1 starts them with node's defaults.
 */
export function shippedNodeFlags(command?: 'web'): string[] {
  if (process.env.BENCH_NO_SHIPPED_FLAGS === '1') return []
  if (command === 'web') {
    const line = readFileSync(new URL('../Procfile', import.meta.url), 'utf8').split('\n').find((l) => l.startsWith('web:'))
    const flags = /^web: node (.*) bin\/feedloom\.js web$/.exec(line ?? '')?.[1]
    if (!flags) throw new Error(`bench: the Procfile's web line is not "web: node <flags> bin/feedloom.js web": ${line}`)
    return flags.split(' ')
  }
  const line = readFileSync(new URL('../bin/feedloom.js', import.meta.url), 'utf8').split('\n')[0]
  return /^#!\/usr\/bin\/env -S node(?: (.*))?$/.exec(line)?.[1]?.split(' ') ?? []
}
