/**
 * Murmur3's finalizer: a cheap 32-bit mix whose outputs for distinct inputs behave as independent
 * uniform values — all MinHash (dedupe/near.ts) and the LSH table (store/lsh.ts) ask of a hash.
 */
export function mix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
