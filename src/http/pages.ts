import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import type { Config, PublishedItem } from '../model.js'
import { HttpError } from '../errors.js'
import type { StatusRow } from './status.js'

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

/** `?lang=zh|en` over `site.language`; anything else is a 400 naming the parameter. */
export function resolveLanguage(value: unknown, config: Config): Language {
  const site = config.site.language
  const siteKey: Lang = /^zh/i.test(site) ? 'zh' : 'en'
  if (value === undefined) return { key: siteKey, locale: site, explicit: false }
  if (typeof value !== 'string' || !(LANGS as readonly string[]).includes(value)) throw new HttpError(400, `lang: must be one of ${LANGS.join(', ')}, got "${String(value)}"`)
  const key = value as Lang
  return { key, locale: key === siteKey ? site : key === 'zh' ? 'zh-CN' : 'en', explicit: true }
}

/** Only http(s) URLs become links: a `javascript:` URL survives HTML escaping, so escaping alone is not enough. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined
  } catch {
    return undefined
  }
}

/** `path` with `params` added, keeping the reader's explicit `lang` choice on every link. */
export function pageLink(path: string, language: Language, params: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams()
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
  href: typeof safeHref
  assets: { pagesJs: string }
}

/** HTML pages from templates/, auto-escaping on: nothing from a feed is ever markup here. */
export class Pages {
  private readonly eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true })
  private readonly base: string

  constructor(
    private readonly config: Config,
    /** URL of the pages' script, versioned by its ETag so a new release is never served stale. */
    private readonly pagesJs: string,
  ) {
    this.base = config.site.url.replace(/\/+$/, '')
  }

  index(sections: IndexSection[], lang: Language): string {
    return this.eta.render('index', { ...this.common(lang, '/'), sections })
  }

  category(page: CategoryPage, lang: Language): string {
    return this.eta.render('category', { ...this.common(lang, `/c/${page.key}`, { ...page.params, page: page.page > 1 ? page.page : undefined }), category: page })
  }

  status(rows: StatusRow[], now: Date, lang: Language): string {
    return this.eta.render('status', { ...this.common(lang, '/status'), rows, now })
  }

  private common(lang: Language, path: string, params: Record<string, string | number | undefined> = {}): Common {
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
      href: safeHref,
      assets: { pagesJs: this.pagesJs },
    }
  }
}
