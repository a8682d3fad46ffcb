/**
 * Stores written before issue 9 kept the near-duplicate index as Keyv records: `near:{id}` (a
 * signature of the MinHash scheme since replaced) and `lsh:{band}:{hash}` (each bucket's newest
 * item ids). On the first open each fingerprinted item is fingerprinted again, from its stored
 * title and text, into the backend's own index; the old records are deleted last, with the format
 * mark, so an interrupted migration starts over and loses nothing.
 */
import type { Entry, NearRecord } from '../model.js'
import type { Backend, Batch } from './backend.js'
import { deserialize, encodeValue } from './codec.js'

/** `meta:format`: 2 once the index lives beside the records. Absent: a store written before. */
export const FORMAT_KEY = 'meta:format'
export const FORMAT = 2

/** Records moved per atomic batch. */
const MIGRATE_BATCH = 2_000

const empty = (): Batch => ({ set: [], delete: [], nearAdd: [], nearRemove: [], changed: [], deleted: [] })

/** Brings a store to FORMAT; returns how many items were fingerprinted again (0 for a new or current store). */
export async function migrate(backend: Backend): Promise<number> {
  const [format, rev] = await backend.keyv.getMany<unknown>([FORMAT_KEY, 'rev'])
  if (format === FORMAT) return 0
  if (rev === undefined) {
    // A new store: nothing to move.
    await backend.apply({ ...empty(), set: [[FORMAT_KEY, encodeValue(FORMAT)]] })
    return 0
  }
  // The fingerprint is dedupe's to make; loaded only for this one-time step.
  const { fingerprint, toRecord } = await import('../dedupe/near.js')
  let moved = 0
  let batch = empty()
  let pending: Array<{ key: string; old: Pick<NearRecord, 'itemId' | 'clusterId'> }> = []
  const flush = async () => {
    const items = await backend.keyv.getMany<Entry>(pending.map((p) => `item:${p.old.itemId}`))
    pending.forEach(({ key, old }, i) => {
      batch.delete.push(key)
      const item = items[i]
      const print = item && fingerprint(item)
      // The cluster an item joined when it was first stored is its for ever.
      if (item && print) batch.nearAdd.push(toRecord({ ...item, clusterId: old.clusterId }, print))
    })
    moved += batch.nearAdd.length
    if (batch.delete.length) await backend.apply(batch)
    batch = empty()
    pending = []
  }
  for await (const [key, raw] of backend.scan('near:')) {
    pending.push({ key, old: deserialize<{ value: Pick<NearRecord, 'itemId' | 'clusterId'> }>(raw).value })
    if (pending.length >= MIGRATE_BATCH) await flush()
  }
  await flush()
  const lshKeys: string[] = []
  for await (const [key] of backend.scan('lsh:')) lshKeys.push(key)
  for (let i = 0; i < lshKeys.length; i += MIGRATE_BATCH) await backend.apply({ ...empty(), delete: lshKeys.slice(i, i + MIGRATE_BATCH) })
  await backend.apply({ ...empty(), set: [[FORMAT_KEY, encodeValue(FORMAT)]] })
  return moved
}
