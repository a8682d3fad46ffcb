/**
 * The HTML footer every published item carries in every content mode (SPEC §4): origin, link to
 * the original, the other sources that reported the story, the operator's disclaimer and contact.
 */
import type { Disclaimer, PublishedItem } from '../model.js'
import { webUrl } from './view.js'
import { escapeHtml } from './xml.js'

interface FooterWords {
  source: string
  original: string
  alsoReportedBy: string
  listSeparator: string
  contact: string
}

/** Footer wording per language: traditional script for Taiwan, Hong Kong, Macau and `zh-Hant`, simplified for other `zh*`. */
const WORDS: Record<'zh' | 'zhHant' | 'en', FooterWords> = {
  zh: { source: '来源：', original: '原文链接', alsoReportedBy: '亦见于：', listSeparator: '、', contact: '联系：' },
  zhHant: { source: '來源：', original: '原文連結', alsoReportedBy: '亦見於：', listSeparator: '、', contact: '聯繫：' },
  en: { source: 'Source: ', original: 'Original article', alsoReportedBy: 'Also reported by: ', listSeparator: ', ', contact: 'Contact: ' },
}

const PART_SEPARATOR = ' · '

function linked(text: string, url: string | undefined): string {
  // Only web links become `href`s: the footer ends up in readers and widgets that follow them.
  const href = webUrl(url)
  return href === undefined ? escapeHtml(text) : `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`
}

/**
 * A contact that names its own kind (`电话：029-…`, `Tel: …`, `邮箱：…`) needs no `联系：` before it
 * (issue 11: the README's own example printed `联系：电话：`); a URL's `https:` is no such label.
 */
const LABELLED = /^[^\s:：/]{1,12}[:：](?!\/\/)/

const TRADITIONAL = /^zh-(hant|tw|hk|mo)\b/i

function footerWords(lang: string): FooterWords {
  if (TRADITIONAL.test(lang)) return WORDS.zhHant
  return lang.toLowerCase().startsWith('zh') ? WORDS.zh : WORDS.en
}

export function footerHtml(item: PublishedItem, disclaimer: Disclaimer, lang: string): string {
  const words = footerWords(lang)
  const parts = [words.source + escapeHtml(item.entry.origin ?? item.source.title)]
  const original = webUrl(item.entry.url)
  if (original !== undefined) parts.push(linked(words.original, original))
  if (item.alsoReportedBy.length > 0) {
    parts.push(words.alsoReportedBy + item.alsoReportedBy.map((other) => linked(other.sourceTitle, other.url)).join(words.listSeparator))
  }
  if (disclaimer.text !== '') parts.push(escapeHtml(disclaimer.text))
  if (disclaimer.contact !== undefined && disclaimer.contact !== '') parts.push((LABELLED.test(disclaimer.contact) ? '' : words.contact) + escapeHtml(disclaimer.contact))
  return `<hr/><p class="feedloom-footer">${parts.join(PART_SEPARATOR)}</p>`
}

/**
 * The HTML body of an item for its content mode (SPEC §2): `full` the sanitized article, `summary`
 * the plain-text excerpt, `title` nothing but the footer, so sources that forbid full-text
 * reprints never have their text republished.
 */
export function itemContentHtml(item: PublishedItem, disclaimer: Disclaimer, lang: string): string {
  const footer = footerHtml(item, disclaimer, lang)
  switch (item.content) {
    case 'full':
      return item.entry.html + footer
    case 'summary':
      return item.entry.excerpt === '' ? footer : `<p>${escapeHtml(item.entry.excerpt)}</p>${footer}`
    case 'title':
      return footer
  }
}
