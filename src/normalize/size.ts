/**
 * Size limits on what one item may carry (issue 12 §5), so that one broken or hostile source
 * cannot bloat every feed, page and widget it appears in: a 1 MB `<title>` was republished whole.
 * Each cut keeps the text readable (never inside a grapheme) and the HTML well-formed.
 */
import { createRequire } from 'node:module'
import type { CheerioAPI } from 'cheerio/slim'
import { excerpt, graphemes } from './text.js'

/**
 * Characters (graphemes) a title keeps. The longest real headlines, Chinese government notices
 * included, stay under 200; past 1,000 a "title" is a body or a page pasted into the wrong element.
 */
export const MAX_TITLE_CHARS = 1000

/**
 * Characters of sanitized content HTML an item keeps. Long-form articles with dozens of figures
 * run to about 100 KB of HTML; past 256 Ki it is a whole site or book in one item, and every
 * feed that lists it would carry it to every subscriber on every poll.
 */
export const MAX_CONTENT_HTML_CHARS = 256 * 1024

/**
 * Characters of raw markup handed to the sanitizer. Word-processor HTML shrinks several times
 * once styles and attributes go, so this leaves room for a full item; beyond it the sanitizer's
 * work would be spent on what the content cap then drops.
 */
export const MAX_RAW_HTML_CHARS = 4 * MAX_CONTENT_HTML_CHARS

/** The title within {@link MAX_TITLE_CHARS}, cut after a sentence or word where one is near, with `…`. */
export function capTitle(title: string): string {
  return excerpt(title, MAX_TITLE_CHARS)
}

/**
 * Raw markup within {@link MAX_RAW_HTML_CHARS}, cut before the last tag that starts inside the
 * limit: the sanitizer then closes whatever the cut left open.
 */
export function precutHtml(markup: string): string {
  if (markup.length <= MAX_RAW_HTML_CHARS) return markup
  const lastTag = markup.lastIndexOf('<', MAX_RAW_HTML_CHARS)
  return markup.slice(0, lastTag > 0 ? lastTag : MAX_RAW_HTML_CHARS)
}

/** The part of a parsed node this module reads and writes (domhandler's shape). */
interface DomNode {
  type: string
  data?: string
  children?: DomNode[]
  next?: DomNode | null
}

const ELLIPSIS = '…'
/** How `cheerio` writes a character of text (`encodeEntities: 'utf8'` escapes only these). */
const ESCAPED: Record<string, number> = { '&': 5, '<': 4, '>': 4, '\u00a0': 6 }

/** `text` cut to what, escaped and followed by `…`, takes at most `budget` characters. */
function cutText(text: string, budget: number): string {
  let size = ELLIPSIS.length
  let kept = ''
  for (const grapheme of graphemes(text)) {
    size += ESCAPED[grapheme] ?? grapheme.length
    if (size > budget) break
    kept += grapheme
  }
  return kept.trimEnd() + ELLIPSIS
}

/**
 * Keeps `nodes` in order while they fit in `budget` serialized characters; the first that does
 * not is cut inside (an element keeps its tags and as many children as fit, a text its first
 * graphemes and `…`) or, when even that cannot fit, replaced by `…`; the rest go.
 */
function fit($: CheerioAPI, nodes: DomNode[], budget: number): void {
  let left = budget
  for (const [index, node] of nodes.entries()) {
    const size = $.html(node as never).length
    if (size <= left) {
      left -= size
      continue
    }
    // The rest go at once: removing siblings one by one would shift the array each time.
    nodes.splice(index + 1)
    node.next = null
    const tags = node.type === 'tag' ? size - ($(node as never).html() ?? '').length : size
    if (node.type === 'text' && left > ELLIPSIS.length) node.data = cutText(node.data ?? '', left)
    else if (node.children?.length && left - tags > ELLIPSIS.length) fit($, node.children, left - tags)
    else $(node as never).replaceWith(ELLIPSIS)
    return
  }
}

/**
 * Sanitized HTML within {@link MAX_CONTENT_HTML_CHARS}: cut at an element boundary, or inside the
 * one text where the limit falls, and serialized again from the tree, so every element it opens
 * it closes.
 */
export function capHtml(html: string): string {
  if (html.length <= MAX_CONTENT_HTML_CHARS) return html
  // Loaded the first time a content is this long: most processes never need it.
  const { load } = createRequire(import.meta.url)('cheerio/slim') as typeof import('cheerio/slim')
  const $ = load(html, { xml: { xmlMode: false, decodeEntities: true, encodeEntities: 'utf8' } }, false)
  fit($, ($.root()[0] as unknown as DomNode).children ?? [], MAX_CONTENT_HTML_CHARS)
  return $.html()
}
