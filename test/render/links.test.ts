/**
 * Feed-level links (WebSub hub, RFC 5005 paging) and the RSS rules of the
 * W3C validator, over the regional fixture view and the hostile ones.
 */
import * as cheerio from 'cheerio'
import { describe, expect, it } from 'vitest'
import type { FeedView } from '../../src/model.js'
import { renderAtom, renderJsonFeed, renderRss } from '../../src/render/index.js'
import { atomSchematronErrors, feedparserAvailable, feedparserCheck, jingAvailable, validateAtom, validateJsonFeed } from '../helpers/validate.js'
import { rssLintErrors } from './rss-lint.js'
import { hostileFeedView, hostileItemsView, mediaView, regionalView } from './views.js'

const HUB = 'https://pubsubhubbub.appspot.com/'
const NEXT = 'https://news.example.org/feeds/local.rss?before=MTcyNjczNzUxMTAwMDphYmM'
const FIRST = 'https://news.example.org/feeds/local.rss'

/** The regional view as an older page of a paged feed, with a hub. */
function pagedView(base: FeedView = regionalView()): FeedView {
  return { ...base, site: { ...base.site, websubHub: HUB }, pages: { next: NEXT, first: FIRST } }
}

const VIEWS: [string, FeedView][] = [
  ['regional news', regionalView()],
  ['regional news, paged, with hub', pagedView()],
  ['hostile item fields, paged', pagedView(hostileItemsView())],
  ['hostile feed fields, paged', pagedView(hostileFeedView())],
  ['podcast, video and photo items, paged', pagedView(mediaView())],
]

describe('rssLintErrors', () => {
  const good = renderRss(pagedView())
  const media = renderRss(mediaView())
  it.each([
    ['a date that is not RFC 822', good.replace(/<pubDate>[^<]*<\/pubDate>/, '<pubDate>2024-09-19 17:11:51</pubDate>'), /not an RFC 822 date/],
    ['a permalink guid that is not a URL', good.replace('isPermaLink="false"', 'isPermaLink="true"'), /a permalink guid must be a full URL/],
    ['no self link', good.replace(/rel="self"/, 'rel="alternate"'), /missing <atom:link rel="self"/],
    ['an enclosure without length', good.replace(/(<enclosure[^>]*?) length="\d+"/, '$1'), /length must be a whole number/],
    ['a name in <author>', good.replace('</guid>', '</guid><author>记者 王磊</author>'), /not an e-mail address/],
    ['an undeclared prefix', good.replace('</guid>', '</guid><media:title>x</media:title>'), /unbound|prefix/i],
    ['an unknown namespace', good.replace('<rss ', '<rss xmlns:foo="http://example.org/foo/" '), /unknown namespace/],
    ['a relative media:thumbnail', media.replace(/<media:thumbnail url="[^"]*"/, '<media:thumbnail url="/t.jpg"'), /media:thumbnail: url is not an absolute/],
    ['a media:content fileSize that is no number', media.replace(/fileSize="\d+"/, 'fileSize="1.5 MB"'), /fileSize must be a whole number/],
    ['a second enclosure', media.replace('</guid>', '</guid><enclosure url="https://a.example/x.mp3" length="1" type="audio/mpeg"/>'), /more than one enclosure/],
    ['a relative source url', good.replace(/<source url="[^"]*"/, '<source url="/feeds/1.xml"'), /source: url/],
    ['a relative item link', good.replace(/<link>https:\/\/www\.sxgjxw[^<]*<\/link>/, '<link>/news/1.html</link>'), /link: not an absolute/],
  ])('reports %s', (_name, xml, message) => {
    expect(rssLintErrors(xml).join('\n')).toMatch(message)
  })
})

describe.each(VIEWS)('%s', (_name, view) => {
  const rss = renderRss(view)
  const atom = renderAtom(view)
  const json = JSON.parse(renderJsonFeed(view))

  it('RSS has no validator errors or avoidable warnings', () => {
    expect(rssLintErrors(rss)).toEqual([])
  })

  it('Atom passes the Schematron rules and JSON Feed the 1.1 schema', () => {
    expect(atomSchematronErrors(atom)).toEqual([])
    expect(validateJsonFeed(json)).toEqual([])
  })

  it.skipIf(!jingAvailable())('Atom is valid RFC 4287 for jing (skipped when Debian jing is absent)', () => {
    expect(validateAtom(atom)).toEqual([])
  })

  it.skipIf(!feedparserAvailable())('feedparser reads RSS and Atom with bozo=0 and every item (skipped without python3-feedparser)', () => {
    for (const body of [rss, atom]) {
      const read = feedparserCheck(body)
      expect(read.bozoException).toBeUndefined()
      expect(read.bozo).toBe(false)
      expect(read.entries).toHaveLength(view.items.length)
    }
  })

  it('links the hub and the pages exactly when the view has them', () => {
    const $rss = cheerio.load(rss, { xml: true })
    const $atom = cheerio.load(atom, { xml: true })
    const rssLinks = $rss('channel > atom\\:link').toArray().map((l) => [l.attribs.rel, l.attribs.href])
    const atomLinks = $atom('feed > link').toArray().map((l) => [l.attribs.rel, l.attribs.href])
    const expected: [string, string][] = [['self', view.selfUrl]]
    if (view.site.websubHub) expected.push(['hub', HUB])
    if (view.pages?.first) expected.push(['first', FIRST])
    if (view.pages?.next) expected.push(['next', NEXT], ['prev-archive', NEXT])
    expect(rssLinks).toEqual(expected)
    expect(atomLinks).toEqual([['alternate', view.site.url], ...expected])
    expect(json.next_url).toBe(view.pages?.next)
    expect(json.hubs).toEqual(view.site.websubHub ? [{ type: 'WebSub', url: HUB }] : undefined)
  })

  it('asks browsers for no stylesheet: they get an HTML page of the feed instead (issue 11)', () => {
    for (const body of [rss, atom]) expect(body).not.toContain('xml-stylesheet')
  })
})
