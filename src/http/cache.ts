import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { strongEtag, type Coding } from './conditional.js'

/** Rendered bodies kept per (route, query, store revision); an old revision is simply never asked for again. */
export const RENDER_CACHE_ENTRIES = 500

/** One rendered response, with its compressed forms computed once, on first demand. */
export class Rendered {
  readonly body: Buffer
  readonly etag: string
  readonly contentType: string
  readonly lastModified?: string
  private compressed: Partial<Record<Exclude<Coding, 'identity'>, Buffer>> = {}

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
    }
    return out
  }
}

/** A small LRU over Map's insertion order. */
export class RenderCache {
  private readonly entries = new Map<string, Rendered>()
  constructor(private readonly capacity = RENDER_CACHE_ENTRIES) {}

  get(key: string): Rendered | undefined {
    const hit = this.entries.get(key)
    if (hit) {
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }

  set(key: string, value: Rendered): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
  }

  clear(): void {
    this.entries.clear()
  }
}
