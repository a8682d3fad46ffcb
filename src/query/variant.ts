/**
 * `variant=zh-Hans|zh-Hant` (SPEC §3, issue 3 point 4): every text a reader sees is converted with
 * OpenCC's phrase tables; URLs, ids, dates and markup never are (a converted URL is a broken link,
 * a converted id a duplicate item).
 */
import type { FeedView, PublishedItem } from '../model.js'
import { convertHtml, convertText, type Variant } from '../variant/index.js'

export function convertItem(item: PublishedItem, variant: Variant): PublishedItem {
  const text = (value: string) => convertText(value, variant)
  const { entry } = item
  return {
    ...item,
    source: { ...item.source, title: text(item.source.title) },
    alsoReportedBy: item.alsoReportedBy.map((other) => ({ ...other, sourceTitle: text(other.sourceTitle), title: text(other.title) })),
    entry: {
      ...entry,
      title: text(entry.title),
      html: convertHtml(entry.html, variant),
      text: text(entry.text),
      excerpt: text(entry.excerpt),
      origin: entry.origin === undefined ? undefined : text(entry.origin),
      authors: entry.authors.map(text),
      categories: entry.categories.map(text),
    },
  }
}

/**
 * The language a converted feed declares. RSS `<language>` takes only RFC 1766 language-country
 * codes (the RSS validator rejects `zh-Hant`), and the traditional tables are Taiwan's phrases.
 */
const VARIANT_LANGUAGE: Record<Variant, string> = { 'zh-Hans': 'zh-CN', 'zh-Hant': 'zh-TW' }

/**
 * The feed-level words of a view in the variant (items are converted by the query); the language
 * becomes the variant's region on Chinese sites, so readers and the footer pick the right script.
 */
export function convertViewText(view: FeedView, variant: Variant): FeedView {
  const text = (value: string) => convertText(value, variant)
  const optional = (value: string | undefined) => (value === undefined ? undefined : text(value))
  const chinese = view.site.language.toLowerCase().startsWith('zh')
  return {
    ...view,
    site: { ...view.site, title: text(view.site.title), description: optional(view.site.description), language: chinese ? VARIANT_LANGUAGE[variant] : view.site.language },
    category: { ...view.category, title: text(view.category.title), description: optional(view.category.description) },
    disclaimer: { text: text(view.disclaimer.text), contact: optional(view.disclaimer.contact) },
  }
}
