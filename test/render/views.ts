/**
 * Feed views for the render tests: the realistic regional fixture and views built from the
 * hostile strings fixture, placed in every field a renderer writes.
 */
import { readFileSync } from 'node:fs'
import type { ContentMode, FeedView, PublishedItem } from '../../src/model.js'

const FIXTURES = new URL('../fixtures/render/', import.meta.url)

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T
}

/** Four items from a Chinese regional aggregator: full/summary/title modes, 来源 origins, reprints, enclosures. */
export function regionalView(): FeedView {
  return fixture<FeedView>('regional-view.json')
}

/** Named strings that break naive XML/JSON writers (control characters, lone surrogates, `]]>`…). */
export const HOSTILE: [string, string][] = Object.entries(fixture<{ strings: Record<string, string> }>('hostile-strings.json').strings)

const MODES: ContentMode[] = ['full', 'summary', 'title']

/** A 32-hex id, distinct per index, as normalize/ would give. */
export function hexId(index: number): string {
  return (index + 1).toString(16).padStart(8, '0').repeat(4)
}

/** One item whose every text field is `text`, its content mode chosen by `index`. */
export function itemWith(text: string, index: number, base: FeedView): PublishedItem {
  const id = hexId(index)
  return {
    id,
    content: MODES[index % MODES.length],
    source: { id: `src${index}`, title: `源 ${text}`, url: `https://feeds.example.cn/${index}.xml?name=${text}&x=<1>`, homepage: `https://feeds.example.cn/${index}/` },
    alsoReportedBy: [{ sourceId: 'other', sourceTitle: `亦 ${text}`, title: text, url: `https://other.example.cn/${index}?q="${text}"`, published: base.updated }],
    entry: {
      id,
      sourceId: `src${index}`,
      url: `https://news.example.cn/a/${index}.html?t=${text}&utm=1`,
      title: `标题 ${text}`,
      // As raw as clean HTML can be; only `<!…>` declarations, which sanitize-html always drops, are
      // escaped: feedparser 6.0.10 crashes on a DOCTYPE internal subset inside content.
      html: `<p>正文 ${text.replace(/<!/g, '&lt;!')}</p><p>second ${index}</p>`,
      text: `正文 ${text}\nsecond ${index}`,
      excerpt: `摘要 ${text}`,
      published: base.updated,
      firstSeen: base.updated,
      dateFrom: 'source',
      authors: [text, `作者${index}`, `reporter${index}@example.cn`],
      categories: [text, '分类'],
      enclosures: [
        { url: `https://media.example.cn/${index}.mp3`, type: text === '' ? undefined : `audio/mpeg; x="${text}"` },
        { url: `https://media.example.cn/${index}.mp4?t=${text}`, type: `video/mp4; x="${text}"`, length: index },
      ],
      image: `https://img.example.cn/${index}.jpg?t=${text}&x=<1>`,
      origin: text === '' ? undefined : `来源 ${text}`,
      contentHash: `h${index}`,
      clusterId: id,
    },
  }
}

/** The regional view's site, with one item per hostile string. */
export function hostileItemsView(): FeedView {
  const base = regionalView()
  return { ...base, items: HOSTILE.map(([, text], index) => itemWith(text, index, base)) }
}

/** Hostile strings in the feed-level fields: site title, category, disclaimer, contact. */
export function hostileFeedView(): FeedView {
  const base = regionalView()
  const all = HOSTILE.map(([, text]) => text).join(' | ')
  return {
    ...base,
    site: { ...base.site, title: `站 ${all}`, description: all },
    category: { key: 'local', title: all, description: all },
    disclaimer: { text: `声明 ${all}`, contact: `联系 ${all}` },
    items: base.items.slice(0, 2),
  }
}

/**
 * Items that carry media, as normalize/ makes them from the podcast, Atom video and Media RSS
 * photo fixtures of test/fixtures/parse: several enclosures, lengths and types known and not,
 * lead images from a thumbnail or the content, an episode titled after its file, every content mode.
 */
export function mediaView(): FeedView {
  const base = regionalView()
  const [first] = base.items
  const item = (index: number, content: ContentMode, entry: Partial<PublishedItem['entry']>): PublishedItem => {
    const id = hexId(100 + index)
    return { ...first, id, content, alsoReportedBy: [], entry: { ...first.entry, id, clusterId: id, guid: undefined, canonicalUrl: undefined, origin: undefined, ...entry } }
  }
  return {
    ...base,
    items: [
      item(0, 'full', {
        title: '第42期：秋茶上市，茶农的一天',
        url: 'https://radio.ankang.example.cn/hjyh/42.html',
        enclosures: [
          { url: 'https://media.radio.ankang.example.cn/hjyh/hjyh-042.mp3', type: 'audio/mpeg', length: 28734567 },
          { url: 'https://media.radio.ankang.example.cn/hjyh/hjyh-042.m4a', type: 'audio/mp4' },
        ],
        image: 'https://radio.ankang.example.cn/hjyh/42/cover.jpg',
      }),
      item(1, 'summary', {
        title: '汉阴县凤堰梯田迎来秋收',
        url: 'https://video.shaannan.example.cn/2024/09/19/5501.html',
        enclosures: [
          { url: 'https://cdn.shaannan.example.cn/v/5501-720p.mp4', type: 'video/mp4', length: 73400320 },
          { url: 'https://cdn.shaannan.example.cn/v/5501.mp3', type: 'audio/mpeg', length: 4194304 },
          { url: 'https://cdn.shaannan.example.cn/v/5501-subtitles.srt' },
        ],
        image: 'https://cdn.shaannan.example.cn/v/5501-poster.jpg',
      }),
      // A bonus episode with neither title nor link: titled after its file, linked to the site.
      item(2, 'full', {
        title: '特别节目-中秋.mp3',
        url: undefined,
        html: '',
        text: '',
        excerpt: '',
        enclosures: [{ url: 'https://media.radio.ankang.example.cn/hjyh/%E7%89%B9%E5%88%AB%E8%8A%82%E7%9B%AE-%E4%B8%AD%E7%A7%8B.mp3', type: 'audio/mpeg', length: 9437184 }],
      }),
      item(3, 'title', {
        title: '瀛湖晨雾',
        url: 'https://photo.ankang.example.cn/2024/09/20/yinghu.html',
        enclosures: [],
        // A lead image whose URL needs escaping in XML and encoding as a URI.
        image: 'https://img.ankang.example.cn/2024/0920/瀛湖.jpg?w=640&h=427',
      }),
      item(4, 'full', { title: '无媒体的普通新闻', enclosures: [], image: undefined }),
    ],
  }
}
