import { readFileSync } from 'node:fs'
import { convertText, type Variant } from '../variant/index.js'
import type { Express } from 'express'
import { Eta } from 'eta'
import type { Config, PublishedItem } from '../model.js'
import { AppError, HttpError } from '../errors.js'
import type { ImageLinks } from '../images/index.js'
import { loadView, newestTime, parseViewQuery, type ViewQuery } from '../query/index.js'
import { itemPath, webUrl } from '../render/view.js'
import { Rendered, send, type HttpContext } from './context.js'
import { readOnly } from './errors.js'
import { FEED_CACHE_CONTROL, PAGE_CACHE_CONTROL } from './feeds.js'
import { htmlHeaders } from './headers.js'
import { resolveLanguage, TEMPLATES_DIR, type Lang, type Language } from './pages.js'

/**
 * The widget script is the same bytes for every category and changes only with a release: an hour
 * of freshness, then a day of serving the old copy while the browser revalidates by ETag.
 */
export const WIDGET_SCRIPT_CACHE_CONTROL = 'public, max-age=3600, stale-while-revalidate=86400'
/** SPEC §6 options of both widgets (`data-*` on the script, query parameters on the iframe). */
export const WIDGET_THEMES = ['light', 'dark', 'auto'] as const
export const WIDGET_SHOW = ['date', 'source', 'excerpt', 'image'] as const
/** What a widget shows when `show` is not given: the excerpt is opt-in, headlines stay compact. */
export const WIDGET_SHOW_DEFAULT: readonly WidgetPart[] = ['date', 'source']
/** Relative dates in the iframe are redrawn on the server this often (ms): the render cache key carries the bucket. */
export const RELATIVE_TIME_BUCKET_MS = 60_000

export type WidgetTheme = (typeof WIDGET_THEMES)[number]
export type WidgetPart = (typeof WIDGET_SHOW)[number]

/** Words both widgets show, per language; the script gets them from the server, so there is one copy. */
export const WIDGET_STRINGS: Record<Lang, { more: string; empty: string; error: string; list: string; loading: string }> = {
  zh: { more: '更多', empty: '暂无新闻。', error: '新闻暂时无法加载。', list: '新闻标题', loading: '正在加载新闻…' },
  en: { more: 'More', empty: 'No headlines yet.', error: 'Headlines could not be loaded.', list: 'Headlines', loading: 'Loading headlines…' },
}

/** Largest unit first; the first that fits the distance names it (`Intl.RelativeTimeFormat` units, seconds). */
export const RELATIVE_UNITS: ReadonlyArray<readonly [Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
]

/** `3 分钟前` / `3 minutes ago`: the same rule as the script widget's, which receives RELATIVE_UNITS. */
export function relativeTime(iso: string, now: Date, locale: string): string {
  // A date ahead of the clock (a source's skew) reads as "now", never "in 7 minutes".
  const seconds = Math.min(0, Math.round((Date.parse(iso) - now.getTime()) / 1000))
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  for (const [unit, size] of RELATIVE_UNITS) if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit)
  return format.format(0, 'second')
}

/** The widget JSON (`/widget/{category}.json`): only what a headline list shows, links already http(s)-only. */
export interface WidgetFeed {
  version: 1
  title: string
  home_page_url: string
  language: string
  /** IANA zone the site's dates are shown in (absolute dates in tooltips). */
  timezone: string
  _feedloom: { disclaimer: { text: string; contact?: string } }
  items: Array<{
    id: string
    title: string
    /** The original article, or the story's page here when the source gave no usable link (SPEC §7). */
    url: string
    date_published: string
    /** Absent for `content: 'title'` sources: the operator chose not to republish their text. */
    excerpt?: string
    source: { id: string; title: string }
    also_reported_by: number
    /** The lead image, at its address here (the image proxy, SPEC §8): `data-show=image` shows it. */
    image?: string
  }>
}

export function widgetFeed(config: Config, base: string, category: string, items: PublishedItem[], images: ImageLinks, variant?: Variant): WidgetFeed {
  // Items arrive converted by the query; the widget's own words follow the same `variant=`.
  const text = (value: string) => (variant ? convertText(value, variant) : value)
  const title = category === 'all' ? config.site.title : `${config.site.title} · ${config.categories[category].title}`
  return {
    version: 1,
    title: text(title),
    home_page_url: category === 'all' ? `${base}/` : `${base}/c/${category}`,
    language: config.site.language,
    timezone: config.defaults.timezone,
    _feedloom: { disclaimer: { text: text(config.disclaimer.text), contact: config.disclaimer.contact && text(config.disclaimer.contact) } },
    items: items.map((item) => ({
      id: item.id,
      title: item.entry.title,
      url: webUrl(item.entry.url) ?? base + itemPath(item.id),
      date_published: item.entry.published,
      excerpt: item.content === 'title' || !item.entry.excerpt ? undefined : item.entry.excerpt,
      source: { id: item.source.id, title: item.source.title },
      also_reported_by: item.alsoReportedBy.length,
      image: images.lead(item, base),
    })),
  }
}

export interface WidgetOptions {
  theme: WidgetTheme
  show: Record<WidgetPart, boolean>
  lang: Language
}

/** The iframe's `theme`, `show` and `lang` query parameters; a bad value is a 400 naming it. */
export function parseWidgetOptions(params: Record<string, unknown>, config: Config): WidgetOptions {
  const theme = params.theme ?? 'light'
  if (typeof theme !== 'string' || !(WIDGET_THEMES as readonly string[]).includes(theme)) throw new HttpError(400, `theme: must be one of ${WIDGET_THEMES.join(', ')}`)
  const showParam = params.show
  if (showParam !== undefined && typeof showParam !== 'string') throw new HttpError(400, 'show: give it once, as a comma-separated list')
  const parts = showParam === undefined ? WIDGET_SHOW_DEFAULT : showParam.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = parts.filter((p) => !(WIDGET_SHOW as readonly string[]).includes(p))
  if (unknown.length) throw new HttpError(400, `show: unknown part ${unknown.map((p) => `"${p}"`).join(', ')} (use ${WIDGET_SHOW.join(', ')})`)
  const show = Object.fromEntries(WIDGET_SHOW.map((p) => [p, parts.includes(p)])) as Record<WidgetPart, boolean>
  return { theme: theme as WidgetTheme, show, lang: resolveLanguage(params.lang, config) }
}

const WIDGET_DIR = `${TEMPLATES_DIR}widget/`

/** The script with the shared stylesheet, strings and units filled in. */
export function widgetScript(): string {
  const css = readFileSync(`${WIDGET_DIR}widget.css`, 'utf8')
  const source = readFileSync(`${WIDGET_DIR}widget.js`, 'utf8')
  const shared = JSON.stringify({ css, strings: WIDGET_STRINGS, units: RELATIVE_UNITS })
  if (!source.includes("'__FEEDLOOM_WIDGET_SHARED__'")) throw new AppError('http: templates/widget/widget.js lost its __FEEDLOOM_WIDGET_SHARED__ placeholder')
  return source.replace("'__FEEDLOOM_WIDGET_SHARED__'", () => shared)
}

/** `/widget/{category}.js` (script widget), `.json` (its data, CORS) and `.html` (iframe widget). */
export function widgetRoutes(app: Express, ctx: HttpContext): void {
  const { config, store, base } = ctx
  const eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true })
  const css = readFileSync(`${WIDGET_DIR}widget.css`, 'utf8')
  const script = new Rendered(widgetScript(), 'text/javascript; charset=utf-8')

  async function feedOf(query: ViewQuery): Promise<{ feed: WidgetFeed; updated?: string }> {
    const items = await loadView(store, config, query, ctx.lists, ctx.search)
    return { feed: widgetFeed(config, base, query.category, items, await ctx.images.links(), query.variant), updated: newestTime(items) }
  }

  app.get('/widget/:file', async (req, res) => {
    const match = /^([A-Za-z0-9_-]+)\.(js|json|html)$/.exec(req.params.file)
    if (!match) throw new AppError(`no such widget "${req.params.file}" (use {category}.js, .json or .html)`, { status: 404 })
    const [, category, kind] = match
    // Parsed for every kind, so a bad parameter is a 400 naming it wherever it was given (SPEC §3).
    const query = parseViewQuery(category, req.query, config)
    // Portals embed these across origins, also under `Cross-Origin-Embedder-Policy: require-corp`.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin')

    if (kind === 'js') return send(req, res, script, WIDGET_SCRIPT_CACHE_CONTROL)

    if (kind === 'json') {
      // The parsed query is the cache key: canonical order, and any parameter query/ adds comes along.
      const rendered = await ctx.cached(`widget.json:${JSON.stringify(query)}`, async () => {
        const { feed, updated } = await feedOf(query)
        return new Rendered(JSON.stringify(feed), 'application/json; charset=utf-8', updated ? new Date(updated) : undefined)
      })
      res.setHeader('Access-Control-Allow-Origin', '*')
      return send(req, res, rendered, FEED_CACHE_CONTROL)
    }

    const options = parseWidgetOptions(req.query, config)
    const now = ctx.now()
    const bucket = Math.floor(now.getTime() / RELATIVE_TIME_BUCKET_MS)
    const key = `widget.html:${JSON.stringify(query)}|${options.theme}|${WIDGET_SHOW.filter((p) => options.show[p]).join(',')}|${options.lang.key}|${bucket}`
    const rendered = await ctx.cached(key, async () => {
      const { feed } = await feedOf(query)
      const absolute = new Intl.DateTimeFormat(options.lang.locale, { timeZone: config.defaults.timezone, dateStyle: 'medium', timeStyle: 'short' })
      const html = eta.render('widget', {
        feed,
        css,
        theme: options.theme,
        show: options.show,
        lang: options.lang,
        strings: WIDGET_STRINGS[options.lang.key],
        relative: (iso: string) => relativeTime(iso, now, options.lang.locale),
        absolute: (iso: string) => absolute.format(new Date(iso)),
      })
      // No Last-Modified: relative dates change the body while the newest item stays the same.
      return new Rendered(html, 'text/html; charset=utf-8')
    })
    res.set(htmlHeaders(config, 'widget'))
    send(req, res, rendered, PAGE_CACHE_CONTROL)
  })

  readOnly(app, ['/widget/:file'])
}
