import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { FetchError } from '../errors.js'
import type { FetchResult, Validators } from '../model.js'
import { bodyTooLarge, readCapped } from './body.js'
import { fetchError } from './failure.js'

/** A FetchResult before createFetcher() stamps the requested URL and how long it took. */
export type Answer = FetchResult extends infer Result ? (Result extends unknown ? Omit<Result, 'url' | 'elapsedMs'> : never) : never

/**
 * A `file://` source answered the way an HTTP server would: the file's mtime is its
 * Last-Modified, its size and mtime to the nanosecond its ETag (nginx makes its ETag the same
 * way), and a validator equal to it is a 304, so an unchanged file costs one stat. The ETag
 * decides when there is one: Last-Modified has whole seconds, and a file written twice in one
 * second is still a change.
 * The status codes are the HTTP ones (200/304) so the status page reads the same for both.
 */
export async function fetchFile(
  url: URL,
  validators: Validators,
  maxBytes: number,
  sourceId: string | undefined,
): Promise<Answer> {
  const href = url.href
  let path: string
  try {
    path = fileURLToPath(url)
  } catch (cause) {
    throw fetchError('not a local file URL', { url: href, sourceId }, { cause })
  }
  const where = { url: path, sourceId }

  let info
  try {
    info = await stat(path, { bigint: true })
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw fetchError(`no such file ${path}`, { sourceId }, { cause })
    throw fetchError(`cannot read file: ${(cause as Error).message}`, where, { cause })
  }
  if (!info.isFile()) throw fetchError(`not a regular file ${path}`, { sourceId })

  // Exact match, as nginx's default `if_modified_since exact`: a file restored from a backup has
  // an older mtime and is still a change.
  const lastModified = info.mtime.toUTCString()
  const etag = `"${info.size.toString(16)}-${info.mtimeNs.toString(16)}"`
  if (validators.etag !== undefined ? validators.etag === etag : validators.lastModified === lastModified) {
    return { kind: 'not-modified', finalUrl: href, httpStatus: 304, validators }
  }
  if (info.size > BigInt(maxBytes)) throw bodyTooLarge(maxBytes, where)
  let body: Uint8Array
  try {
    // Counted again while reading: the file may grow between stat and read.
    body = await readCapped(createReadStream(path), maxBytes, where)
  } catch (cause) {
    if (cause instanceof FetchError) throw cause
    throw fetchError(`cannot read file: ${(cause as Error).message}`, where, { cause })
  }
  return { kind: 'ok', finalUrl: href, httpStatus: 200, body, validators: { etag, lastModified } }
}
