/**
 * Enclosures and the lead image (SPEC §8): media URLs made absolute, one entry per file, a media
 * type when the feed gave none, and the one image that stands for the item.
 */
import type { Enclosure } from '../model.js'
import { absoluteUrl } from './url.js'

/**
 * Media types by file extension, for enclosures whose feed gives no `type`: RSS 2.0 requires one
 * on `<enclosure>` and readers pick a player by it. Only the formats podcasts and news sites
 * publish; anything else stays untyped rather than guessed.
 */
const TYPE_BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', svg: 'image/svg+xml',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', aac: 'audio/aac', ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/opus', wav: 'audio/wav', flac: 'audio/flac',
  mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm',
  pdf: 'application/pdf',
}

/**
 * Content images declared smaller than this on a side are icons, emoticons, spacers and
 * tracking pixels, never the picture of a story.
 */
export const MIN_LEAD_IMAGE_SIDE_PX = 48

function extensionOf(url: string): string | undefined {
  const path = new URL(url).pathname
  const dot = path.lastIndexOf('.')
  return dot > path.lastIndexOf('/') ? path.slice(dot + 1).toLowerCase() : undefined
}

/**
 * Enclosures with absolute http(s) URLs, one per file: a feed that gives a podcast episode both
 * as `<enclosure>` and as `media:content` (WordPress, Libsyn) carries one file. Type and length
 * come from the first mention that has them; a missing type is inferred from the file extension.
 */
export function cleanEnclosures(enclosures: Enclosure[], base: string | undefined): Enclosure[] {
  const byUrl = new Map<string, Enclosure>()
  for (const enclosure of enclosures) {
    const url = absoluteUrl(enclosure.url, base)
    if (!url) continue
    const type = enclosure.type?.trim() || undefined
    const length = Number.isFinite(enclosure.length) && (enclosure.length ?? -1) >= 0 ? enclosure.length : undefined
    const known = byUrl.get(url) ?? { url }
    byUrl.set(url, { ...known, ...(known.type === undefined && type && { type }), ...(known.length === undefined && length !== undefined && { length }) })
  }
  return [...byUrl.values()].map((enclosure) => {
    if (enclosure.type !== undefined) return enclosure
    const inferred = TYPE_BY_EXTENSION[extensionOf(enclosure.url) ?? '']
    return inferred === undefined ? enclosure : { url: enclosure.url, type: inferred, ...(enclosure.length !== undefined && { length: enclosure.length }) }
  })
}

/** The file name an enclosure URL ends in (`第12期.mp3`), decoded; undefined when the path names none. */
export function enclosureFileName(url: string): string | undefined {
  const segment = new URL(url).pathname.split('/').filter((part) => part !== '').at(-1)
  if (segment === undefined) return undefined
  try {
    return decodeURIComponent(segment).trim() || undefined
  } catch {
    return segment
  }
}

/** sanitize-html writes attribute values double-quoted with these four escaped; nothing else needs undoing. */
function unescapeAttribute(value: string): string {
  return value.replace(/&(amp|quot|lt|gt);/g, (_match, name: string) => ({ amp: '&', quot: '"', lt: '<', gt: '>' })[name]!)
}

/** `<img>`s of sanitized HTML: one tag each, attributes in double quotes (sanitize.ts writes them so). */
const IMG_TAG = /<img\b[^>]*>/gi
const ATTRIBUTE = /\s([a-z-]+)="([^"]*)"/g

/** The first content image that is a picture, not an icon (see {@link MIN_LEAD_IMAGE_SIDE_PX}). */
function firstContentImage(html: string): string | undefined {
  for (const [tag] of html.matchAll(IMG_TAG)) {
    const attributes = new Map([...tag.matchAll(ATTRIBUTE)].map(([, name, value]) => [name, unescapeAttribute(value)]))
    const tiny = ['width', 'height'].some((side) => {
      const px = Number.parseInt(attributes.get(side) ?? '', 10)
      return Number.isFinite(px) && px < MIN_LEAD_IMAGE_SIDE_PX
    })
    const src = absoluteUrl(attributes.get('src'), undefined)
    if (src !== undefined && !tiny) return src
  }
  return undefined
}

/**
 * The item's lead image (SPEC §8): the image its feed declares (a thumbnail, the episode art),
 * else its first image enclosure, else the first picture in its sanitized content (whose URLs
 * sanitize.ts has already made absolute).
 */
export function leadImage(declared: string | undefined, enclosures: Enclosure[], html: string, base: string | undefined): string | undefined {
  return absoluteUrl(declared, base) ?? enclosures.find((enclosure) => enclosure.type?.toLowerCase().startsWith('image/'))?.url ?? firstContentImage(html)
}
