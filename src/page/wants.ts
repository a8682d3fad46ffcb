import type { SourceConfig } from '../model.js'

/**
 * Whether a poll of this source reads article pages: a page source with `article`, or a feed
 * source with `fullText: true` whose content mode is `full` (a `summary` or `title` feed already
 * has all it may republish, so fetching pages would only cost the site).
 */
export function wantsArticles(source: SourceConfig): boolean {
  if (source.page) return source.page.article !== undefined
  return source.fullText === true && source.content === 'full'
}
