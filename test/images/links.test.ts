import { describe, expect, it } from 'vitest'
import { load } from 'cheerio'
import type { PublishedItem } from '../../src/model.js'
import { ImageLinks, ImageSigner } from '../../src/images/index.js'
import { sanitizeHtml } from '../../src/normalize/sanitize.js'
import { entry } from '../helpers/entries.js'

const signer = new ImageSigner('s')
const proxied = new ImageLinks(signer)
const direct = new ImageLinks(undefined)
const ARTICLE = 'https://www.ankang.gov.cn/Content-2991.html'

function item(extra: Partial<PublishedItem> = {}, html = ''): PublishedItem {
  return {
    id: 'a'.repeat(32),
    entry: entry('a'.repeat(32), 'ankang', '2024-09-19T09:11:00.000Z', { url: ARTICLE, html, image: 'https://www.ankang.gov.cn/Upload/lead.jpg' }),
    source: { id: 'ankang', title: '安康市人民政府', url: 'https://www.ankang.gov.cn/Node-1466.html', homepage: 'https://www.ankang.gov.cn/' },
    content: 'full',
    alsoReportedBy: [],
    ...extra,
  }
}

/** The request a proxied path stands for. */
function opened(path: string) {
  const [mac, payload] = path.replace(/^.*\/img\//, '').split('/')
  return signer.open(mac, payload)
}

describe('ImageLinks', () => {
  it('signs each image of an item with its article as Referer and its source, under base for other origins', () => {
    const link = proxied.link('https://www.ankang.gov.cn/Upload/a.jpg', item(), 'https://news.example.org')!
    expect(link.startsWith('https://news.example.org/img/')).toBe(true)
    expect(opened(link)).toEqual({ url: 'https://www.ankang.gov.cn/Upload/a.jpg', referer: ARTICLE, sourceId: 'ankang' })
    // No usable article link: the source's home page is the page a hotlink check knows.
    const noLink = item({ entry: { ...item().entry, url: 'javascript:alert(1)' } })
    expect(opened(proxied.link('https://www.ankang.gov.cn/Upload/a.jpg', noLink)!)?.referer).toBe('https://www.ankang.gov.cn/')
  })

  it.each([['javascript:alert(1)'], ['data:image/svg+xml,<svg onload=alert(1)>'], ['/relative.jpg'], [undefined]])('gives no address for %s', (src) => {
    expect(proxied.link(src, item())).toBeUndefined()
    expect(direct.link(src, item())).toBeUndefined()
  })

  it('gives the lead image in full and summary modes, none for a title-only source', () => {
    expect(opened(proxied.lead(item())!)?.url).toBe('https://www.ankang.gov.cn/Upload/lead.jpg')
    expect(proxied.lead(item({ content: 'summary' }))).toBeDefined()
    expect(proxied.lead(item({ content: 'title' }))).toBeUndefined()
    expect(direct.lead(item())).toBe('https://www.ankang.gov.cn/Upload/lead.jpg')
  })

  it('rewrites every image of sanitized content, lazy and without Referer, and keeps the rest as it was', () => {
    const html = sanitizeHtml(
      `<p>正文</p><img src="/Upload/a.jpg" srcset="/Upload/a.jpg 1x, /Upload/a@2x.jpg 2x" alt="图"><picture><source srcset="/Upload/b.webp" type="image/webp"><img src="/Upload/b.jpg"></picture><video src="/v.mp4" poster="/Upload/poster.jpg" controls></video><a href="/x.html">链接</a>`,
      ARTICLE,
    )
    const $ = load(proxied.html(html, item({}, html)), null, false)
    const srcs = $('img').map((_, i) => opened($(i).attr('src')!)?.url).get()
    expect(srcs).toEqual(['https://www.ankang.gov.cn/Upload/a.jpg', 'https://www.ankang.gov.cn/Upload/b.jpg'])
    expect($('img').first().attr('srcset')!.split(', ').map((c) => [opened(c.split(' ')[0])?.url, c.split(' ')[1]])).toEqual([
      ['https://www.ankang.gov.cn/Upload/a.jpg', '1x'],
      ['https://www.ankang.gov.cn/Upload/a@2x.jpg', '2x'],
    ])
    expect(opened($('source').attr('srcset')!)?.url).toBe('https://www.ankang.gov.cn/Upload/b.webp')
    expect(opened($('video').attr('poster')!)?.url).toBe('https://www.ankang.gov.cn/Upload/poster.jpg')
    expect($('video').attr('src')).toBe('https://www.ankang.gov.cn/v.mp4')
    expect($('a').attr('href')).toBe('https://www.ankang.gov.cn/x.html')
    expect($('img').map((_, i) => `${$(i).attr('loading')} ${$(i).attr('referrerpolicy')}`).get()).toEqual(['lazy no-referrer', 'lazy no-referrer'])
    expect($('img').first().attr('alt')).toBe('图')
    expect(load(direct.html(html, item({}, html)), null, false)('img').first().attr('src')).toBe('https://www.ankang.gov.cn/Upload/a.jpg')
  })

  it('knows whether content shows the lead image already', () => {
    const html = sanitizeHtml('<p><img src="/Upload/lead.jpg"></p>', ARTICLE)
    expect(proxied.shows(html, 'https://www.ankang.gov.cn/Upload/lead.jpg')).toBe(true)
    expect(proxied.shows(html, 'https://www.ankang.gov.cn/Upload/other.jpg')).toBe(false)
  })
})
