import { readFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

/**
 * A regional portal on 127.0.0.1 that refuses its images to other sites, as many do: an image is
 * served only with a Referer from its own host (else 403 and a "禁止盗链" page, the usual answer),
 * with ETag/304. It also serves an RSS feed whose article carries those images, a mislabelled
 * image, an error page sent as 200, an endless image and a gone one.
 */
const IMAGES = join(import.meta.dirname, '../fixtures/images')
export const PHOTO = readFileSync(join(IMAGES, 'hanjiang.jpg'))
export const THUMB = readFileSync(join(IMAGES, 'thumb.png'))
const PHOTO_ETAG = '"hanjiang-1"'

export interface Portal {
  base: string
  /** The article's own URL: the Referer the portal accepts for its images. */
  article: string
  /** Every request for an image: its path and the headers it came with. */
  imageRequests: Array<{ path: string; headers: IncomingHttpHeaders; status: number }>
  /** The portal's own HTML pages by path (where it embeds our widgets); tests add them. */
  pages: Map<string, string>
  server: Server
  close(): Promise<void>
}

export async function startPortal(): Promise<Portal> {
  const imageRequests: Portal['imageRequests'] = []
  const pages = new Map<string, string>()
  let base = ''
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/rss.xml') {
      res.writeHead(200, { 'Content-Type': 'application/rss+xml; charset=utf-8' }).end(feed(base))
      return
    }
    const html = pages.get(path)
    if (html !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html)
      return
    }
    if (!path.startsWith('/upload/')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such page')
      return
    }
    const record = (status: number) => imageRequests.push({ path, headers: req.headers, status })
    // Hotlink protection by Referer: only pages of this site may show its pictures.
    if (!req.headers.referer?.startsWith(`${base}/`)) {
      record(403)
      res.writeHead(403, { 'Content-Type': 'text/html; charset=utf-8' }).end('<html><body><h1>403 禁止盗链</h1></body></html>')
      return
    }
    switch (path) {
      case '/upload/2024/09/hanjiang.jpg':
        if (req.headers['if-none-match'] === PHOTO_ETAG) {
          record(304)
          res.writeHead(304, { ETag: PHOTO_ETAG }).end()
          return
        }
        record(200)
        res.writeHead(200, { 'Content-Type': 'image/jpeg', ETag: PHOTO_ETAG, 'Content-Length': PHOTO.length }).end(PHOTO)
        return
      case '/upload/2024/09/thumb.png':
        // Old IIS portals label every upload this way.
        record(200)
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(THUMB)
        return
      case '/upload/2024/09/error.jpg':
        record(200)
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body>系统繁忙，请稍后再试</body></html>')
        return
      case '/upload/2024/09/endless.jpg': {
        record(200)
        res.writeHead(200, { 'Content-Type': 'image/jpeg' })
        const chunk = Buffer.alloc(1024 * 1024, 0xff)
        const pump = () => {
          while (res.write(chunk)) if (res.writableLength > 64 * 1024 * 1024) return
          res.once('drain', pump)
        }
        res.on('close', () => res.removeAllListeners('drain'))
        pump()
        return
      }
      default:
        record(404)
        res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>404</h1>')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    article: `${base}/news/2024-09/19/content_1.htm`,
    imageRequests,
    pages,
    server,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** The portal's RSS: one article with its photo (relative, with a srcset), as portals write them. */
function feed(base: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>汉江在线 · 图片新闻</title><link>${base}/</link><description>图片新闻</description>
<item><title>汉江安康段迎来秋汛 沿江景色如画</title><link>${base}/news/2024-09/19/content_1.htm</link><guid>${base}/news/2024-09/19/content_1.htm</guid>
<pubDate>Thu, 19 Sep 2024 17:11:51 +0800</pubDate>
<description>汉江安康段迎来秋汛。</description>
<content:encoded><![CDATA[<p>汉江安康段迎来秋汛，沿江景色如画。</p><p><img src="/upload/2024/09/hanjiang.jpg" srcset="/upload/2024/09/hanjiang.jpg 1x, /upload/2024/09/thumb.png 2x" alt="汉江" width="480" height="320"></p><p>记者 王磊 摄</p>]]></content:encoded>
</item></channel></rss>`
}
