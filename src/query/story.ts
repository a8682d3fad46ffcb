/**
 * One story by the id feeds publish for it (SPEC §7, `/items/{uuid}`): the cluster whose id it is,
 * shown as every view shows it (publishStory), from whichever of its members are still stored.
 */
import type { Cluster, Config, Entry, PublishedItem } from '../model.js'
import type { Store } from '../store/index.js'
import { publishStory } from './index.js'

const UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-5([0-9a-f]{3})-([89ab])([0-9a-f]{3})-([0-9a-f]{12})$/i

/**
 * The stored ids a published `urn:uuid:` (without its prefix) can stand for. render/ids.ts
 * `publishedId` overwrites the version nibble (hex digit 12) and the top two bits of digit 16 of
 * the 128-bit id, so 16 × 4 ids map to each uuid; a store holds at most one of them in practice
 * (2⁻¹²² apart), and reading all 64 is one batched read.
 */
export function storyIdCandidates(uuid: string): string[] {
  const match = UUID.exec(uuid)
  if (!match) return []
  const [, a, b, c, variant, d, e] = match.map((part) => part?.toLowerCase())
  const low = parseInt(variant, 16) & 0x3
  const out: string[] = []
  for (let version = 0; version < 16; version++) {
    for (let high = 0; high < 4; high++) out.push(`${a}${b}${version.toString(16)}${c}${((high << 2) | low).toString(16)}${d}${e}`)
  }
  return out
}

/** The story published as `uuid`, or undefined when none is stored or its sources have left the config. */
export async function loadStory(store: Store, config: Config, uuid: string): Promise<PublishedItem | undefined> {
  const candidates = storyIdCandidates(uuid)
  if (candidates.length === 0) return undefined
  const [items, clusters] = await Promise.all([store.getItems(candidates), store.getClusters(candidates)])
  // A cluster outlives its first member (retention drops items, not clusters); a story alone has none.
  const cluster = clusters.find((c): c is Cluster => c !== undefined) ?? singleton(items.find((e): e is Entry => e !== undefined && e.clusterId === e.id))
  if (!cluster) return undefined
  const byId = new Map(config.sources.map((s) => [s.id, s]))
  const stored = cluster.members.length === 1 ? items.filter((e): e is Entry => e?.id === cluster.id) : await store.getItems(cluster.members.map((m) => m.itemId))
  const members = stored.filter((e): e is Entry => e !== undefined && byId.has(e.sourceId))
  if (members.length === 0) return undefined
  return publishStory(cluster.id, members, members, byId, config.site.url)
}

function singleton(entry: Entry | undefined): Cluster | undefined {
  return entry && { id: entry.id, members: [{ itemId: entry.id, sourceId: entry.sourceId }] }
}
