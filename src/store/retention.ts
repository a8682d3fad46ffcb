import type { Entry, SourceConfig } from '../model.js'
import type { ItemRef } from '../model.js'

const DAY_MS = 86_400_000

/**
 * A source's new item list after a poll: this poll's entries merged into the stored list, newest
 * first. Items still in the source's feed (`inFeed`: this poll's ids, by default those of
 * `current`) are kept; others go once they are older than `retentionDays`; the list never grows
 * past `maxItems` (oldest dropped first).
 */
export function retain(stored: ItemRef[], current: Entry[], source: Pick<SourceConfig, 'retentionDays' | 'maxItems'>, now: Date, inFeed: ReadonlySet<string> = new Set(current.map((e) => e.id))): { list: ItemRef[]; dropped: string[] } {
  const byId = new Map<string, ItemRef>(stored.map((ref) => [ref[0], ref]))
  for (const entry of current) byId.set(entry.id, [entry.id, Date.parse(entry.published)])
  const cutoff = now.getTime() - source.retentionDays * DAY_MS
  const sorted = [...byId.values()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const list: ItemRef[] = []
  const dropped: string[] = []
  for (const ref of sorted) {
    if (list.length < source.maxItems && (inFeed.has(ref[0]) || ref[1] >= cutoff)) list.push(ref)
    else dropped.push(ref[0])
  }
  return { list, dropped }
}
