/**
 * Stores written before issue 9 kept the near-duplicate index as Keyv records: `near:{id}` (the
 * signature in base64) and `lsh:{band}:{hash in base 36}` (the bucket's newest item ids). On the
 * first open they move, once, into the backend's index; their records are deleted last, with the
 * format mark, so an interrupted migration starts over and loses nothing.
 */
import type { NearRecord } from '../model.js'
import type { Backend, Batch } from './backend.js'
import { deserialize, encodeValue } from './codec.js'

/** `meta:format`: 2 once the index lives beside the records. Absent: a store written before. */
export const FORMAT_KEY = 'meta:format'
export const FORMAT = 2

/** Records moved per atomic batch. */
const MIGRATE_BATCH = 2_000
/** 2³², as in dedupe/near `bandKeys`: a bucket is `band × 2³² + hash`. */
const BAND_STRIDE = 0x1_0000_0000

interface OldNearRecord extends Omit<NearRecord, 'signature' | 'buckets'> {
  signature: string
}

const empty = (): Batch => ({ set: [], delete: [], nearAdd: [], nearRemove: [], changed: [], deleted: [] })

/** Brings a store to FORMAT; returns how many fingerprints moved (0 for a new or current store). */
export async function migrate(backend: Backend): Promise<number> {
  const [format, rev] = await backend.keyv.getMany<unknown>([FORMAT_KEY, 'rev'])
  if (format === FORMAT) return 0
  if (rev === undefined) {
    // A new store: nothing to move.
    await backend.apply({ ...empty(), set: [[FORMAT_KEY, encodeValue(FORMAT)]] })
    return 0
  }

  const bucketsOf = new Map<string, number[]>()
  const lshKeys: string[] = []
  for await (const [key, raw] of backend.scan('lsh:')) {
    const match = /^lsh:(\d+):([0-9a-z]+)$/.exec(key)
    lshKeys.push(key)
    if (!match) continue
    const bucket = Number(match[1]) * BAND_STRIDE + parseInt(match[2], 36)
    for (const id of deserialize<{ value: string[] }>(raw).value ?? []) {
      const list = bucketsOf.get(id)
      if (list) list.push(bucket)
      else bucketsOf.set(id, [bucket])
    }
  }

  let moved = 0
  let batch = empty()
  const flush = async () => {
    if (batch.nearAdd.length || batch.delete.length) await backend.apply(batch)
    batch = empty()
  }
  for await (const [key, raw] of backend.scan('near:')) {
    const old = deserialize<{ value: OldNearRecord }>(raw).value
    const bytes = Buffer.from(old.signature, 'base64')
    const signature = new Uint32Array(bytes.byteLength >>> 2)
    for (let i = 0; i < signature.length; i++) signature[i] = bytes.readUInt32LE(i * 4)
    batch.nearAdd.push({ ...old, signature, buckets: bucketsOf.get(old.itemId) ?? [] })
    batch.delete.push(key)
    moved++
    if (batch.nearAdd.length >= MIGRATE_BATCH) await flush()
  }
  await flush()
  for (let i = 0; i < lshKeys.length; i += MIGRATE_BATCH) await backend.apply({ ...empty(), delete: lshKeys.slice(i, i + MIGRATE_BATCH) })
  await backend.apply({ ...empty(), set: [[FORMAT_KEY, encodeValue(FORMAT)]] })
  return moved
}
