/**
 * The security headers of every HTML page (issue 12 §7): a CSP without inline script, no MIME
 * sniffing, a referrer policy, no framing by other sites (except the iframe widget, which portals
 * frame by design), no powerful browser features, and HSTS when the site is served over https.
 */
import type { Config } from '../model.js'

/** Features no page of ours uses; denying them means an injected frame or script cannot ask for them either. */
export const PERMISSIONS_POLICY = 'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()'

/** A year, the value HSTS preload lists ask for (RFC 6797 §6.1.1); only sent when site.url is https. */
export const HSTS = 'max-age=31536000'

/** Who may frame `/widget/{category}.html` when `site.widget.frameAncestors` is not set: any portal. */
export const DEFAULT_FRAME_ANCESTORS = ['*']

/** `frame-ancestors` sources from config; a token that could end the directive early is dropped. */
export function frameAncestors(config: Config): string {
  const listed = (config.site.widget?.frameAncestors ?? DEFAULT_FRAME_ANCESTORS).filter((s) => /^[^\s;,]+$/.test(s))
  return listed.length ? listed.join(' ') : "'none'"
}

/**
 * Where page images may come from: our own origin (the `/img/` proxy) when it is on, any web
 * address when `site.imageProxy: false` leaves images at their sources.
 */
function imageSources(config: Config, site: string): string {
  return config.site.imageProxy === false ? "'self' data: http: https:" : `'self' ${site} data:`
}

/**
 * Pages run only our own script (`/assets/pages.js`) and the widget preview, which loads the widget
 * script and its JSON from the site's public origin; inline styles are ours, from templates/; a
 * story's audio and video play from where the source put them.
 */
export function pageCsp(config: Config): string {
  const site = new URL(config.site.url).origin
  return [
    "default-src 'none'",
    `script-src 'self' ${site}`,
    `connect-src 'self' ${site}`,
    `frame-src 'self' ${site}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src ${imageSources(config, site)}`,
    'media-src http: https:',
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ')
}

/** The iframe widget runs no script: inline styles, its lead images, framing as configured. */
export function widgetCsp(config: Config): string {
  const site = new URL(config.site.url).origin
  return `default-src 'none'; style-src 'unsafe-inline'; img-src ${imageSources(config, site)}; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestors(config)}`
}

/** Every header an HTML response carries; `csp` is the page's or the iframe widget's. */
export function htmlHeaders(config: Config, kind: 'page' | 'widget' = 'page'): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Security-Policy': kind === 'page' ? pageCsp(config) : widgetCsp(config),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Permissions-Policy': PERMISSIONS_POLICY,
  }
  // frame-ancestors is the modern form; X-Frame-Options for browsers that predate it. The iframe widget is meant to be framed.
  if (kind === 'page') headers['X-Frame-Options'] = 'SAMEORIGIN'
  if (new URL(config.site.url).protocol === 'https:') headers['Strict-Transport-Security'] = HSTS
  return headers
}
