/**
 * RSS 2.0 (https://www.rssboard.org/rss-specification) through the `feed` package, with every
 * string passed as an {@link XmlSlots} placeholder so `feed`'s escaping never touches it.
 */
import { Feed, type Extension, type Item } from 'feed'
import type { FeedView, PublishedItem } from '../model.js'
import { itemContentHtml } from './footer.js'
import { publishedId } from './ids.js'
import { AppError } from '../errors.js'
import { absoluteUrl, attachments, type Attachment, feedDescription, feedLinks, feedTitle, feedUpdated, GENERATOR, itemDates, itemLink, itemSummary, nonEmpty, rightsText, siteUrl } from './view.js'
import { declareNamespace, escapeHtml, MEDIA_NAMESPACE, xmlElement, XmlSlots } from './xml.js'

/** RSS `<author>` must be an email address (RSS 2.0 spec, "author"); names go to `dc:creator`. */
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/

function rssItem(item: PublishedItem, view: FeedView, slots: XmlSlots): Item {
  const { entry } = item
  const { published, updated } = itemDates(item, view)
  const summary = itemSummary(item)
  const authors = nonEmpty(entry.authors)
  const emails = authors.filter((author) => EMAIL.test(author))
  const names = authors.filter((author) => !EMAIL.test(author))
  const categories = nonEmpty(entry.categories)
  // RSS 2.0 allows one <enclosure> per item (RSS Best Practices Profile); Atom and JSON carry all.
  const [enclosure, ...more] = attachments(item)

  const extensions: Extension[] = [
    { name: 'source', objects: { _attributes: { url: slots.put(absoluteUrl(item.source.url) ?? item.source.url) }, _text: slots.put(item.source.title) } },
  ]
  if (names.length > 0) {
    // `feed` keeps one extension per element name; xml-js writes an array as repeated elements.
    // `feed` declares xmlns:dc whenever an item has content, which every item has (the footer).
    const creators = names.map((name) => ({ _text: slots.put(name) }))
    extensions.unshift({ name: 'dc:creator', objects: creators as unknown as Extension['objects'] })
  }
  extensions.push(...mediaExtensions(item, more, slots))
  return {
    // RSS titles are plain text (RSS Best Practices Profile); descriptions are HTML.
    title: slots.put(entry.title),
    link: itemLink(item, view),
    guid: publishedId(item.id),
    date: updated,
    published,
    description: summary === undefined ? undefined : slots.put(escapeHtml(summary)),
    content: slots.put(itemContentHtml(item, view.disclaimer, view.site.language)),
    author: emails.length > 0 ? emails.map((email) => ({ name: slots.put(email) })) : undefined,
    category: categories.length > 0 ? categories.map((category) => ({ name: slots.put(category) })) : undefined,
    enclosure: enclosure && { url: enclosure.url, type: slots.put(enclosure.type), length: enclosure.length },
    extensions,
  }
}

/**
 * Media RSS for what `<enclosure>` cannot hold: the lead image as `media:thumbnail`, the item's
 * further files as `media:content` (with `fileSize` only when known: Media RSS makes it optional,
 * and 0 would claim an empty file).
 */
function mediaExtensions(item: PublishedItem, more: Attachment[], slots: XmlSlots): Extension[] {
  const extensions: Extension[] = []
  const image = absoluteUrl(item.entry.image)
  if (image !== undefined) extensions.push({ name: 'media:thumbnail', objects: { _attributes: { url: slots.put(image) } } })
  if (more.length > 0) {
    const contents = more.map((file) => ({ _attributes: { url: slots.put(file.url), type: slots.put(file.type), ...(file.length > 0 && { fileSize: file.length }) } }))
    extensions.push({ name: 'media:content', objects: contents as unknown as Extension['objects'] })
  }
  return extensions
}

/** Whether any item writes Media RSS, so the channel must declare its namespace. */
function usesMedia(view: FeedView): boolean {
  return view.items.some((item) => absoluteUrl(item.entry.image) !== undefined || attachments(item).length > 1)
}

/** How `feed` ends the channel's `<atom:link rel="self">`; our other feed links go right after it. */
const SELF_LINK_END = 'rel="self" type="application/rss+xml"/>'
const CHANNEL_CHILD_INDENT = '\n        '

/**
 * Adds the hub and paging links as `atom:link`s beside the self link (the atom prefix is declared
 * for it). Done by position before {@link XmlSlots.fill}, while the document holds no text of ours.
 */
function withFeedLinks(xml: string, view: FeedView): string {
  const links = feedLinks(view)
  if (links.length === 0) return xml
  const at = xml.indexOf(SELF_LINK_END)
  if (at < 0) throw new AppError('render: feed wrote no RSS atom:link rel="self"')
  const end = at + SELF_LINK_END.length
  const added = links.map((link) => CHANNEL_CHILD_INDENT + xmlElement('atom:link', { href: link.href, rel: link.rel })).join('')
  return xml.slice(0, end) + added + xml.slice(end)
}

export function renderRss(view: FeedView): string {
  const { slots, xml } = rssDocument(view)
  return slots.fill(xml)
}

/** {@link renderRss} as the UTF-8 bytes the web layer sends, encoded piece by piece (`XmlSlots.fillBytes`). */
export function renderRssBytes(view: FeedView): Buffer {
  const { slots, xml } = rssDocument(view)
  return slots.fillBytes(xml)
}

/** The document `feed` writes, with its placeholders still in. */
function rssDocument(view: FeedView): { slots: XmlSlots; xml: string } {
  const slots = new XmlSlots()
  const feed = new Feed({
    title: slots.put(feedTitle(view)),
    link: siteUrl(view),
    // RSS descriptions are HTML (RSS 2.0 spec, "description"); ours is plain text.
    description: slots.put(escapeHtml(feedDescription(view))),
    language: slots.put(view.site.language),
    updated: feedUpdated(view),
    generator: GENERATOR,
    // Written as <atom:link rel="self"> with the atom namespace declared.
    feed: view.selfUrl,
    copyright: slots.put(rightsText(view.disclaimer)),
  })
  for (const item of view.items) feed.addItem(rssItem(item, view, slots))
  const rss = withFeedLinks(feed.rss2(), view)
  return { slots, xml: usesMedia(view) ? declareNamespace(rss, '<rss version="2.0"', 'media', MEDIA_NAMESPACE) : rss }
}
