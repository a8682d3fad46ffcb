/**
 * dedupe/: one poll's entries merged with what the store knows — the same item seen again keeps
 * its identity; a new item joins the cluster of the story another source already published, found
 * by exact key (canonical link, global GUID) or by near-duplicate fingerprint (issue 3 §5).
 * Pure: refresh.ts loads `Known` in a few batched reads and commits the result.
 */
import type { Cluster, ClusterMember, Entry, NearRecord, SourceConfig } from '../model.js'
import { exactKeys } from '../store/index.js'
import { fingerprint, fromRecord, sameStory, similarity, toRecord, type Fingerprint } from './near.js'

export * from './near.js'

export * from './rank.js'

/** What the store already knows about the entries of one poll, loaded by refresh.ts before merging. */
export interface Known {
  /** Stored items of this source with the same ids as this poll's entries. */
  previous: ReadonlyMap<string, Entry>
  /** Exact key → item id, for the keys of this poll's new entries. */
  keyOwners: ReadonlyMap<string, string>
  /** The items those keys point at. */
  owners: ReadonlyMap<string, Entry>
  /** Existing clusters of those owners and of the near-duplicate candidates. */
  clusters: ReadonlyMap<string, Cluster>
  /** Fingerprints of this poll's new entries (`fingerprints`); an entry without one is too short. */
  prints?: ReadonlyMap<string, Fingerprint>
  /**
   * Per new entry with a fingerprint, the stored fingerprints it is compared with: other sources'
   * items of its LSH buckets, best first (`rankCandidates`, as `Store.nearCandidates` answers).
   */
  candidates?: ReadonlyMap<string, readonly NearRecord[]>
}

export interface Merged {
  /** Every entry of this poll as it should be stored (merged with what was stored). */
  entries: Entry[]
  /** The subset that is new or changed and must be written. */
  upserts: Entry[]
  keys: Array<[string, string]>
  clusters: Cluster[]
  /** Fingerprints of the new entries, which the store indexes by their buckets. */
  records: NearRecord[]
  newCount: number
  updatedCount: number
}

/** Fingerprints of the entries that have one, by id. */
export function fingerprints(entries: readonly Entry[]): Map<string, Fingerprint> {
  const out = new Map<string, Fingerprint>()
  for (const entry of entries) {
    const print = fingerprint(entry)
    if (print) out.set(entry.id, print)
  }
  return out
}

/**
 * Merges one poll of `source`. The same item seen again (same id) updates in place: id, first-seen
 * time and cluster never change. A new item joins the cluster of another source's item with one of
 * its exact keys, else of the closest near duplicate `sameStory` accepts; the cluster keeps its id
 * (its first member's). A cluster never takes a second item of one source, and links the source
 * gave to several items are in `ambiguous` and match nothing — such items still match by content.
 */
export function mergePoll(source: Pick<SourceConfig, 'id'>, fresh: Entry[], known: Known, ambiguous: ReadonlySet<string>): Merged {
  const entries: Entry[] = []
  const upserts: Entry[] = []
  const keys: Array<[string, string]> = []
  const clusters = new Map<string, Cluster>()
  const claimed = new Map<string, string>()
  const records: NearRecord[] = []
  let newCount = 0
  let updatedCount = 0

  const clusterOf = (id: string, first: ClusterMember): Cluster => clusters.get(id) ?? known.clusters.get(id) ?? { id, members: [first] }
  const open = (cluster: Cluster) => !cluster.members.some((m) => m.sourceId === source.id)

  for (const entry of fresh) {
    const before = known.previous.get(entry.id)
    if (before) {
      const merged = keepIdentity(entry, before)
      entries.push(merged)
      if (changed(merged, before)) {
        upserts.push(merged)
        updatedCount++
      }
      continue
    }

    newCount++
    const entryKeys = exactKeys(entry, ambiguous)
    const print = known.prints?.get(entry.id)
    const cluster = exactCluster(entryKeys) ?? (print && nearCluster(entry.id, print))
    const clusterId = cluster?.id ?? entry.id
    if (cluster) clusters.set(cluster.id, { id: cluster.id, members: [...cluster.members, { itemId: entry.id, sourceId: source.id }] })

    for (const key of entryKeys) {
      // A key whose owner was deleted by retention is free again.
      const ownerId = known.keyOwners.get(key)
      if ((ownerId === undefined || !known.owners.has(ownerId)) && !claimed.has(key)) {
        claimed.set(key, entry.id)
        keys.push([key, entry.id])
      }
    }
    // Unchanged, the entry itself is stored: the JSON it came with (source/transfer.ts) is written as it is.
    const stored = clusterId === entry.clusterId ? entry : { ...entry, clusterId }
    entries.push(stored)
    upserts.push(stored)
    if (print) records.push(toRecord(stored, print))
  }
  return { entries, upserts, keys, clusters: [...clusters.values()], records, newCount, updatedCount }

  function exactCluster(entryKeys: string[]): Cluster | undefined {
    for (const key of entryKeys) {
      const ownerId = known.keyOwners.get(key)
      const owner = ownerId === undefined ? undefined : known.owners.get(ownerId)
      if (!owner || owner.sourceId === source.id) continue
      const cluster = clusterOf(owner.clusterId, { itemId: owner.id, sourceId: owner.sourceId })
      if (open(cluster)) return cluster
    }
    return undefined
  }

  function nearCluster(id: string, print: Fingerprint): Cluster | undefined {
    let best: { cluster: Cluster; jaccard: number } | undefined
    for (const record of known.candidates?.get(id) ?? []) {
      // The store ranks other sources' items only; a hand-made Known is held to the same rule.
      if (record.sourceId === source.id) continue
      const other = fromRecord(record)
      if (!other) continue
      const s = similarity(print, other)
      if (!sameStory(s) || (best && best.jaccard >= s.jaccard)) continue
      const cluster = clusterOf(record.clusterId, { itemId: record.itemId, sourceId: record.sourceId })
      if (open(cluster)) best = { cluster, jaccard: s.jaccard }
    }
    return best?.cluster
  }
}

/** What readers see changed: an edit, a new date, or what is read from the text (origin, credits). */
function changed(merged: Entry, before: Entry): boolean {
  return (
    merged.contentHash !== before.contentHash ||
    merged.published !== before.published ||
    merged.origin !== before.origin ||
    merged.originalTitle !== before.originalTitle ||
    merged.authors.join('\n') !== before.authors.join('\n')
  )
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
