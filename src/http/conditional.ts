import { createHash } from 'node:crypto'

/** Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5). */
export const RETAINED_304_HEADERS = ['etag', 'last-modified', 'cache-control', 'vary', 'content-location', 'expires'] as const

/** Strong ETag from the body bytes: the same bytes always give the same tag, across processes. */
export function strongEtag(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

/** `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`. */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t.replace(/^W\//, '') === bare
  })
}

/**
 * Should a GET/HEAD be answered 304? `If-None-Match` wins when present, and then
 * `If-Modified-Since` is ignored (RFC 9110 §13.2.2 steps 3–4).
 */
export function isNotModified(headers: { ifNoneMatch?: string; ifModifiedSince?: string }, etag: string, lastModified?: string): boolean {
  if (headers.ifNoneMatch) return etagMatches(headers.ifNoneMatch, etag)
  if (headers.ifModifiedSince && lastModified) {
    const since = Date.parse(headers.ifModifiedSince)
    const modified = Date.parse(lastModified)
    // HTTP dates have one-second resolution; an invalid date is ignored (RFC 9110 §13.1.3).
    if (Number.isFinite(since) && Number.isFinite(modified)) return Math.floor(modified / 1000) <= Math.floor(since / 1000)
  }
  return false
}

export type Coding = 'br' | 'gzip' | 'identity'

/**
 * The strong validator of a body in a content coding: a gzip or br body is another representation
 * than the identity one, so it needs another strong ETag (RFC 9110 §8.8.3, issue 11 §9).
 */
export function codedEtag(etag: string, coding: Coding): string {
  return coding === 'identity' ? etag : `${etag.slice(0, -1)}-${coding}"`
}

/** Picks br, then gzip, by the client's q-values; identity when it asks for neither (RFC 9110 §12.5.3). */
export function chooseEncoding(acceptEncoding: string | undefined): Coding {
  if (!acceptEncoding) return 'identity'
  const q = new Map<string, number>()
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    if (!name) continue
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = qParam ? Number(qParam.slice(2)) : 1
    q.set(name, Number.isFinite(value) ? value : 0)
  }
  const weight = (name: string) => q.get(name) ?? q.get('*') ?? 0
  const br = weight('br')
  const gzip = weight('gzip')
  if (br > 0 && br >= gzip) return 'br'
  if (gzip > 0) return 'gzip'
  return 'identity'
}

/**
 * A browser opening a page asks for `text/html` first; feed readers ask for feed types (some list
 * `text/html` too, at a low weight). Only the former gets the HTML representation of a feed (SPEC §7).
 */
export function isBrowserNavigation(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html') && !/application\/(rss\+xml|atom\+xml|feed\+json|json)/.test(accept)
}
