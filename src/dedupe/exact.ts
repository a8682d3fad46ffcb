import type { Cluster, Entry, SourceConfig } from '../model.js'
import { exactKeys } from '../store/index.js'

/** What the store already knows about the entries of one poll, loaded by refresh.ts before merging. */
export interface Known {
  /** Stored items of this source with the same ids as this poll's entries. */
  previous: ReadonlyMap<string, Entry>
  /** Exact key → item id, for the keys of this poll's new entries. */
  keyOwners: ReadonlyMap<string, string>
  /** The items those keys point at. */
  owners: ReadonlyMap<string, Entry>
  /** Existing clusters of those owners. */
  clusters: ReadonlyMap<string, Cluster>
}

export interface Merged {
  /** Every entry of this poll as it should be stored (merged with what was stored). */
  entries: Entry[]
  /** The subset that is new or changed and must be written. */
  upserts: Entry[]
  keys: Array<[string, string]>
  clusters: Cluster[]
  newCount: number
  updatedCount: number
}

/**
 * Exact dedupe (issue 2 §8). The same item seen again (same id: same GUID, or same canonical link
 * without one) updates in place: id, first-seen time and cluster never change. A new item whose
 * canonical link or global GUID another source already published joins that item's cluster, so the
 * story is published once with both sources listed. Links the source gave to several items are in
 * `ambiguous` and match nothing.
 */
export function mergeExact(source: SourceConfig, fresh: Entry[], known: Known, ambiguous: ReadonlySet<string>): Merged {
  const entries: Entry[] = []
  const upserts: Entry[] = []
  const keys: Array<[string, string]> = []
  const clusters = new Map<string, Cluster>()
  const claimed = new Map<string, string>()
  let newCount = 0
  let updatedCount = 0

  for (const entry of fresh) {
    const before = known.previous.get(entry.id)
    if (before) {
      const merged = keepIdentity(entry, before)
      entries.push(merged)
      if (merged.contentHash !== before.contentHash || merged.published !== before.published || merged.origin !== before.origin) {
        upserts.push(merged)
        updatedCount++
      }
      continue
    }

    newCount++
    let clusterId = entry.id
    const entryKeys = exactKeys(entry, ambiguous)
    for (const key of entryKeys) {
      const ownerId = claimed.get(key) ?? known.keyOwners.get(key)
      const owner = ownerId === undefined ? undefined : known.owners.get(ownerId)
      if (owner && owner.sourceId !== source.id) {
        clusterId = owner.clusterId
        const cluster = clusters.get(clusterId) ?? known.clusters.get(clusterId) ?? { id: clusterId, members: [{ itemId: owner.id, sourceId: owner.sourceId }] }
        if (!cluster.members.some((m) => m.itemId === entry.id)) {
          clusters.set(clusterId, { id: cluster.id, members: [...cluster.members, { itemId: entry.id, sourceId: source.id }] })
        }
        break
      }
    }
    for (const key of entryKeys) {
      // A key whose owner was deleted by retention is free again.
      const ownerId = known.keyOwners.get(key)
      if ((ownerId === undefined || !known.owners.has(ownerId)) && !claimed.has(key)) {
        claimed.set(key, entry.id)
        keys.push([key, entry.id])
      }
    }
    const stored = { ...entry, clusterId }
    entries.push(stored)
    upserts.push(stored)
  }
  return { entries, upserts, keys, clusters: [...clusters.values()], newCount, updatedCount }
}

/** A re-polled item keeps what readers rely on: first-seen, cluster and a first-seen date. */
function keepIdentity(entry: Entry, before: Entry): Entry {
  const dateFromSource = entry.dateFrom === 'source'
  return {
    ...entry,
    firstSeen: before.firstSeen,
    clusterId: before.clusterId,
    published: dateFromSource ? entry.published : before.published,
    dateFrom: dateFromSource ? 'source' : before.dateFrom,
    updated: entry.contentHash !== before.contentHash ? entry.updated ?? entry.firstSeen : before.updated,
  }
}
