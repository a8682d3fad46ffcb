/**
 * images/: the addresses images get on our own pages and widgets (SPEC §8). Regional portals refuse
 * images requested from other sites (hotlink protection by Referer), so with the proxy on every
 * image goes through a signed `/img/` address that the proxy fetches with the article as Referer;
 * with `site.imageProxy: false` images keep their own addresses and are asked for with no Referer,
 * which many hotlink checks let through. Feeds never come here: they keep the original URLs.
 */
import * as cheerio from 'cheerio'
import type { PublishedItem } from '../model.js'
import { webUrl } from '../render/view.js'
import { ImageSigner } from './sign.js'

export { IMAGE_PATH, ImageSigner, type ImageRequest } from './sign.js'
export { imageType } from './type.js'

/** A sanitized srcset is `URL descriptor` candidates joined by `, `; its URLs hold no spaces (normalize/sanitize). */
const SRCSET_SEPARATOR = /,\s+/

export class ImageLinks {
  /** `signer` undefined: the proxy is off. */
  constructor(private readonly signer: ImageSigner | undefined) {}

  /**
   * The address to show an image of `item` at, `base` before proxy paths (the site URL for widgets
   * on other origins, empty for our own pages); undefined for anything but an http(s) image.
   */
  link(src: string | undefined, item: PublishedItem, base = ''): string | undefined {
    const url = webUrl(src)
    if (url === undefined || this.signer === undefined) return url
    const referer = webUrl(item.entry.url) ?? webUrl(item.source.homepage)
    return base + this.signer.path({ url, referer, sourceId: item.source.id })
  }

  /**
   * The item's lead image, where its content mode allows one: a `title` source republishes the
   * headline and link only, and its pictures are the source's content as much as its text is.
   */
  lead(item: PublishedItem, base = ''): string | undefined {
    return item.content === 'title' ? undefined : this.link(item.entry.image, item, base)
  }

  /** Sanitized content HTML with every image (img src/srcset, picture sources, video posters) at its address here, lazy-loaded. */
  html(html: string, item: PublishedItem): string {
    const $ = cheerio.load(html, null, false)
    const at = (src: string | undefined) => this.link(src, item)
    $('img').each((_, element) => {
      const img = $(element)
      const src = at(img.attr('src'))
      if (src === undefined) img.removeAttr('src')
      else img.attr('src', src)
      // No Referer either way: the proxy sends the one the portal wants, and without it many hotlink checks let a request through.
      img.attr({ loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' })
    })
    $('img[srcset], picture source[srcset]').each((_, element) => {
      const node = $(element)
      const candidates = (node.attr('srcset') ?? '').split(SRCSET_SEPARATOR).flatMap((candidate) => {
        const [url, ...descriptor] = candidate.trim().split(/\s+/)
        const linked = at(url)
        return linked === undefined ? [] : [[linked, ...descriptor].join(' ')]
      })
      if (candidates.length) node.attr('srcset', candidates.join(', '))
      else node.removeAttr('srcset')
    })
    $('video[poster]').each((_, element) => {
      const video = $(element)
      const poster = at(video.attr('poster'))
      if (poster === undefined) video.removeAttr('poster')
      else video.attr('poster', poster)
    })
    return $.html()
  }

  /** Whether sanitized `html` shows the image at `url` itself (an item page then leaves its lead image out). */
  shows(html: string, url: string): boolean {
    const wanted = webUrl(url)
    const $ = cheerio.load(html, null, false)
    return $('img[src]').toArray().some((element) => webUrl($(element).attr('src')) === wanted)
  }
}
