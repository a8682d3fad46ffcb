import { createHash } from 'node:crypto'

const HEX_ID = /^[0-9a-f]{32}$/i

/**
 * The published `guid`/`id` of an item: its 128-bit entry/cluster id as a `urn:uuid:` (RFC 9562),
 * with the version nibble set to 5 and the variant bits to 10 so validators accept it as a UUID.
 * Pure and deterministic: feed readers treat a changed id as a new item (SPEC §4), so the same
 * input must give the same output for ever. An id that is not 32 hex digits (never produced by
 * normalize/, but possible from an old store) is hashed first rather than rejected.
 */
export function publishedId(id: string): string {
  const hex = HEX_ID.test(id) ? id.toLowerCase() : createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 32)
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)
  const uuid = `${hex.slice(0, 12)}5${hex.slice(13, 16)}${variant}${hex.slice(17)}`
  return `urn:uuid:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`
}
