/**
 * Items per poll capped before the expensive stages (issue 12 §5): a feed that lists 100,000
 * items is read as its newest `maxItems`, which is all the source keeps anyway, and says so.
 */
import type { RawFeed, SourceConfig } from '../model.js'
import { parseDate } from './date.js'

/**
 * The feed with only its newest `maxItems` entries (by the date each gives; an undated entry counts
 * as new, since it is dated when first seen), in feed order; unchanged when it has no more.
 */
export function newestEntries(raw: RawFeed, source: Pick<SourceConfig, 'id' | 'maxItems' | 'timezone'>, now: Date): RawFeed {
  if (raw.entries.length <= source.maxItems) return raw
  const nowMs = now.getTime()
  const dated = raw.entries.map((entry, index) => {
    const written = entry.published ?? entry.updated
    const ms = written === undefined ? nowMs : (parseDate(written, { zone: source.timezone, now })?.getTime() ?? nowMs)
    return { index, ms }
  })
  dated.sort((a, b) => b.ms - a.ms || a.index - b.index)
  const kept = new Set(dated.slice(0, source.maxItems).map((d) => d.index))
  return {
    ...raw,
    entries: raw.entries.filter((_, i) => kept.has(i)),
    warnings: [...raw.warnings, `normalize: the feed lists ${raw.entries.length} items; kept the newest ${source.maxItems} (maxItems) (source ${source.id})`],
  }
}
