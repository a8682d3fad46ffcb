/**
 * OPML 2.0 (http://opml.org/spec2.opml) subscription lists: `/feeds.opml` and `feedloom opml
 * export`. Small enough to write with our own escaping writer.
 */
import { xmlElement, xmlTextElement } from './xml.js'

export interface OpmlOutline {
  text: string
  title?: string
  type: 'rss'
  xmlUrl: string
  htmlUrl?: string
  /** OPML 2.0 §"category": comma-separated, slash-delimited category strings. */
  category?: string
}

export interface OpmlDocument {
  title: string
  ownerName?: string
  dateCreated?: Date
  outlines: OpmlOutline[]
}

const INDENT = '\n    '

export function renderOpml(opts: OpmlDocument): string {
  const head = [
    xmlTextElement('title', opts.title),
    // OPML 2.0 dates are RFC 822, as in RSS.
    opts.dateCreated === undefined ? '' : xmlTextElement('dateCreated', opts.dateCreated.toUTCString()),
    opts.ownerName === undefined ? '' : xmlTextElement('ownerName', opts.ownerName),
  ].filter((line) => line !== '')
  const outlines = opts.outlines.map((outline) =>
    xmlElement('outline', {
      text: outline.text,
      title: outline.title,
      type: outline.type,
      xmlUrl: outline.xmlUrl,
      htmlUrl: outline.htmlUrl,
      category: outline.category,
    }),
  )
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<opml version="2.0">',
    `  <head>${head.map((line) => `${INDENT}${line}`).join('')}\n  </head>`,
    outlines.length === 0 ? '  <body/>' : `  <body>${outlines.map((line) => `${INDENT}${line}`).join('')}\n  </body>`,
    '</opml>',
    '',
  ].join('\n')
}
