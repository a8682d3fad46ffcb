import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import type { Config, Disclaimer, PublishedItem } from '../model.js'
import type { ImageLinks } from '../images/index.js'
import { itemPath, webUrl } from '../render/view.js'
import { HttpError } from '../errors.js'
import { Rendered } from './cache.js'
import { errorInRow, type StatusRow, type StatusSummary } from './status.js'

/** templates/ sits beside src/ and dist/, so the same path works from both. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url))

/** The two languages pages and widgets speak; `site.language` picks one, `?lang=` overrides it. */
export type Lang = 'zh' | 'en'
export const LANGS: readonly Lang[] = ['zh', 'en']

/** A chosen language: `key` picks the strings, `locale` formats dates (`zh-TW` stays `zh-TW`). */
export interface Language {
  key: Lang
  locale: string
  /** True when the reader chose it with `?lang=`: links carry it on. */
  explicit: boolean
}

/** An HttpError that also says what is wrong in each page language: HTML routes answer it with an error page (errors.ts). */
export class PageError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly words: Record<Lang, string>,
  ) {
    super(status, message)
  }
}

/** `value` as the message quotes it: short, and visibly a string. */
export function quoted(value: unknown): string {
  return JSON.stringify(String(value).slice(0, 200))
}

/** `?lang=zh|en` over `site.language`; anything else is a 400 naming the parameter. */
export function resolveLanguage(value: unknown, config: Config): Language {
  const site = config.site.language
  const siteKey: Lang = /^zh/i.test(site) ? 'zh' : 'en'
  if (value === undefined) return { key: siteKey, locale: site, explicit: false }
  if (typeof value !== 'string' || !(LANGS as readonly string[]).includes(value)) {
    throw new PageError(400, `lang: must be one of ${LANGS.join(', ')}, got ${quoted(value)}`, {
      zh: `语言参数 lang 只能是 zh（中文）或 en（英文），收到的是 ${quoted(value)}。`,
      en: `The language parameter lang must be zh (Chinese) or en (English), not ${quoted(value)}.`,
    })
  }
  const key = value as Lang
  return { key, locale: key === siteKey ? site : key === 'zh' ? 'zh-CN' : 'en', explicit: true }
}

/** `path` (which may carry a query already) with `params` added, keeping the reader's explicit `lang` choice on every link. */
export function pageLink(to: string, language: Language, params: Record<string, string | number | undefined> = {}): string {
  const [path, query] = to.split('?', 2)
  const search = new URLSearchParams(query)
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value))
  if (language.explicit) search.set('lang', language.key)
  const qs = search.toString()
  return qs ? `${path}?${qs}` : path
}

export interface IndexSection {
  key: string
  title: string
  description?: string
  items: PublishedItem[]
}

export interface CategoryPage {
  key: string
  title: string
  description?: string
  items: PublishedItem[]
  page: number
  hasNext: boolean
  /** Feed query parameters in force (source, q, exclude…), carried on by the pager. */
  params: Record<string, string>
}

/** A feed as a browser sees it (SPEC §7): the feed's own stories and paging, with how to subscribe. */
export interface FeedPage {
  title: string
  description?: string
  /** Absolute URL of the feed as a reader subscribes to it (this request's URL, paging cursor left out). */
  feedUrl: string
  format: 'rss' | 'atom' | 'json'
  /** The same feed in each format, absolute. */
  formats: { rss: string; atom: string; json: string }
  items: PublishedItem[]
  /** Path of the older page and, on an older page, of the newest one. */
  older?: string
  newest?: string
  /** Feed query parameters in force, carried onto item links (variant). */
  variant?: string
}

/** One story's page (SPEC §7). */
export interface ItemPage {
  item: PublishedItem
  disclaimer: Disclaimer
  variant?: string
}

/** What an error page says: the status, the problem in the reader's language when known, the message as the code wrote it. */
export interface ErrorPage {
  status: number
  words?: string
  detail: string
}

/** What every page template receives besides its own data. */
interface Common {
  config: Config
  lang: Language
  zh: boolean
  base: string
  /** The current path with the other language chosen. */
  switchHref: string
  link: (path: string, params?: Record<string, string | number | undefined>) => string
  time: (iso: string | undefined) => string
  href: typeof webUrl
  /** A story's page on this site, with the language and script the reader chose. */
  itemHref: (item: PublishedItem) => string
  /** A story's lead image at its address here, when it has one its content mode allows. */
  image: (item: PublishedItem) => string | undefined
  assets: { pagesJs: string }
}

/** HTML pages from templates/, auto-escaping on: nothing from a feed is ever markup here except sanitized content. */
export class Pages {
  private readonly eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true })
  private readonly base: string
  /** The pages' one script; its URL is versioned by its ETag, so a new release is never served stale. */
  readonly script = new Rendered(readFileSync(`${TEMPLATES_DIR}assets/pages.js`, 'utf8'), 'text/javascript; charset=utf-8')

  constructor(private readonly config: Config) {
    this.base = config.site.url.replace(/\/+$/, '')
  }

  index(sections: IndexSection[], lang: Language, images: ImageLinks): string {
    return this.eta.render('index', { ...this.common(lang, '/', { images }), sections })
  }

  category(page: CategoryPage, lang: Language, images: ImageLinks): string {
    const params = { ...page.params, page: page.page > 1 ? page.page : undefined }
    return this.eta.render('category', { ...this.common(lang, `/c/${page.key}`, { params, variant: page.params.variant, images }), category: page })
  }

  /** `path` is the feed's own path with its query: the language switch stays on this feed. */
  feed(page: FeedPage, lang: Language, images: ImageLinks, path: string): string {
    return this.eta.render('feed', { ...this.common(lang, path, { variant: page.variant, images }), feed: page })
  }

  /** `content` is the story's sanitized HTML with its images at their addresses here (ImageLinks.html). */
  item(page: ItemPage, lang: Language, images: ImageLinks, content: string): string {
    const path = itemPath(page.item.id)
    const data = { story: page, content, lead: this.leadOutsideContent(page.item, images), url: this.base + path }
    return this.eta.render('item', { ...this.common(lang, path, { params: { variant: page.variant }, variant: page.variant, images }), ...data })
  }

  status(rows: StatusRow[], summary: StatusSummary, now: Date, lang: Language): string {
    return this.eta.render('status', { ...this.common(lang, '/status'), rows, summary, now, errorOf: errorInRow })
  }

  error(page: ErrorPage, lang: Language): string {
    return this.eta.render('error', { ...this.common(lang, '/'), error: page })
  }

  /** The lead image, unless the content the page shows has it already. */
  private leadOutsideContent(item: PublishedItem, images: ImageLinks): string | undefined {
    const lead = images.lead(item)
    if (lead === undefined || item.content !== 'full') return lead
    return images.shows(item.entry.html, item.entry.image!) ? undefined : lead
  }

  private common(lang: Language, path: string, options: { params?: Record<string, string | number | undefined>; variant?: string; images?: ImageLinks } = {}): Common {
    const { params = {}, variant, images } = options
    const other: Language = { key: lang.key === 'zh' ? 'en' : 'zh', locale: '', explicit: true }
    const dates = new Intl.DateTimeFormat(lang.locale, { timeZone: this.config.defaults.timezone, dateStyle: 'medium', timeStyle: 'short' })
    return {
      config: this.config,
      lang,
      zh: lang.key === 'zh',
      base: this.base,
      switchHref: pageLink(path, other, params),
      link: (to, extra) => pageLink(to, lang, extra),
      // Dates in the site's zone (defaults.timezone), the way its readers write them.
      time: (iso) => {
        const date = iso ? new Date(iso) : undefined
        return date && !Number.isNaN(date.getTime()) ? dates.format(date) : '—'
      },
      href: webUrl,
      itemHref: (item) => pageLink(itemPath(item.id), lang, { variant }),
      image: (item) => images?.lead(item),
      assets: { pagesJs: `/assets/pages.js?v=${this.script.etag.slice(1, 11)}` },
    }
  }
}
