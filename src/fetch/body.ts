import type { FetchError } from '../errors.js'
import { fetchError, type Where } from './failure.js'

/**
 * Reads `chunks` to the end, failing as soon as their sum passes `maxBytes`. Counting while
 * reading (not trusting Content-Length, which chunked and compressed responses lack or
 * understate) is what keeps a never-ending or decompression-bomb body from filling memory.
 * Leaving the loop early closes the source (the reader is cancelled, the file stream destroyed).
 */
export async function readCapped(chunks: AsyncIterable<Uint8Array>, maxBytes: number, where: Where): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let total = 0
  for await (const chunk of chunks) {
    total += chunk.byteLength
    if (total > maxBytes) throw bodyTooLarge(maxBytes, where)
    parts.push(chunk)
  }
  return Buffer.concat(parts, total)
}

export function bodyTooLarge(maxBytes: number, where: Where): FetchError {
  return fetchError(`body larger than ${formatBytes(maxBytes)} limit`, where)
}

/** A web ReadableStream as an async iterable that cancels the stream when the reader stops early. */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        finished = true
        return
      }
      yield value
    }
  } finally {
    // Cancelling tells undici to drop the connection instead of downloading the rest; its
    // rejection (the stream already errored) says nothing the caller has not been told.
    if (!finished) await reader.cancel().catch(() => undefined)
  }
}

/** 15728640 → `15 MiB`, 262144 → `256 KiB`, 1000 → `1000 bytes`: the cap as it was configured. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
