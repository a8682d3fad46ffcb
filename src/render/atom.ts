/**
 * Atom 1.0 (RFC 4287) through the `feed` package, with every string passed as an
 * {@link XmlSlots} placeholder, and the parts `feed` cannot express spliced into its output:
 * entry `<source>` (§4.2.11), enclosure links with their real type and length (`feed` derives the
 * type from the file extension as `image/…`), and the feed's `xml:lang`.
 */
import { Feed, type Item } from 'feed'
import { AppError } from '../errors.js'
import type { FeedView, PublishedItem } from '../model.js'
import { itemContentHtml } from './footer.js'
import { publishedId } from './ids.js'
import {
  absoluteUrl,
  attachments,
  feedDescription,
  feedLinks,
  feedTitle,
  feedUpdated,
  GENERATOR,
  itemDates,
  itemLink,
  itemSummary,
  nonEmpty,
  rightsText,
  siteUrl,
} from './view.js'
import { declareNamespace, escapeHtml, MEDIA_NAMESPACE, xmlElement, xmlTextElement, XmlSlots } from './xml.js'

/** How `feed` starts the root element, before its `>` (and before our `xml:lang`). */
const ATOM_ROOT_START = '<feed xmlns="http://www.w3.org/2005/Atom"'
const ATOM_ROOT = `${ATOM_ROOT_START}>`
const ENTRY_END = '</entry>'
/** `feed` indents with four spaces; an entry's children sit two levels deep. */
const CHILD_INDENT = '\n        '
const FEED_CHILD_INDENT = '\n    '

/** RFC 4287 §4.2 `atomLanguageTag` as in Appendix B: anything else would fail validation. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/

function atomEntry(item: PublishedItem, view: FeedView, slots: XmlSlots): Item {
  const { entry } = item
  const { published, updated } = itemDates(item, view)
  const summary = itemSummary(item)
  const authors = nonEmpty(entry.authors)
  const categories = nonEmpty(entry.categories)
  return {
    // `feed` writes entry titles and summaries as type="html", so our plain text is escaped as HTML.
    title: slots.put(escapeHtml(entry.title)),
    // Plain ASCII (`urn:uuid:…`), and `feed` parses entry ids as URLs, so no placeholder here.
    id: publishedId(item.id),
    link: itemLink(item, view),
    date: updated,
    published,
    description: summary === undefined ? undefined : slots.put(escapeHtml(summary)),
    content: slots.put(itemContentHtml(item, view.disclaimer, view.site.language)),
    // Entries without an author fall back to the feed's <author> (RFC 4287 §4.1.2).
    author: authors.length > 0 ? authors.map((name) => ({ name: slots.put(name) })) : undefined,
    category: categories.length > 0 ? categories.map((term) => ({ term: slots.put(term) })) : undefined,
    copyright: slots.put(rightsText(view.disclaimer)),
  }
}

/**
 * What goes at the end of an entry: enclosure links, the lead image as a Media RSS thumbnail (an
 * extension element, RFC 4287 §6.4, that feed readers show beside the entry) and the `<source>`
 * it came from.
 */
function entryAdditions(item: PublishedItem): string[] {
  const enclosures = attachments(item).map((attachment) =>
    xmlElement('link', { rel: 'enclosure', href: attachment.url, type: attachment.type, length: attachment.length || undefined }),
  )
  const image = absoluteUrl(item.entry.image)
  const thumbnail = image === undefined ? [] : [xmlElement('media:thumbnail', { url: image })]
  const feedUrl = absoluteUrl(item.source.url)
  const homepage = absoluteUrl(item.source.homepage)
  const source = xmlElement(
    'source',
    {},
    [
      xmlTextElement('id', feedUrl ?? item.source.url),
      xmlTextElement('title', item.source.title),
      homepage !== undefined ? xmlElement('link', { href: homepage }) : '',
      feedUrl !== undefined ? xmlElement('link', { rel: homepage === undefined ? undefined : 'self', href: feedUrl }) : '',
    ].join(''),
  )
  return [...enclosures, ...thumbnail, source]
}

/**
 * Appends each item's additions inside its `<entry>`. Safe to do by position: before
 * {@link XmlSlots.fill} the document holds no text of ours, so every `</entry>` is an entry's end.
 */
function spliceEntries(xml: string, items: PublishedItem[]): string {
  const parts = xml.split(ENTRY_END)
  if (parts.length !== items.length + 1) {
    throw new AppError(`render: feed wrote ${parts.length - 1} Atom entries for ${items.length} items`)
  }
  return parts
    .map((part, index) => {
      if (index === items.length) return part
      // Keep `feed`'s indentation: the additions go before the whitespace that precedes </entry>.
      const lines = entryAdditions(items[index]).map((fragment) => `${CHILD_INDENT}${fragment}`).join('')
      return part.replace(/\s*$/, (trailing) => lines + trailing)
    })
    .join(ENTRY_END)
}

/**
 * Adds the hub and paging links after the feed's self link, by position before
 * {@link XmlSlots.fill} (the self link is the first `rel="self"` in a document of placeholders).
 */
function withFeedLinks(xml: string, view: FeedView): string {
  const links = feedLinks(view)
  if (links.length === 0) return xml
  const at = xml.indexOf('<link rel="self"')
  const end = at < 0 ? -1 : xml.indexOf('/>', at) + 2
  if (end < 2) throw new AppError('render: feed wrote no Atom self link')
  const added = links.map((link) => FEED_CHILD_INDENT + xmlElement('link', { rel: link.rel, href: link.href })).join('')
  return xml.slice(0, end) + added + xml.slice(end)
}

function withLanguage(xml: string, language: string): string {
  if (!LANGUAGE_TAG.test(language)) return xml
  if (!xml.includes(ATOM_ROOT)) throw new AppError('render: feed wrote no Atom root element')
  return xml.replace(ATOM_ROOT, `${ATOM_ROOT_START} xml:lang="${language}">`)
}

export function renderAtom(view: FeedView): string {
  const { slots, xml } = atomDocument(view)
  return slots.fill(xml)
}

/** {@link renderAtom} as the UTF-8 bytes the web layer sends, encoded piece by piece (`XmlSlots.fillBytes`). */
export function renderAtomBytes(view: FeedView): Buffer {
  const { slots, xml } = atomDocument(view)
  return slots.fillBytes(xml)
}

/** The document `feed` writes with our splices, its placeholders still in. */
function atomDocument(view: FeedView): { slots: XmlSlots; xml: string } {
  const slots = new XmlSlots()
  const site = siteUrl(view)
  const feed = new Feed({
    id: slots.put(view.selfUrl),
    title: slots.put(feedTitle(view)),
    description: slots.put(feedDescription(view)),
    link: site,
    feed: view.selfUrl,
    updated: feedUpdated(view),
    generator: GENERATOR,
    copyright: slots.put(rightsText(view.disclaimer)),
    // Every entry needs an author, its own or the feed's (RFC 4287 §4.1.2); the site vouches for all.
    author: { name: slots.put(view.site.title), link: site },
  })
  for (const item of view.items) feed.addItem(atomEntry(item, view, slots))
  const atom = spliceEntries(withFeedLinks(withLanguage(feed.atom1(), view.site.language), view), view.items)
  const usesMedia = view.items.some((item) => absoluteUrl(item.entry.image) !== undefined)
  return { slots, xml: usesMedia ? declareNamespace(atom, ATOM_ROOT_START, 'media', MEDIA_NAMESPACE) : atom }
}
