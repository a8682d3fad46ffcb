import type { SourceConfig } from './model.js'
import type { Fetcher } from './fetch/index.js'
import type { Logger } from './log.js'
import { readEntries } from './refresh.js'

/** `feedloom preview --source ID`: what the source yields now, stored nowhere. */
export async function previewSource(source: SourceConfig, deps: { fetcher: Fetcher; now: Date; log: Logger }): Promise<string> {
  const fetched = await deps.fetcher.fetch(source.url, {}, { sourceId: source.id })
  if (fetched.kind !== 'ok') return `${source.id}: not modified\n`
  const { decoded, raw, fresh, warnings } = await readEntries(source, fetched, deps.now, [])
  const lines = [
    `${source.id} — ${raw.title ?? source.title}`,
    `  ${fetched.finalUrl} · HTTP ${fetched.httpStatus} · ${raw.format} · ${decoded.encoding} (${decoded.encodingSource}) · ${fresh.length} items`,
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
