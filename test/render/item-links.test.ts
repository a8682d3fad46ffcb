/**
 * Every headline we publish links somewhere useful (SPEC §7, issue 11 §1): an item whose source
 * gave no usable link (none, or a `javascript:` one) links to its page on this site in every
 * format, and JSON Feed items carry `_feedloom.page`. Read back with our format readers.
 */
import { describe, expect, it } from 'vitest'
import type { FeedView } from '../../src/model.js'
import { publishedId, renderAtom, renderJsonFeed, renderRss } from '../../src/render/index.js'
import { validateJsonFeed } from '../helpers/validate.js'
import { readFeed } from './read.js'
import { rssLintErrors } from './rss-lint.js'
import { regionalView } from './views.js'

const base = regionalView()
const page = (id: string) => `https://news.example.org/items/${publishedId(id).slice('urn:uuid:'.length)}`

/** The regional view with one item per kind of link a source may give. */
const LINKS: Array<[name: string, url: string | undefined, expected: (id: string) => string]> = [
  ['an article URL', 'https://www.sxgjxw.com/news/2024-09/19/content_31415926.htm', () => 'https://www.sxgjxw.com/news/2024-09/19/content_31415926.htm'],
  ['no link', undefined, page],
  ['a javascript: link', 'javascript:alert(4)', page],
  ['a data: link', 'data:text/html,<script>alert(1)</script>', page],
  ['a mailto: link', 'mailto:editor@example.org', page],
]
const view: FeedView = { ...base, items: LINKS.map(([, url], i) => ({ ...base.items[i % base.items.length], id: `${'0'.repeat(31)}${i}`, entry: { ...base.items[i % base.items.length].entry, url } })) }

describe.each(['rss', 'atom', 'json'] as const)('%s', (format) => {
  const body = { rss: renderRss, atom: renderAtom, json: renderJsonFeed }[format](view)
  const read = readFeed(format, body)

  it.each(LINKS.map(([name, , expected], i) => [name, i, expected] as const))('an item with %s links to %s', (_name, i, expected) => {
    expect(read.items[i].link).toBe(expected(view.items[i].id))
  })

  it('never names a non-web link anywhere', () => {
    expect(body).not.toMatch(/javascript:|data:text|mailto:editor/)
  })
})

describe('JSON Feed _feedloom.page', () => {
  const json = JSON.parse(renderJsonFeed(view))

  it('is every item’s absolute page URL, its published uuid after /items/', () => {
    expect(json.items.map((item: { _feedloom: { page: string } }) => item._feedloom.page)).toEqual(view.items.map((item) => page(item.id)))
    expect(validateJsonFeed(json)).toEqual([])
  })

  it('keeps RSS valid with page links', () => {
    expect(rssLintErrors(renderRss(view))).toEqual([])
  })
})
