import { HttpError } from '../errors.js'
import type { ItemRef } from '../store/index.js'

/**
 * A place in a view's merged list: the published time and id of the last item a page consumed.
 * Lists are ordered newest first, ties by id ascending, so a position is total and a page that
 * starts strictly after it never repeats or skips an item, whatever was stored since (RFC 5005 §3).
 */
export interface Cursor {
  publishedMs: number
  id: string
}

/** Longest id we accept in a cursor: ids are 32 hex digits; anything much longer is not ours. */
const MAX_CURSOR_ID_LENGTH = 200
const CURSOR_TEXT = /^(-?\d{1,16}):([\s\S]+)$/

/** The opaque `before=` token for a position: base64url of `ms:id`, so readers treat it as a token. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.publishedMs}:${cursor.id}`, 'utf8').toString('base64url')
}

/** Reads a `before=` token; anything this server did not give out is a 400 naming the parameter. */
export function decodeCursor(token: string): Cursor {
  const bad = () => new HttpError(400, 'before: not a paging cursor from this server (follow the feed\'s "next" link)')
  if (!/^[A-Za-z0-9_-]{4,400}$/.test(token)) throw bad()
  const match = CURSOR_TEXT.exec(Buffer.from(token, 'base64url').toString('utf8'))
  if (!match || match[2].length > MAX_CURSOR_ID_LENGTH) throw bad()
  const cursor = { publishedMs: Number(match[1]), id: match[2] }
  // Only the canonical spelling of a position: no padding tricks, no two tokens for one page.
  if (!Number.isSafeInteger(cursor.publishedMs) || encodeCursor(cursor) !== token) throw bad()
  return cursor
}

/** Negative when `a` comes before (is newer than) `b` in a merged list. */
export function compareRefs(a: ItemRef, b: ItemRef): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
}

export function cursorRef(cursor: Cursor): ItemRef {
  return [cursor.id, cursor.publishedMs]
}
