/**
 * JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read tolerantly: whatever is not the
 * expected type is skipped, never trusted. rss-parser does not read JSON Feed.
 */
import type { Enclosure, RawEntry, RawFeed } from '../model.js'

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A non-blank string, or undefined. Numbers are accepted where feeds write ids as numbers. */
function str(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

/** 1.1's `authors` array, else 1.0's single `author` (deprecated in 1.1 but still written). */
function authorNames(object: Json): string[] {
  const authors = Array.isArray(object.authors) ? object.authors : [object.author]
  const names: string[] = []
  for (const author of authors) {
    const name = isObject(author) ? str(author.name) ?? str(author.url) : undefined
    if (name && !names.includes(name)) names.push(name)
  }
  return names
}

function attachment(value: unknown): Enclosure | undefined {
  if (!isObject(value)) return undefined
  const url = str(value.url)
  if (!url) return undefined
  const enclosure: Enclosure = { url }
  const type = str(value.mime_type)
  if (type) enclosure.type = type
  const size = value.size_in_bytes
  if (typeof size === 'number' && Number.isFinite(size) && size >= 0) enclosure.length = size
  return enclosure
}

function readItem(item: Json, base: string | undefined): RawEntry {
  const url = str(item.url)
  const entry: RawEntry = {
    guid: str(item.id),
    // `external_url` is the page the item is about; it stands in only when the item has no page of its own.
    link: url ?? str(item.external_url),
    title: str(item.title),
    contentHtml: str(item.content_html),
    contentText: str(item.content_text),
    summaryHtml: str(item.summary),
    published: str(item.date_published),
    updated: str(item.date_modified),
    authors: authorNames(item),
    categories: list(item.tags).map(str).filter((tag): tag is string => tag !== undefined),
    enclosures: list(item.attachments).map(attachment).filter((a): a is Enclosure => a !== undefined),
    // `banner_image` is for display above the item; it stands in when there is no main `image`.
    image: str(item.image) ?? str(item.banner_image),
    baseUrl: base,
  }
  for (const key of Object.keys(entry) as Array<keyof RawEntry>) if (entry[key] === undefined) delete entry[key]
  return entry
}

/** The document as parsed JSON → RawFeed. `warnings` collects what was skipped. */
export function readJsonFeed(document: unknown, url: string): RawFeed {
  const warnings: string[] = []
  const feed = isObject(document) ? document : {}
  const link = str(feed.home_page_url)
  const entries: RawEntry[] = []
  list(feed.items).forEach((item, index) => {
    if (isObject(item)) entries.push(readItem(item, link ?? url))
    else warnings.push(`entry ${index + 1}: not an object; skipped`)
  })
  const raw: RawFeed = { format: 'json', entries, warnings }
  const title = str(feed.title)
  if (title) raw.title = title
  if (link) raw.link = link
  const description = str(feed.description)
  if (description) raw.description = description
  const language = str(feed.language)
  if (language) raw.language = language
  const hub = list(feed.hubs).find((h) => isObject(h) && str(h.url))
  if (isObject(hub)) raw.hub = str(hub.url)
  return raw
}

/** Whether the object looks like a JSON Feed (its `version` URL, or at least an `items` array). */
export function isJsonFeed(document: unknown): boolean {
  if (!isObject(document)) return false
  const version = str(document.version)
  return (version !== undefined && version.includes('jsonfeed.org/version/')) || Array.isArray(document.items)
}
