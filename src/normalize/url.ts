/**
 * Links: made absolute for readers, made canonical for matching the same story across polls
 * and sources.
 */

/** Schemes an item link may have: anything else is not a page a reader can open. */
const WEB_SCHEMES = new Set(['http:', 'https:'])

/**
 * Query parameters that say who shared a link or which campaign it came from, never which page
 * it is. `utm_*` and the `spm` of Alibaba/Aliyun pages are matched by prefix.
 */
const TRACKING_PARAM_PREFIXES = ['utm_', 'spm']
const TRACKING_PARAMS = new Set([
  'from', 'fbclid', 'gclid', 'dclid', 'gbraid', 'wbraid', 'msclkid', 'yclid', 'twclid', 'igshid',
  'mc_cid', 'mc_eid', '_hsenc', '_hsmi', 'mkt_tok', 'ref_src', 'vd_source', 'share_source',
  'share_medium', 'share_token', 'isappinstalled', 'scene', 'chksm', 'sharer_sharetime',
  'sharer_shareid', 'wxfrom',
])

/** Paths a server answers with its home page: a link to one identifies no item. */
const HOME_PAGE_PATH = /^\/(?:(?:index|default)\.(?:html?|shtml|php|aspx?|jsp))?$/i

/** A URL parsed without throwing. */
function parse(href: string, base?: string): URL | undefined {
  try {
    return new URL(href, base)
  } catch {
    return undefined
  }
}

/**
 * `href` resolved against `base`; only an http(s) result counts. A protocol-relative link with
 * no base to take the scheme from is read as https.
 */
export function absoluteUrl(href: string | undefined, base: string | undefined): string | undefined {
  const trimmed = href?.trim()
  if (!trimmed) return undefined
  const baseUrl = base?.trim() ? parse(base.trim()) : undefined
  const url = baseUrl ? parse(trimmed, baseUrl.href) : parse(trimmed.startsWith('//') ? `https:${trimmed}` : trimmed)
  return url && WEB_SCHEMES.has(url.protocol) ? url.href : undefined
}

function isTrackingParam(pair: string): boolean {
  const key = decodeURIComponentSafe(pair.split('=')[0]).toLowerCase()
  return TRACKING_PARAMS.has(key) || TRACKING_PARAM_PREFIXES.some((prefix) => key.startsWith(prefix))
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/**
 * The form of a link used to tell whether two links are the same page: lowercase scheme and
 * host, no default port, no fragment, no tracking parameters, the rest of the query sorted by
 * key (each pair kept as written, so nothing is re-encoded), an empty path as `/`.
 * A string that is no URL comes back trimmed.
 */
export function canonicalUrl(url: string): string {
  const parsed = parse(url.trim())
  if (!parsed) return url.trim()
  parsed.hash = ''
  const pairs = parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParam(pair))
  const keyOf = (pair: string) => pair.split('=')[0]
  pairs.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
  parsed.search = pairs.length > 0 ? `?${pairs.join('&')}` : ''
  return parsed.href
}

/** A home page (`/`, `/index.html`, no query): a link that identifies no item. */
export function isRootUrl(url: string): boolean {
  const parsed = parse(url.trim())
  if (!parsed) return false
  return HOME_PAGE_PATH.test(parsed.pathname || '/') && parsed.search === ''
}
