import * as cheerio from 'cheerio'
import { describe, expect, it } from 'vitest'
import { renderOpml, type OpmlOutline } from '../../src/render/opml.js'
import { xmlSafe } from '../../src/render/xml.js'
import { assertWellFormedXml } from '../helpers/validate.js'
import { HOSTILE, regionalView } from './views.js'

const view = regionalView()
const OUTLINES: OpmlOutline[] = [
  { text: '陕南新闻聚合 · 本地', title: '陕南新闻聚合 · 本地', type: 'rss', xmlUrl: 'https://news.example.org/feeds/local.rss', htmlUrl: 'https://news.example.org/', category: '/本地' },
  { text: '陕南新闻聚合 · 国内', type: 'rss', xmlUrl: 'https://news.example.org/feeds/national.rss?limit=50&source=cns-gn,gjxw' },
  ...view.items.map((item) => ({ text: item.source.title, type: 'rss' as const, xmlUrl: item.source.url, htmlUrl: item.source.homepage })),
]

function read(xml: string) {
  assertWellFormedXml(xml)
  // Line ends normalized as a conforming XML reader does (XML 1.0 §2.11); htmlparser2 does not.
  const $ = cheerio.load(xml.replace(/\r\n?/g, '\n'), { xml: true })
  return {
    version: $('opml').attr('version'),
    title: $('head > title').text(),
    ownerName: $('head > ownerName').text(),
    dateCreated: $('head > dateCreated').text(),
    outlines: $('body > outline')
      .toArray()
      .map((outline) => $(outline).attr()),
  }
}

describe('renderOpml', () => {
  it('writes an OPML 2.0 head and one outline per feed, attributes as given', () => {
    const opml = read(renderOpml({ title: view.site.title, ownerName: '陕南新闻聚合编辑部', dateCreated: new Date('2024-09-19T09:11:51Z'), outlines: OUTLINES }))
    expect(opml.version).toBe('2.0')
    expect(opml.title).toBe('陕南新闻聚合')
    expect(opml.ownerName).toBe('陕南新闻聚合编辑部')
    expect(opml.dateCreated).toBe('Thu, 19 Sep 2024 09:11:51 GMT')
    expect(opml.outlines).toEqual(OUTLINES.map((outline) => Object.fromEntries(Object.entries(outline).filter(([, value]) => value !== undefined))))
  })

  it('leaves optional head elements out and writes an empty body', () => {
    const xml = renderOpml({ title: 'empty', outlines: [] })
    expect(read(xml)).toMatchObject({ title: 'empty', ownerName: '', dateCreated: '', outlines: [] })
    expect(xml).toContain('<body/>')
  })

  it.each(HOSTILE)('stays well-formed and keeps the text of %s', (_name, text) => {
    const opml = read(renderOpml({ title: text, ownerName: text, outlines: [{ text, title: text, type: 'rss', xmlUrl: `https://x.example/?q=${text}`, category: text }] }))
    expect(opml.title).toBe(xmlSafe(text).replace(/\r\n?/g, '\n'))
    expect(opml.outlines[0]).toMatchObject({ text: xmlSafe(text), title: xmlSafe(text), category: xmlSafe(text), xmlUrl: xmlSafe(`https://x.example/?q=${text}`) })
  })
})

describe('renderOpml with extensions', () => {
  it('declares namespaces, writes namespaced head elements and nested outlines with extra attributes', () => {
    const xml = renderOpml({
      title: 't',
      namespaces: { feedloom: 'https://github.com/feedloom/feedloom/opml' },
      head: [{ name: 'feedloom:site', attributes: { url: 'https://news.example.org', description: undefined } }],
      outlines: [{ text: '本地', extra: { 'feedloom:category': 'local' }, children: [{ text: 'A & B', type: 'link', url: 'https://a.example/list.html?a=1&b=2', extra: { 'feedloom:id': 'a' } }] }],
    })
    assertWellFormedXml(xml)
    const $ = cheerio.load(xml, { xml: true })
    expect($('opml').attr('xmlns:feedloom')).toBe('https://github.com/feedloom/feedloom/opml')
    expect($('head > feedloom\\:site').attr()).toEqual({ url: 'https://news.example.org' })
    expect($('body > outline > outline').attr()).toEqual({ text: 'A & B', type: 'link', url: 'https://a.example/list.html?a=1&b=2', 'feedloom:id': 'a' })
    expect($('body > outline').attr('feedloom:category')).toBe('local')
  })
})
