/**
 * How values are written to and read from every backend. Keyv keeps `{ value, expires }` records;
 * its default serializer (@keyv/serialize) walks every value in JavaScript and its deserializer
 * parses with a reviver, together a third of the ingest CPU at volume. We write plain
 * `JSON.stringify` output tagged `"f":2` and read it with a plain `JSON.parse`.
 *
 * Stores written before (by @keyv/sqlite, @keyv/redis, @keyv/postgres with the default
 * serializer) hold untagged records, which differ from plain JSON only in two escapes: a string
 * starting with `:` was written with one more `:`, and a Buffer as `":base64:…"`. Those records,
 * and only those, are read with @keyv/serialize's own reviver, so old data reads as it was written.
 */
import { defaultDeserialize } from '@keyv/serialize'

/** The tag of records this codec wrote; its first bytes tell them from the old ones without parsing. */
const TAG = '{"f":2,'

export interface Record_ {
  value?: unknown
  expires?: number | null
}

export function serialize(data: Record_): string {
  const value = JSON.stringify(data.value ?? null)
  return typeof data.expires === 'number' ? `${TAG}"value":${value},"expires":${data.expires}}` : `${TAG}"value":${value}}`
}

export function deserialize<T>(raw: unknown): T {
  if (typeof raw !== 'string') return raw as T
  if (raw.startsWith(TAG) || !(raw.includes('"::') || raw.includes('":base64:'))) return JSON.parse(raw) as T
  return defaultDeserialize(raw) as T
}

/**
 * Values whose JSON is known already (entries a reader thread sent as JSON, source/transfer.ts):
 * stored as that JSON rather than serialized again. Only for objects that never change after.
 */
const knownJson = new WeakMap<object, string>()

export function rememberJson(value: object, json: string): void {
  knownJson.set(value, json)
}

/** The stored form of one value, as Keyv's `set` would write it (no expiry: feedloom never sets a TTL). */
export function encodeValue(value: unknown): string {
  const json = typeof value === 'object' && value !== null ? knownJson.get(value) : undefined
  return json === undefined ? serialize({ value }) : `${TAG}"value":${json}}`
}
