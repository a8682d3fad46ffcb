import { describe, expect, it } from 'vitest'
import type { FeedView, PublishedItem } from '../../src/model.js'
import { footerHtml, itemContentHtml, publishedId, renderAtom, renderJsonFeed, renderRss } from '../../src/render/index.js'
import { absoluteUrl, attachments } from '../../src/render/view.js'
import { escapeHtml, xmlSafe } from '../../src/render/xml.js'
import {
  assertWellFormedXml,
  atomSchematronErrors,
  feedparserAvailable,
  feedparserCheck,
  jingAvailable,
  validateAtom,
  validateJsonFeed,
} from '../helpers/validate.js'
import { htmlText, readFeed, type Format } from './read.js'
import { hostileFeedView, hostileItemsView, mediaView, regionalView } from './views.js'

const RENDER: Record<Format, (view: FeedView) => string> = { rss: renderRss, atom: renderAtom, json: renderJsonFeed }
const FORMATS = Object.keys(RENDER) as Format[]

const VIEWS: [string, FeedView][] = [
  ['regional news', regionalView()],
  ['hostile item fields', hostileItemsView()],
  ['hostile feed fields', hostileFeedView()],
  ['podcast, video and photo items', mediaView()],
]
const CASES = VIEWS.flatMap(([name, view]) => FORMATS.map((format) => ({ name, view, format, body: RENDER[format](view) })))
const XML_CASES = CASES.filter((c) => c.format !== 'json')
const ATOM_CASES = CASES.filter((c) => c.format === 'atom')

/** A string as a reader gets it back: XML-illegal characters gone, and in XML line ends normalized (XML 1.0 §2.11). */
function asRead(format: Format, value: string): string {
  const safe = xmlSafe(value)
  return format === 'json' ? safe : safe.replace(/\r\n?/g, '\n')
}

/** Lines of the item's text that only its body holds: none may appear in `summary` or `title` mode. */
function bodyOnlyLines(item: PublishedItem, format: Format, view: FeedView): string[] {
  const elsewhere = [item.entry.title, item.entry.excerpt, footerHtml(item, view.disclaimer, view.site.language), htmlText(footerHtml(item, view.disclaimer, view.site.language))].map((s) => asRead(format, s))
  return item.entry.text
    .split('\n')
    .map((line) => asRead(format, line).trim())
    .filter((line) => line.length >= 6 && !elsewhere.some((other) => other.includes(line)))
}

describe.each(CASES)('$format of $name', ({ view, format, body }) => {
  const feed = readFeed(format, body)

  it('renders the same bytes every time', () => {
    expect(RENDER[format](view)).toBe(body)
  })

  it('has every item once, with id publishedId(item.id), its title and its link (its page here when the source gave none)', () => {
    expect(feed.items.map((item) => item.id)).toEqual(view.items.map((item) => publishedId(item.id)))
    expect(feed.items.map((item) => item.title)).toEqual(view.items.map((item) => asRead(format, item.entry.title)))
    const page = (id: string) => `${view.site.url.replace(/\/+$/, '')}/items/${publishedId(id).slice('urn:uuid:'.length)}`
    expect(feed.items.map((item) => item.link)).toEqual(view.items.map((item) => (item.entry.url ? absoluteUrl(item.entry.url) : page(item.id))))
  })

  it('carries every enclosure and the lead image (SPEC §8)', () => {
    // RSS allows one <enclosure>, which must state its length (0 when unknown); the rest are
    // media:content, Atom links and JSON attachments, which state a length only when it is known.
    const expected = (item: PublishedItem) =>
      attachments(item).map((file, index) => ({ url: file.url, type: file.type, ...((file.length > 0 || (format === 'rss' && index === 0)) && { length: file.length }) }))
    expect(feed.items.map((item) => item.enclosures)).toEqual(view.items.map(expected))
    expect(feed.items.map((item) => item.image)).toEqual(view.items.map((item) => absoluteUrl(item.entry.image)))
  })

  it('is titled after the site and the category', () => {
    expect(feed.title).toContain(asRead(format, view.site.title))
    expect(feed.title).toContain(asRead(format, view.category.title))
  })

  it('carries the disclaimer and contact at feed level', () => {
    expect(feed.rights).toContain(asRead(format, view.disclaimer.text))
    expect(feed.rights).toContain(asRead(format, view.disclaimer.contact ?? ''))
  })

  it.each(view.items.map((item, index) => ({ item, index, mode: item.content })))('item $index ($mode): content and footer exactly as itemContentHtml, with the disclaimer', ({ item, index }) => {
    const read = feed.items[index]
    expect(read.contentHtml).toBe(asRead(format, itemContentHtml(item, view.disclaimer, view.site.language)))
    expect(read.contentHtml).toContain(asRead(format, escapeHtml(view.disclaimer.text)))
    expect(read.contentHtml).toContain(asRead(format, escapeHtml(item.entry.origin ?? item.source.title)))
    if (format === 'atom') expect(read.rights).toContain(asRead(format, view.disclaimer.text))
  })

  it.each(view.items.map((item, index) => ({ item, index })))('item $index names its source', ({ item, index }) => {
    const { source } = feed.items[index]
    expect(source.title).toBe(asRead(format, item.source.title))
    expect(source.url).toBe(absoluteUrl(item.source.url))
    if (format !== 'rss') expect(source.id).toBe(format === 'json' ? item.source.id : absoluteUrl(item.source.url))
  })

  it.each(view.items.map((item, index) => ({ item, index })).filter(({ item }) => item.content !== 'full'))(
    'item $index ($item.content mode) holds no body text',
    ({ item, index }) => {
      const read = feed.items[index]
      const body = bodyOnlyLines(item, format, view)
      expect(body.length).toBeGreaterThan(0)
      for (const line of body) expect(read.everything).not.toContain(line)
      if (item.content === 'summary') {
        expect(read.summary).toBe(asRead(format, item.entry.excerpt))
        expect(read.contentHtml).not.toContain(asRead(format, item.entry.html))
      } else {
        expect(read.summary).toBeUndefined()
        expect(read.everything).not.toContain(asRead(format, item.entry.excerpt))
      }
    },
  )
})

describe.each(XML_CASES)('$format of $name as XML', ({ body, format }) => {
  it('is well-formed, namespaces included (saxes)', () => {
    expect(() => assertWellFormedXml(body)).not.toThrow()
  })

  it.skipIf(!feedparserAvailable())('is read by feedparser with no error (skipped when Debian python3-feedparser is absent)', () => {
    const result = feedparserCheck(body)
    expect(result.bozoException).toBeUndefined()
    expect(result.bozo).toBe(false)
    expect(result.version).toBe(format === 'rss' ? 'rss20' : 'atom10')
    const ours = readFeed(format, body).items
    expect(result.entries.map((entry) => entry.id)).toEqual(ours.map((item) => item.id))
    // feedparser guesses that RSS <link> text holding `&name;` is HTML and mangles those entities;
    // such links (only in the hostile views) are only required to be present.
    const entityLike = /&[A-Za-z#][A-Za-z0-9]*;/
    expect(result.entries.map((entry) => entry.link)).toEqual(ours.map((item) => (entityLike.test(item.link) ? expect.stringMatching(/^https:/) : item.link)))
    // feedparser trims titles and keeps Atom type="html" titles as HTML.
    const titles = result.entries.map((entry) => (format === 'atom' ? htmlText(entry.title) : entry.title))
    expect(titles).toEqual(ours.map((item) => item.title.trim()))
    for (const entry of result.entries) expect(entry.published).toBeTruthy()
    // Media as feedparser sees it: every file (RSS: the first as <enclosure>, the rest as media:content) and the thumbnail.
    const files = ours.map((item) => item.enclosures.map((file) => file.url))
    expect(result.entries.map((entry) => [...entry.enclosures, ...entry.mediaContent])).toEqual(files)
    expect(result.entries.map((entry) => entry.thumbnail)).toEqual(ours.map((item) => item.image))
  })
})

describe.each(ATOM_CASES)('atom of $name against RFC 4287', ({ body }) => {
  it.skipIf(!jingAvailable())('is valid against the Appendix B grammar (jing; skipped when Debian jing is absent)', () => {
    expect(validateAtom(body)).toEqual([])
  })

  it('keeps the Schematron rules jing skips: an author and a link for every entry', () => {
    expect(atomSchematronErrors(body)).toEqual([])
  })
})

describe.each(CASES.filter((c) => c.format === 'json'))('json of $name', ({ body, view }) => {
  const json = JSON.parse(body) as {
    version: string
    _feedloom: unknown
    items: { _feedloom: { origin?: string; content_mode: string; also_reported_by: { source_id: string; source_title: string }[] }; attachments?: { mime_type: string }[] }[]
  }

  it('is valid against the JSON Feed 1.1 schema', () => {
    expect(json.version).toBe('https://jsonfeed.org/version/1.1')
    expect(validateJsonFeed(json)).toEqual([])
  })

  it('keeps feedloom data under _feedloom: disclaimer, origin, reprints, content mode', () => {
    expect(json._feedloom).toEqual({ disclaimer: { text: xmlSafe(view.disclaimer.text), contact: view.disclaimer.contact && xmlSafe(view.disclaimer.contact) } })
    expect(json.items.map((item) => item._feedloom.content_mode)).toEqual(view.items.map((item) => item.content))
    expect(json.items.map((item) => item._feedloom.origin)).toEqual(view.items.map((item) => item.entry.origin && xmlSafe(item.entry.origin)))
    expect(json.items.map((item) => item._feedloom.also_reported_by.map((other) => [other.source_id, other.source_title]))).toEqual(
      view.items.map((item) => item.alsoReportedBy.map((other) => [other.sourceId, xmlSafe(other.sourceTitle)])),
    )
  })
})

describe('regional feed details', () => {
  const view = regionalView()
  const rss = renderRss(view)
  const atom = renderAtom(view)
  const json = JSON.parse(renderJsonFeed(view)) as { items: { attachments?: { url: string; mime_type: string; size_in_bytes?: number }[]; tags?: string[]; authors?: { name: string }[] }[] }

  it('declares the atom namespace for the RSS self link and names feedloom as generator', () => {
    expect(rss).toContain('xmlns:atom="http://www.w3.org/2005/Atom"')
    expect(rss).toContain(`<atom:link href="${view.selfUrl.replace(/&/g, '&amp;')}" rel="self" type="application/rss+xml"/>`)
    expect(rss).toContain('<generator>feedloom</generator>')
    expect(rss).toContain('<language>zh-CN</language>')
    expect(atom).toContain('<generator>feedloom</generator>')
    expect(atom).toContain('xml:lang="zh-CN"')
  })

  it('writes guids as non-permalinks and the RFC 822 date of entry.published', () => {
    expect(rss).toContain('<guid isPermaLink="false">urn:uuid:3f9c2a1b-7d4e-5f60-a1b2-c3d4e5f60718</guid>')
    expect(rss).toContain('<pubDate>Thu, 19 Sep 2024 09:11:51 GMT</pubDate>')
    expect(atom).toContain('<published>2024-09-19T05:48:00.000Z</published>')
    expect(atom).toContain('<updated>2024-09-19T06:10:00.000Z</updated>')
  })

  it('gives RSS enclosures both length and type, with 0 and application/octet-stream when unknown', () => {
    expect(rss).toContain('<enclosure length="184320" type="image/jpeg" url="https://www.sxgjxw.com/images/2024-09/19/hbzx_01.jpg"/>')
    expect(rss).toContain('<enclosure length="0" type="application/octet-stream" url="https://www.ankang.gov.cn/uploadfiles/2024/09/fxddh.mp3"/>')
    expect(atom).toContain('<link rel="enclosure" href="https://www.sxgjxw.com/images/2024-09/19/hbzx_01.jpg" type="image/jpeg" length="184320"/>')
    expect(json.items[0].attachments).toEqual([{ url: 'https://www.sxgjxw.com/images/2024-09/19/hbzx_01.jpg', mime_type: 'image/jpeg', size_in_bytes: 184320 }])
  })

  it('writes names as dc:creator and categories as tags', () => {
    expect(rss).toContain('<dc:creator>龐浩楠</dc:creator>')
    expect(rss).toContain('<dc:creator>唐冰</dc:creator>')
    expect(rss).not.toContain('<author>')
    expect(json.items[0].authors).toEqual([{ name: '龐浩楠' }, { name: '李東' }, { name: '唐冰' }])
    expect(json.items[0].tags).toEqual(['政协', '汉滨区'])
  })

  it('puts email authors in RSS <author> and names in dc:creator', () => {
    const item = { ...view.items[0], entry: { ...view.items[0].entry, authors: ['editor@sxgjxw.com', '孙璐莹'] } }
    const out = renderRss({ ...view, items: [item] })
    expect(out).toContain('<author>editor@sxgjxw.com</author>')
    expect(out).toContain('<dc:creator>孙璐莹</dc:creator>')
    expect(out).not.toContain('<dc:creator>editor@sxgjxw.com</dc:creator>')
  })
})
