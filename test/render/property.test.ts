import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FeedView } from '../../src/model.js'
import { renderAtom, renderAtomBytes, renderJsonFeed, renderRss, renderRssBytes } from '../../src/render/index.js'
import { xmlSafe } from '../../src/render/xml.js'
import { assertWellFormedXml, atomSchematronErrors, jingAvailable, validateAtom, validateJsonFeed } from '../helpers/validate.js'
import { rssLintErrors } from './rss-lint.js'
import { itemWith, regionalView } from './views.js'

/** Pieces that break naive XML, HTML and JSON writers, mixed with ordinary text by {@link markupText}. */
const MARKUP = ['<', '>', '&', '&amp;', '&#0;', ']]>', '<![CDATA[', '<!--', '-->', '<?xml-stylesheet?>', '"', "'", '<script>alert(1)</script>', '<b onclick="x">', '\u0000', '\u0008', '\u001b', '\u0085', '\ufffe', '\ud800', '\u2028', '\r\n', '\t', 'a@b.cn', '新闻']

/** Any Unicode: whole code points, or single UTF-16 units (lone surrogates included), or markup and controls mixed in. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 40 }),
  fc.array(fc.oneof(fc.constantFrom(...MARKUP), fc.string({ maxLength: 6 })), { maxLength: 12 }).map((parts) => parts.join('')),
)

const itemText = fc.record({ title: anyText, html: anyText, excerpt: anyText, category: anyText, author: anyText, origin: anyText })
type ItemText = typeof itemText extends fc.Arbitrary<infer T> ? T : never

const regional = regionalView()
/** With a hub and paging links, so every feed-level addition is exercised too. */
const base: FeedView = {
  ...regional,
  site: { ...regional.site, websubHub: 'https://hub.example.net/' },
  pages: { next: 'https://news.example.org/feeds/local.rss?before=MTIzOmFi', first: 'https://news.example.org/feeds/local.rss' },
}

/** A view whose items carry the generated strings in every field the renderers write. */
function viewOf(texts: ItemText[]): FeedView {
  return {
    ...base,
    items: texts.map((text, index) => {
      const item = itemWith('', index, base)
      return {
        ...item,
        source: { ...item.source, title: text.origin },
        entry: {
          ...item.entry,
          title: text.title,
          html: `<p>${text.html.replace(/<!/g, '&lt;!')}</p>`,
          excerpt: text.excerpt,
          categories: [text.category],
          authors: [text.author],
          origin: text.origin,
        },
      }
    }),
  }
}

describe('any Unicode in titles, content, categories, authors and origins', () => {
  it('gives well-formed RSS and Atom and schema-valid JSON Feed', () => {
    fc.assert(
      fc.property(fc.array(itemText, { minLength: 1, maxLength: 3 }), (texts) => {
        const view = viewOf(texts)
        const rss = renderRss(view)
        assertWellFormedXml(rss)
        expect(rssLintErrors(rss)).toEqual([])
        const atom = renderAtom(view)
        assertWellFormedXml(atom)
        expect(atomSchematronErrors(atom)).toEqual([])
        // What the web layer sends: the same documents, encoded piece by piece.
        expect(renderRssBytes(view).toString('utf8')).toBe(rss)
        expect(renderAtomBytes(view).equals(Buffer.from(atom, 'utf8'))).toBe(true)
        const json = JSON.parse(renderJsonFeed(view)) as { items: { title: string }[] }
        expect(validateJsonFeed(json)).toEqual([])
        expect(json.items.map((item) => item.title)).toEqual(texts.map((text) => xmlSafe(text.title)))
      }),
      { numRuns: 100 },
    )
  })

  // One jing run over many generated entries: a JVM per property run would take minutes.
  it.skipIf(!jingAvailable())('gives Atom that jing accepts (skipped when Debian jing is absent)', () => {
    const view = viewOf(fc.sample(itemText, { numRuns: 100, seed: 4287 }))
    expect(validateAtom(renderAtom(view))).toEqual([])
  })
})
