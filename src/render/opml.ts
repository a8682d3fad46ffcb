/**
 * OPML 2.0 (http://opml.org/spec2.opml) subscription lists: `/feeds.opml` and `feedloom opml
 * export`. Small enough to write with our own escaping writer.
 */
import { escapeXmlAttr, xmlElement, xmlTextElement, type XmlAttrs } from './xml.js'

export interface OpmlOutline {
  text: string
  title?: string
  /** `rss` for a subscription (with xmlUrl), `link` for a web page (with url); none for a folder. */
  type?: 'rss' | 'link'
  xmlUrl?: string
  htmlUrl?: string
  url?: string
  /** OPML 2.0 §"category": comma-separated, slash-delimited category strings. */
  category?: string
  /** Attributes of a namespace declared in {@link OpmlDocument.namespaces} (OPML 2.0 allows no others), e.g. `feedloom:id`. */
  extra?: XmlAttrs
  /** Nested outlines: the outline is then a folder. */
  children?: OpmlOutline[]
}

export interface OpmlDocument {
  title: string
  ownerName?: string
  dateCreated?: Date
  /** Namespaces the document's extra elements and attributes use: prefix → URI. */
  namespaces?: Record<string, string>
  /** Namespaced elements after the standard ones in `<head>`, empty elements with attributes. */
  head?: Array<{ name: string; attributes: XmlAttrs }>
  outlines: OpmlOutline[]
}

const INDENT = '\n    '

function outline(node: OpmlOutline, indent: string): string {
  const attributes: XmlAttrs = { text: node.text, title: node.title, type: node.type, xmlUrl: node.xmlUrl, htmlUrl: node.htmlUrl, url: node.url, category: node.category, ...node.extra }
  const children = node.children?.length ? `${node.children.map((child) => `${indent}  ${outline(child, `${indent}  `)}`).join('')}${indent}` : undefined
  return xmlElement('outline', attributes, children)
}

export function renderOpml(opts: OpmlDocument): string {
  const head = [
    xmlTextElement('title', opts.title),
    // OPML 2.0 dates are RFC 822, as in RSS.
    opts.dateCreated === undefined ? '' : xmlTextElement('dateCreated', opts.dateCreated.toUTCString()),
    opts.ownerName === undefined ? '' : xmlTextElement('ownerName', opts.ownerName),
    ...(opts.head ?? []).map((element) => xmlElement(element.name, element.attributes)),
  ].filter((line) => line !== '')
  const outlines = opts.outlines.map((node) => outline(node, INDENT))
  const namespaces = Object.entries(opts.namespaces ?? {}).map(([prefix, uri]) => ` xmlns:${prefix}="${escapeXmlAttr(uri)}"`)
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<opml version="2.0"${namespaces.join('')}>`,
    `  <head>${head.map((line) => `${INDENT}${line}`).join('')}\n  </head>`,
    outlines.length === 0 ? '  <body/>' : `  <body>${outlines.map((line) => `${INDENT}${line}`).join('')}\n  </body>`,
    '</opml>',
    '',
  ].join('\n')
}
