/**
 * A least-recently-used map bounded by the total size of its values (bytes, or any measure the
 * caller gives), over Map's insertion order. A value larger than the whole bound is not kept.
 */
export class SizedLru<V> {
  private readonly entries = new Map<string, { value: V; size: number }>()
  private total = 0

  constructor(
    private readonly capacity: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  /** Sum of the sizes of what is kept. */
  get size(): number {
    return this.total
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    this.entries.delete(key)
    this.entries.set(key, hit)
    return hit.value
  }

  set(key: string, value: V): void {
    this.delete(key)
    const size = this.sizeOf(value)
    if (size > this.capacity) return
    this.entries.set(key, { value, size })
    this.total += size
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.capacity) break
      this.entries.delete(oldest)
      this.total -= entry.size
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key)
    if (!entry) return
    this.entries.delete(key)
    this.total -= entry.size
  }
}
