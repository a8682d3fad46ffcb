import type { PageConfig, SourceConfig } from './model.js'
import { AppError } from './errors.js'
import type { Fetcher } from './fetch/index.js'
import type { Logger } from './log.js'
import { decode } from './decode/index.js'
import { parseDate } from './normalize/index.js'
import { readerFor } from './source/index.js'
import { politeFetcher, wantsArticles } from './page/index.js'
import { readListPage } from './page/list.js'
import { suggestPage } from './page/suggest.js'
import { counted } from './plural.js'

/**
 * Article pages `preview` reads: enough to check the article selectors and see content length and
 * origin, without making the operator wait a polite second for every item of the list.
 */
export const PREVIEW_ARTICLES = 5

/** Items `suggest` prints of the list its best proposal yields. */
export const SUGGEST_SAMPLE_ITEMS = 5

/** `feedloom preview --source ID`: what the source yields now, stored nowhere. */
export async function previewSource(source: SourceConfig, deps: { fetcher: Fetcher; now: Date; log: Logger }): Promise<string> {
  const reader = readerFor(source, deps.fetcher)
  const { fetched } = await reader.fetch({})
  if (fetched.kind !== 'ok') return `${source.id}: not modified\n`
  const { decoded, raw, entries: fresh, articles, skipped, warnings } = await reader.read(fetched, { now: deps.now, knownAmbiguous: [], articleLimit: PREVIEW_ARTICLES })
  const articleNote = wantsArticles(source) ? `  article pages: ${articles ?? 0} read (at most ${PREVIEW_ARTICLES} in a preview)` : undefined
  const lines = [
    `${source.id} — ${raw.title ?? source.title}`,
    `  ${fetched.finalUrl} · HTTP ${fetched.httpStatus} · ${raw.format} · ${decoded.encoding} (${decoded.encodingSource}) · ${counted(fresh.length, 'item')}${skipped ? ` (${skipped} skipped: no title, text, link or media)` : ''}`,
    ...(articleNote ? [articleNote] : []),
    ...warnings.map((w) => `  warning: ${w}`),
    '',
  ]
  for (const entry of fresh) {
    lines.push(`- ${entry.title}`)
    lines.push(`  link:    ${entry.url ?? '(none)'}`)
    lines.push(`  date:    ${entry.published}${entry.dateFrom === 'first-seen' ? ' (first seen: the source gave no usable date)' : ''}`)
    lines.push(`  content: ${entry.text.length} characters${entry.origin ? ` · origin: ${entry.origin}` : ''}`)
  }
  return `${lines.join('\n')}\n`
}

/** `{ item: ".list li", title: "a@title" }`: a page config as it is written in feeds.config.ts. */
function formatPage(page: PageConfig): string {
  return `{ ${Object.entries(page)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join(', ')} }`
}

/**
 * `feedloom suggest URL`: fetches a list page, proposes `page` selectors for it, prints a config
 * snippet and the first items the best proposal yields, then the runners-up.
 */
export async function suggestSource(url: string, deps: { fetcher: Fetcher; now: Date; zone: string }): Promise<string> {
  const robots = await politeFetcher(deps.fetcher).robots.check(url)
  const fetched = await deps.fetcher.fetch(url, {})
  if (fetched.kind !== 'ok') throw new AppError(`suggest: ${url} answered HTTP ${fetched.httpStatus} without a body`)
  const decoded = decode(fetched.body, { contentType: fetched.contentType })
  const suggestions = suggestPage(decoded.text, { zone: deps.zone, now: deps.now })
  const head = `${fetched.finalUrl} · HTTP ${fetched.httpStatus} · ${decoded.encoding} (${decoded.encodingSource})`
  if (suggestions.length === 0) {
    throw new AppError(`suggest: no repeated block of links found on ${fetched.finalUrl}: is it a list page? (${decoded.encoding})`)
  }
  const [best, ...others] = suggestions
  const list = readListPage(decoded.text, fetched.finalUrl, best.page)
  const lines = [
    head,
    robots.allowed ? 'robots.txt: allowed' : `robots.txt: ${robots.reason}: polling it needs ignoreRobots: true, and the site's permission`,
    '',
    `Best match: ${counted(best.items, 'item')}, ${best.dated} with a date (score ${best.score}). Add to sources in feeds.config.ts:`,
    '',
    `  { id: "CHANGE-ME", title: ${JSON.stringify(list.title ?? 'CHANGE ME')}, url: ${JSON.stringify(fetched.finalUrl)}, categories: ["CHANGE-ME"],`,
    `    page: ${formatPage(best.page)} },`,
    '',
    'First items it yields:',
  ]
  for (const entry of list.entries.slice(0, SUGGEST_SAMPLE_ITEMS)) {
    const date = entry.published === undefined ? undefined : parseDate(entry.published, { zone: deps.zone, now: deps.now })
    lines.push(`- ${entry.title ?? '(no title)'}`)
    lines.push(`  link: ${entry.link ?? '(none)'}`)
    if (entry.published !== undefined) lines.push(`  date: ${date ? date.toISOString() : '(unreadable)'} (${JSON.stringify(entry.published)} in ${deps.zone})`)
  }
  if (others.length) {
    lines.push('', 'Other candidates:')
    for (const other of others) lines.push(`  page: ${formatPage(other.page)}  (${counted(other.items, 'item')}, ${other.dated} dated, score ${other.score})`)
  }
  return `${lines.join('\n')}\n`
}
