import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { strongEtag, type Coding } from './conditional.js'

/**
 * Bytes of rendered bodies (and their gzip/br forms) kept per process, across (route, query,
 * store revision) keys: enough for every feed and page of a large site several times over, and
 * bounded however many distinct queries clients invent (issue 12 §7). Least recently used out first.
 */
export const RENDER_CACHE_BYTES = 64 * 1024 * 1024

/** One rendered response, with its compressed forms computed once, on first demand. */
export class Rendered {
  readonly body: Buffer
  readonly etag: string
  readonly contentType: string
  readonly lastModified?: string
  private compressed: Partial<Record<Exclude<Coding, 'identity'>, Buffer>> = {}
  /** Told how many bytes a compressed form added, so the cache holding this counts them. */
  grew?: (bytes: number) => void

  constructor(body: string | Buffer, contentType: string, lastModified?: Date) {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    this.etag = strongEtag(this.body)
    this.contentType = contentType
    this.lastModified = lastModified?.toUTCString()
  }

  /** The body in a coding; each coding is computed once and kept. */
  encoded(coding: Coding): Buffer {
    if (coding === 'identity') return this.body
    let out = this.compressed[coding]
    if (!out) {
      out =
        coding === 'br'
          ? brotliCompressSync(this.body, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: this.body.length } })
          : gzipSync(this.body, { level: 9 })
      this.compressed[coding] = out
      this.grew?.(out.length)
    }
    return out
  }

  /** Bytes held: the body and every compressed form made so far. */
  get size(): number {
    return this.body.length + (this.compressed.br?.length ?? 0) + (this.compressed.gzip?.length ?? 0)
  }
}

/** An LRU over Map's insertion order, bounded by the bytes it holds. */
export class RenderCache {
  private readonly entries = new Map<string, Rendered>()
  private bytes = 0

  constructor(
    private readonly capacityBytes = RENDER_CACHE_BYTES,
    private readonly onBytes?: (bytes: number) => void,
  ) {}

  get(key: string): Rendered | undefined {
    const hit = this.entries.get(key)
    if (hit) {
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }

  /** Keeps `value` under `key`, dropping the least recently used entries until the bytes fit; one bigger than the whole cache is not kept. */
  set(key: string, value: Rendered): void {
    this.delete(key)
    if (value.size > this.capacityBytes) return
    this.entries.set(key, value)
    this.bytes += value.size
    value.grew = (added) => {
      if (this.entries.get(key) !== value) return
      this.bytes += added
      this.evict()
    }
    this.evict()
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes }
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key)
    this.onBytes?.(this.bytes)
  }

  private delete(key: string): void {
    const old = this.entries.get(key)
    if (!old) return
    this.entries.delete(key)
    old.grew = undefined
    this.bytes -= old.size
  }

  private evict(): void {
    while (this.bytes > this.capacityBytes && this.entries.size > 1) this.delete(this.entries.keys().next().value!)
    this.onBytes?.(this.bytes)
  }
}
