/**
 * One article page → its content, date and origin (issue 6): by the source's `content` selector,
 * or by readability (Mozilla's, on a linkedom DOM) when there is none. Pure: text and URL in.
 */
import { Readability } from '@mozilla/readability'
import { load, type CheerioAPI } from 'cheerio'
import { parseHTML } from 'linkedom'
import { ParseError } from '../errors.js'
import type { PageConfig } from '../model.js'
import { extractOrigin, htmlToText } from '../normalize/index.js'
import { collapse, parseField, readField } from './selector.js'

export type ArticleConfig = NonNullable<PageConfig['article']>

export interface Article {
  /** The content as found (sanitized later by normalize/, against the article's URL). */
  html: string
  /** Its plain text. */
  text: string
  /** The article's own date string, as written, when one was found. */
  dateText?: string
  /** The original publisher, from the content's `来源：` line, the date line or the page's metadata. */
  origin?: string
  /** Which way the content was taken, for `preview`. */
  via: 'selector' | 'readability'
}

/**
 * `<meta>` names that carry the publication date, in order of trust: the Open Graph article
 * property, and `PubDate`, which the national guideline for government websites (政府网站发展指引,
 * 2017) requires on every Chinese government article page, with the CMS variants seen beside it.
 */
const DATE_META = ['article:published_time', 'pubdate', 'publishdate', 'publish_date', 'dc.date.issued', 'dc.date']

/** The same guideline's `ContentSource`: the original publisher of a government article page. */
const ORIGIN_META = ['contentsource']

/**
 * Readability always returns its best candidate; on a page with no article that is a menu or a
 * footer. Below this many characters of text it found none (a short notice still has more).
 */
export const MIN_READABLE_CHARS = 30

/** Elements whose text is never article content, removed before readability scores the page. */
const NEVER_CONTENT = 'script, style, noscript, template, iframe'

function metaContent($: CheerioAPI, names: string[]): string | undefined {
  for (const name of names) {
    let found: string | undefined
    $('meta[content]').each((_, element) => {
      const meta = $(element)
      const key = (meta.attr('name') ?? meta.attr('property') ?? meta.attr('itemprop') ?? '').trim().toLowerCase()
      if (key === name) {
        found = collapse(meta.attr('content') ?? '') || undefined
        return false
      }
      return undefined
    })
    if (found !== undefined) return found
  }
  return undefined
}

export function extractArticle(html: string, url: string, config: ArticleConfig = {}, sourceId?: string): Article {
  const $ = load(html)
  $(NEVER_CONTENT).remove()
  const dateField = config.date === undefined ? undefined : parseField(config.date)
  const dateLine = dateField && readField($, $.root(), dateField)

  let content: { html: string; via: Article['via']; publishedTime?: string; byline?: string }
  if (config.content !== undefined) {
    const element = $(config.content).first()
    if (element.length === 0) {
      throw new ParseError(`page: page.article.content matched 0 elements on ${url} (selector ${JSON.stringify(config.content)}${sourceId ? `, source ${sourceId}` : ''})`)
    }
    content = { html: element.html() ?? '', via: 'selector' }
  } else {
    content = readable($.html(), url, sourceId)
  }

  const text = htmlToText(content.html)
  const dateText = dateLine ?? metaContent($, DATE_META) ?? content.publishedTime ?? undefined
  const origin =
    extractOrigin(text) ??
    (dateLine === undefined ? undefined : extractOrigin(dateLine)) ??
    (content.byline ? extractOrigin(content.byline) : undefined) ??
    originFromMeta(metaContent($, ORIGIN_META))
  return {
    html: content.html,
    text,
    ...(dateText !== undefined && { dateText }),
    ...(origin !== undefined && { origin }),
    via: content.via,
  }
}

/** The meta value read as a credit line, so `本网` and other non-publishers are refused the same way. */
function originFromMeta(value: string | undefined): string | undefined {
  return value === undefined ? undefined : extractOrigin(`来源：${value}`)
}

/** Readability's article, or a ParseError when it finds none. */
function readable(html: string, url: string, sourceId: string | undefined) {
  const { document } = parseHTML(html)
  const article = new Readability(document as unknown as Document).parse()
  const content = article?.content?.trim()
  if (!article || !content || collapse(article.textContent ?? '').length < MIN_READABLE_CHARS) throw new ParseError(`page: readability found no article on ${url}${sourceId ? ` (source ${sourceId})` : ''}`)
  return {
    html: content,
    via: 'readability' as const,
    ...(article.publishedTime && { publishedTime: article.publishedTime }),
    ...(article.byline && { byline: article.byline }),
  }
}
