/**
 * The validators themselves: each must reject what it exists to catch, or the feed tests that
 * rely on them could never fail.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { Feed } from 'feed'
import { describe, expect, it } from 'vitest'
import { renderAtom } from '../../src/render/atom.js'
import {
  assertWellFormedXml,
  atomSchematronErrors,
  feedparserAvailable,
  feedparserCheck,
  jingAvailable,
  validateAtom,
  validateJsonFeed,
} from '../helpers/validate.js'
import { regionalView } from './views.js'

const JSON_EXAMPLES = new URL('../fixtures/jsonfeed/examples/', import.meta.url)
const ATOM = renderAtom({ ...regionalView(), items: regionalView().items.slice(0, 1) })

/** What `feed` 6.0.0 writes on its own for a title with two `]]>` and a `<` in an attribute. */
function brokenByFeed(): string {
  const feed = new Feed({ title: 'x', id: 'https://example.org/', link: 'https://example.org/' })
  feed.addItem({ title: 'a ]]> b ]]> c', link: 'https://example.org/1', date: new Date(0), category: [{ term: '<b>' }] })
  return feed.rss2()
}

describe('assertWellFormedXml', () => {
  it.each([
    ['feed 6.0.0 output for hostile strings', brokenByFeed()],
    ['an undeclared prefix', '<rss><channel><dc:creator>x</dc:creator></channel></rss>'],
    ['a control character', '<a>\u0001</a>'],
    ['an unclosed element', '<a><b></a>'],
  ])('rejects %s with line and column', (_name, xml) => {
    expect(() => assertWellFormedXml(xml)).toThrow(/^xml: line \d+, column \d+: /)
  })

  it('accepts our Atom', () => {
    expect(() => assertWellFormedXml(ATOM)).not.toThrow()
  })
})

describe.skipIf(!jingAvailable())('validateAtom (skipped when Debian jing is absent)', () => {
  it('rejects an entry without id and a feed without updated', () => {
    const broken = ATOM.replace(/<id>urn:uuid:[^<]*<\/id>/, '').replace(/<updated>[^<]*<\/updated>/, '')
    const errors = validateAtom(broken)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.join('\n')).toMatch(/feed\.atom:\d+:\d+: error: /)
  })

  it('accepts our Atom', () => {
    expect(validateAtom(ATOM)).toEqual([])
  })
})

describe('atomSchematronErrors', () => {
  it('reports an entry with neither author (own, source or feed) nor alternate link nor content', () => {
    const broken = ATOM.replace(/<author>[\s\S]*?<\/author>/g, '')
      .replace(/<link href="[^"]*"\/>/g, '')
      .replace(/<link rel="alternate"[^>]*\/>/g, '')
      .replace(/<content[\s\S]*?<\/content>/, '')
    expect(atomSchematronErrors(broken)).toEqual([
      'entry 1: an atom:entry must have an atom:author if its feed does not',
      'entry 1: an atom:entry must have a link rel="alternate" or an atom:content',
    ])
  })

  it('accepts an author given only inside the entry source', () => {
    const sourceAuthor = ATOM.replace(/<author>[\s\S]*?<\/author>/g, '').replace('<source>', '<source><author><name>各界新闻网</name></author>')
    expect(atomSchematronErrors(sourceAuthor)).toEqual([])
  })
})

describe('validateJsonFeed', () => {
  it.each(readdirSync(JSON_EXAMPLES).map((name) => [name]))('accepts the JSON Feed 1.1 example %s', (name) => {
    expect(validateJsonFeed(JSON.parse(readFileSync(new URL(name, JSON_EXAMPLES), 'utf8')))).toEqual([])
  })

  it.each([
    ['an item without id', { version: 'https://jsonfeed.org/version/1.1', title: 't', items: [{ content_html: '<p>x</p>' }] }],
    ['an item without content', { version: 'https://jsonfeed.org/version/1.1', title: 't', items: [{ id: '1' }] }],
    ['an unprefixed extension', { version: 'https://jsonfeed.org/version/1.1', title: 't', feedloom: {}, items: [] }],
    ['a URL that is not an RFC 3986 URI', { version: 'https://jsonfeed.org/version/1.1', title: 't', home_page_url: 'https://a.example/x?y=[1]', items: [] }],
    ['a bad date', { version: 'https://jsonfeed.org/version/1.1', title: 't', items: [{ id: '1', content_html: '', date_published: '2024-09-19 17:11:51' }] }],
  ])('rejects %s', (_name, json) => {
    expect(validateJsonFeed(json)).not.toEqual([])
  })
})

describe.skipIf(!feedparserAvailable())('feedparserCheck (skipped when Debian python3-feedparser is absent)', () => {
  it('flags broken XML as bozo', () => {
    const result = feedparserCheck(brokenByFeed())
    expect(result.bozo).toBe(true)
    expect(result.bozoException).toBeTruthy()
  })

  it('reads our Atom entry', () => {
    expect(feedparserCheck(ATOM)).toMatchObject({ bozo: false, version: 'atom10', entries: [{ id: 'urn:uuid:3f9c2a1b-7d4e-5f60-a1b2-c3d4e5f60718' }] })
  })
})
