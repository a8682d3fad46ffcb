/**
 * Bench data in the shape of the regional corpus: items whose titles and bodies are lines of the
 * sample article in `test/fixtures/normalize/regional/` (a real 各界新闻网 story), written to a real store
 * through the same commit a poll uses.
 */
import { readFileSync } from 'node:fs'
import { resolveConfig } from '../src/config/index.js'
import type { Config, Entry } from '../src/model.js'
import { openStore, type ItemRef, type Store } from '../src/store/index.js'

const SAMPLE = new URL('../test/fixtures/normalize/regional/sample-article.txt', import.meta.url)
const FALLBACK = '汉滨区政协十六届以来，区政协党组始终坚持以党的政治建设为统领，守正创新，不断深化对政协工作特点和发展规律的认识。'
const LINES = (() => {
  try {
    return readFileSync(SAMPLE, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 10)
  } catch {
    return [FALLBACK]
  }
})()
const START_MS = Date.UTC(2024, 8, 19, 9, 11, 51)

/** The lines of the sample article that bench items are made of. */
export function benchLines(): string[] {
  return LINES
}

export function benchConfig(sources: number): Config {
  return resolveConfig({
    site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN', description: '安康、汉中、商洛地方新闻聚合' },
    disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。', contact: '电话：029-00000000' },
    defaults: { maxItemsPerSource: 10_000 },
    categories: { local: { title: '本地' }, national: { title: '国内' } },
    sources: Array.from({ length: sources }, (_, i) => ({ id: `s${i}`, title: `来源 ${i}`, url: `https://s${i}.example.cn/rss.xml`, categories: [i % 2 ? 'local' : 'national'], homepage: `https://s${i}.example.cn/` })),
  })
}

function hexId(source: number, index: number): string {
  return `${source.toString(16).padStart(8, '0')}${index.toString(16).padStart(8, '0')}`.repeat(2)
}

export function benchEntry(source: number, index: number, sources: number): Entry {
  const id = hexId(source, index)
  const line = (k: number) => LINES[(source * 7 + index * 3 + k) % LINES.length]
  const paragraphs = [0, 1, 2, 3].map((k) => line(k))
  // Sources interleave: item n of every source within the same minute, newest first.
  const published = new Date(START_MS - index * 60_000 - source * (60_000 / sources)).toISOString()
  return {
    id,
    sourceId: `s${source}`,
    url: `https://s${source}.example.cn/news/${index}.html`,
    canonicalUrl: `https://s${source}.example.cn/news/${index}.html`,
    title: line(0).slice(0, 30),
    html: paragraphs.map((p) => `<p>${p}</p>`).join(''),
    text: paragraphs.join('\n'),
    excerpt: paragraphs[0].slice(0, 120),
    published,
    firstSeen: published,
    dateFrom: 'source',
    authors: ['记者 王磊'],
    categories: ['本地'],
    enclosures: [],
    contentHash: id,
    clusterId: id,
  }
}

/** A store holding `perSource` items for each of `sources` sources, written a source at a time. */
export async function fillStore(url: string, sources: number, perSource: number): Promise<Store> {
  const store = await openStore(url)
  for (let s = 0; s < sources; s++) {
    const items = Array.from({ length: perSource }, (_, i) => benchEntry(s, i, sources))
    const list = items.map((e): ItemRef => [e.id, Date.parse(e.published)])
    await store.commit({ sourceId: `s${s}`, upserts: items, list, keys: [], clusters: [], removed: [], state: { id: `s${s}`, consecutiveFailures: 0, validators: {}, itemCount: perSource, ambiguousLinks: [] } }, `${START_MS}-${s}`)
  }
  return store
}
