/**
 * `feedloom opml export` / `feedloom opml import FILE` (SPEC §1, issue 11 §8). Export writes what
 * import needs to rebuild the same sources: ids, every category (and its title), titles, and each
 * setting a source sets, as attributes of a `feedloom:` namespace (OPML 2.0 allows extensions only
 * in a namespace), with sources in folders by their first category so any reader shows them
 * sorted (so an imported config lists its sources by first category). Export → import → export
 * is the same document. A plain OPML from another reader imports too: folders and `category`
 * paths become categories, titles become ids.
 */
import * as cheerio from 'cheerio'
import type { Element } from 'domhandler'
import type { Config, SourceConfig } from './model.js'
import { redactUrl } from './redact.js'
import { AppError } from './errors.js'
import type { OpmlDocument, OpmlOutline } from './render/opml.js'
import type { XmlAttrs } from './render/xml.js'

/** The namespace of our outline attributes and head elements. */
export const OPML_NAMESPACE = 'https://github.com/feedloom/feedloom/opml'
const PREFIX = 'feedloom'

/** What a config skeleton gets when the OPML does not say (a plain OPML from another reader). */
const SKELETON_SITE = { title: 'feedloom', url: 'http://localhost:3000', language: 'zh-CN' }
const SKELETON_DISCLAIMER = '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。'
const FALLBACK_CATEGORY = 'main'

const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value))
const ns = (attrs: Record<string, string | number | boolean | undefined>): XmlAttrs =>
  Object.fromEntries(Object.entries(attrs).map(([name, value]) => [`${PREFIX}:${name}`, typeof value === 'boolean' ? String(value) : value]))

/** The settings a source sets itself, as attributes: what differs from the defaults it would otherwise get. */
function sourceAttributes(source: SourceConfig, config: Config): XmlAttrs {
  const { defaults } = config
  const unless = <T>(value: T, fallback: T) => (value === fallback ? undefined : value)
  return ns({
    id: source.id,
    encoding: source.encoding,
    schedule: unless(source.schedule, defaults.schedule),
    timezone: unless(source.timezone, defaults.timezone),
    content: unless(source.content, defaults.content),
    maxItems: unless(source.maxItems, defaults.maxItemsPerSource),
    retentionDays: unless(source.retentionDays, defaults.retentionDays),
    include: source.include.length ? json(source.include) : undefined,
    exclude: source.exclude.length ? json(source.exclude) : undefined,
    page: json(source.page),
    fullText: source.fullText,
    ignoreRobots: source.ignoreRobots,
    crawlDelay: source.crawlDelay,
  })
}

function sourceOutline(source: SourceConfig, config: Config): OpmlOutline {
  // A page source's URL is an HTML list page: `link`, so readers do not subscribe to a page that is no feed.
  // Credentials in a source URL are the operator's secret, never exported (issue 12 §7).
  const where = source.page ? { type: 'link' as const, url: redactUrl(source.url) } : { type: 'rss' as const, xmlUrl: redactUrl(source.url) }
  return { text: source.title, title: source.title, ...where, htmlUrl: source.homepage && redactUrl(source.homepage), category: source.categories.join(','), extra: sourceAttributes(source, config) }
}

/** The config's sources as an OPML document, in folders by first category (an empty folder keeps a category that is no source's first). */
export function configToOpml(config: Config): OpmlDocument {
  return {
    title: config.site.title,
    namespaces: { [PREFIX]: OPML_NAMESPACE },
    head: [
      { name: `${PREFIX}:site`, attributes: { url: config.site.url, language: config.site.language, description: config.site.description } },
      { name: `${PREFIX}:disclaimer`, attributes: { text: config.disclaimer.text, contact: config.disclaimer.contact } },
      { name: `${PREFIX}:defaults`, attributes: { ...config.defaults } },
    ],
    outlines: Object.entries(config.categories).map(([key, category]) => ({
      text: category.title,
      extra: ns({ category: key, description: category.description }),
      children: config.sources.filter((s) => s.categories[0] === key).map((s) => sourceOutline(s, config)),
    })),
  }
}

/** `feedloom opml import FILE`: the OPML as a feeds.config.ts that loads as it is. */
export function opmlToConfig(xml: string, file: string): string {
  const $ = cheerio.load(xml, { xml: true })
  const root = $('opml')
  if (root.length === 0) throw new AppError(`opml: ${file}: not an OPML document (no <opml> element)`)
  // Our attributes under whatever prefix the document binds our namespace to.
  const prefix = Object.entries(root.attr() ?? {}).find(([name, value]) => name.startsWith('xmlns:') && value === OPML_NAMESPACE)?.[0].slice('xmlns:'.length)
  const ours = (node: cheerio.Cheerio<Element>, name: string) => (prefix ? node.attr(`${prefix}:${name}`) : undefined)
  const headElement = (name: string) => (prefix ? $('head').children().filter((_, el) => el.tagName === `${prefix}:${name}`).first() : $([]))

  const categories = new Map<string, { title: string; description?: string }>()
  const category = (key: string, title: string, description?: string) => {
    if (!categories.has(key)) categories.set(key, { title, ...(description ? { description } : {}) })
    return key
  }
  // Folders first, in document order, so categories keep their order and titles even when empty.
  $('outline').each((_, el) => {
    const node = $(el)
    const key = ours(node, 'category')
    if (key) category(key, node.attr('text') || node.attr('title') || key, ours(node, 'description'))
  })

  const ids = new Set<string>()
  const found: Array<Record<string, unknown>> = []
  $('outline').each((_, el) => {
    const node = $(el)
    const xmlUrl = node.attr('xmlUrl') ?? node.attr('xmlurl')
    const pageUrl = ours(node, 'page') !== undefined ? node.attr('url') : undefined
    const url = xmlUrl ?? pageUrl
    if (!url) return
    const title = node.attr('title') || node.attr('text') || url
    let id = ours(node, 'id') ?? slug(title, 'source')
    for (let n = 2; ids.has(id); n++) id = `${ours(node, 'id') ?? slug(title, 'source')}-${n}`
    ids.add(id)
    const fields: Record<string, unknown> = { id, title, url, categories: categoriesOf(node, category, prefix !== undefined) }
    const homepage = node.attr('htmlUrl') ?? node.attr('htmlurl')
    if (homepage) fields.homepage = homepage
    for (const [name, kind] of SOURCE_FIELDS) {
      const value = ours(node, name)
      if (value !== undefined) fields[name] = kind === 'string' ? value : kind === 'number' ? Number(value) : kind === 'boolean' ? value === 'true' : JSON.parse(value)
    }
    found.push(fields)
  })
  if (!found.length) throw new AppError(`opml: ${file}: no outline has an xmlUrl`)

  const site = headElement('site')
  const disclaimer = headElement('disclaimer')
  const defaults = headElement('defaults')
  const config: Record<string, unknown> = {
    site: compact({ title: $('head > title').first().text().trim() || SKELETON_SITE.title, url: site.attr('url') ?? SKELETON_SITE.url, language: site.attr('language') ?? SKELETON_SITE.language, description: site.attr('description') }),
    disclaimer: compact({ text: disclaimer.attr('text') ?? SKELETON_DISCLAIMER, contact: disclaimer.attr('contact') }),
  }
  if (defaults.length) {
    const d = defaults.attr() ?? {}
    config.defaults = compact({ schedule: d.schedule, timezone: d.timezone, content: d.content, maxItemsPerSource: d.maxItemsPerSource && Number(d.maxItemsPerSource), retentionDays: d.retentionDays && Number(d.retentionDays) })
  }
  config.categories = Object.fromEntries(categories)
  const q = JSON.stringify
  const object = (value: Record<string, unknown>) => `{ ${Object.entries(value).map(([k, v]) => `${k}: ${q(v)}`).join(', ')} }`
  return `import { defineConfig } from './src/config/index.js'

// Imported from ${file}${prefix ? '' : ': review ids, categories and the disclaimer before you start'}.
export default defineConfig({
  site: ${object(config.site as Record<string, unknown>)},
  disclaimer: ${object(config.disclaimer as Record<string, unknown>)},
${config.defaults ? `  defaults: ${object(config.defaults as Record<string, unknown>)},\n` : ''}  categories: {
${[...categories].map(([key, c]) => `    ${q(key)}: ${object(c)},`).join('\n')}
  },
  sources: [
${found.map((fields) => `    ${object(fields)},`).join('\n')}
  ],
})
`
}

/** Our per-source attributes and how each reads back. */
const SOURCE_FIELDS: ReadonlyArray<[name: string, kind: 'string' | 'number' | 'boolean' | 'json']> = [
  ['encoding', 'string'],
  ['schedule', 'string'],
  ['timezone', 'string'],
  ['content', 'string'],
  ['maxItems', 'number'],
  ['retentionDays', 'number'],
  ['include', 'json'],
  ['exclude', 'json'],
  ['page', 'json'],
  ['fullText', 'boolean'],
  ['ignoreRobots', 'boolean'],
  ['crawlDelay', 'number'],
]

/**
 * A source's categories: every entry of its `category` attribute (OPML 2.0: comma-separated,
 * slash-delimited; our keys as they are, another reader's last path segment made a key), else
 * its folder, else FALLBACK_CATEGORY.
 */
function categoriesOf(node: cheerio.Cheerio<Element>, category: (key: string, title: string) => string, ours: boolean): string[] {
  const listed = (node.attr('category') ?? '').split(',').map((entry) => entry.split('/').filter(Boolean).at(-1)?.trim()).filter((name): name is string => !!name)
  if (listed.length) return [...new Set(listed.map((name) => (ours ? category(name, name) : category(slug(name, 'category'), name))))]
  const folder = node.parent('outline')
  if (folder.length && !folder.attr('xmlUrl')) {
    const title = folder.attr('text') || folder.attr('title') || FALLBACK_CATEGORY
    return [category(slug(title, 'category'), title)]
  }
  return [category(FALLBACK_CATEGORY, FALLBACK_CATEGORY)]
}

function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== ''))
}

/** An id from a title: ASCII letters and digits kept, anything else folded to '-'; Chinese titles fall back. */
function slug(text: string, fallback: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
  return s || `${fallback}-${hash(text)}`
}

function hash(text: string): string {
  let h = 0
  for (const ch of text) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0
  return h.toString(36).slice(0, 6)
}
