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
      enclosures: [{ url: `https://media.example.cn/${index}.mp3`, type: text === '' ? undefined : `audio/mpeg; x="${text}"` }],
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
