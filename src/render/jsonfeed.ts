/**
 * JSON Feed 1.1 (https://jsonfeed.org/version/1.1) by our own serializer: `feed` writes only 1.0.
 * Our additions live under `_feedloom` objects, the spec's extension mechanism.
 */
import type { FeedView, PublishedItem } from '../model.js'
import { itemContentHtml } from './footer.js'
import { publishedId } from './ids.js'
import { absoluteUrl, attachments, feedDescription, feedLinks, feedTitle, itemDates, itemLink, itemPage, itemSummary, nonEmpty, siteUrl } from './view.js'
import { xmlSafe } from './xml.js'

export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1'

function jsonItem(item: PublishedItem, view: FeedView): Record<string, unknown> {
  const { entry, source } = item
  const { published, updated } = itemDates(item, view)
  const authors = nonEmpty(entry.authors)
  const tags = nonEmpty(entry.categories)
  const files = attachments(item)
  return {
    id: publishedId(item.id),
    url: itemLink(item, view),
    title: entry.title,
    content_html: itemContentHtml(item, view.disclaimer, view.site.language),
    summary: itemSummary(item),
    image: absoluteUrl(entry.image),
    date_published: published.toISOString(),
    date_modified: updated.toISOString(),
    authors: authors.length > 0 ? authors.map((name) => ({ name })) : undefined,
    tags: tags.length > 0 ? tags : undefined,
    attachments: files.length > 0 ? files.map((file) => ({ url: file.url, mime_type: file.type, size_in_bytes: file.length || undefined })) : undefined,
    _feedloom: {
      source: { id: source.id, title: source.title, url: absoluteUrl(source.url) ?? source.url, home_page_url: absoluteUrl(source.homepage) },
      origin: entry.origin,
      also_reported_by: item.alsoReportedBy.map((other) => ({
        source_id: other.sourceId,
        source_title: other.sourceTitle,
        title: other.title,
        url: absoluteUrl(other.url),
        date_published: other.published,
      })),
      content_mode: item.content,
      page: itemPage(item, view),
    },
  }
}

/**
 * Same strings as the XML formats: characters XML forbids (lone surrogates, C0 controls) are
 * dropped here too, so one item reads the same in every format and no reader chokes on them.
 */
function sameTextAsXml(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? xmlSafe(value) : value
}

export function renderJsonFeed(view: FeedView): string {
  const links = feedLinks(view)
  const hubs = links.filter((link) => link.rel === 'hub').map((link) => ({ type: 'WebSub', url: link.href }))
  const feed = {
    version: JSON_FEED_VERSION,
    title: feedTitle(view),
    home_page_url: siteUrl(view),
    feed_url: absoluteUrl(view.selfUrl),
    // JSON Feed 1.1 "next_url": the older page, the same one RSS and Atom call rel="next".
    next_url: links.find((link) => link.rel === 'next')?.href,
    description: feedDescription(view),
    language: view.site.language,
    authors: [{ name: view.site.title, url: siteUrl(view) }],
    hubs: hubs.length > 0 ? hubs : undefined,
    _feedloom: { disclaimer: { text: view.disclaimer.text, contact: view.disclaimer.contact } },
    items: view.items.map((item) => jsonItem(item, view)),
  }
  return JSON.stringify(feed, sameTextAsXml, 2)
}
