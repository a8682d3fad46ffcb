/**
 * Which entries are worth keeping: one malformed entry is kept if a reader could show or follow
 * it, and dropped (with a warning) if it is only a shell, so a bad entry never costs the others.
 */
import type { FeedFormat, RawEntry, RawFeed } from '../model.js'

/**
 * Whether an entry carries a title, a link or content. In RSS and RDF a `<guid>` (or `rdf:about`)
 * that is an http(s) URL and not marked `isPermaLink="false"` is the item's link (RSS 2.0, "guid":
 * isPermaLink defaults to true); an Atom or JSON Feed id is an identity, never a link.
 */
export function isUsable(entry: RawEntry, format: FeedFormat): boolean {
  const permaLink = (format === 'rss' || format === 'rdf') && entry.guidIsPermaLink !== false && /^https?:\/\//i.test(entry.guid ?? '')
  return Boolean(entry.title || entry.link || permaLink || entry.contentHtml || entry.summaryHtml || entry.contentText)
}

/** The feed with unusable entries dropped, each drop a line in `warnings` (1-based entry numbers). */
export function keepUsable(feed: RawFeed): RawFeed {
  const warnings = [...feed.warnings]
  const entries = feed.entries.filter((entry, index) => {
    if (isUsable(entry, feed.format)) return true
    warnings.push(`entry ${index + 1}: no title, link or content; dropped`)
    return false
  })
  return { ...feed, entries, warnings }
}
