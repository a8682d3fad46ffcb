import { describe, expect, it } from 'vitest'
import type { Enclosure } from '../../src/model.js'
import { cleanEnclosures, enclosureFileName, leadImage, MIN_LEAD_IMAGE_SIDE_PX } from '../../src/normalize/media.js'
import { sanitizeHtml } from '../../src/normalize/sanitize.js'

const BASE = 'https://www.ankang.example.cn/news/2024/'

describe('cleanEnclosures', () => {
  it.each<[string, Enclosure[], Enclosure[]]>([
    ['relative URLs made absolute, unusable ones dropped', [{ url: 'v.mp4', type: 'video/mp4' }, { url: 'javascript:alert(1)' }, { url: ' ' }], [{ url: `${BASE}v.mp4`, type: 'video/mp4' }]],
    [
      'one file given as <enclosure> and as media:content is one enclosure, type and length from whichever says',
      [{ url: 'https://cdn.example.cn/42.mp3' }, { url: 'https://cdn.example.cn/42.mp3', type: 'audio/mpeg', length: 28734567 }, { url: '//cdn.example.cn/42.mp3', length: 1 }],
      [{ url: 'https://cdn.example.cn/42.mp3', type: 'audio/mpeg', length: 28734567 }],
    ],
    ['a missing type from the extension, case ignored', [{ url: 'https://cdn.example.cn/a.JPG' }, { url: 'https://cdn.example.cn/b.m4a?x=1', length: 5 }], [{ url: 'https://cdn.example.cn/a.JPG', type: 'image/jpeg' }, { url: 'https://cdn.example.cn/b.m4a?x=1', type: 'audio/mp4', length: 5 }]],
    ['no guess for an unknown or missing extension', [{ url: 'https://cdn.example.cn/get?id=5' }, { url: 'https://cdn.example.cn/a.xyz' }, { url: 'https://cdn.example.cn/dir.v2/file' }], [{ url: 'https://cdn.example.cn/get?id=5' }, { url: 'https://cdn.example.cn/a.xyz' }, { url: 'https://cdn.example.cn/dir.v2/file' }]],
    ['a written type is kept even when the extension says otherwise', [{ url: 'https://cdn.example.cn/a.mp3', type: 'audio/x-mpeg' }], [{ url: 'https://cdn.example.cn/a.mp3', type: 'audio/x-mpeg' }]],
    ['negative and non-finite lengths dropped', [{ url: 'https://cdn.example.cn/a.pdf', length: -1 }, { url: 'https://cdn.example.cn/b.pdf', length: Number.NaN }], [{ url: 'https://cdn.example.cn/a.pdf', type: 'application/pdf' }, { url: 'https://cdn.example.cn/b.pdf', type: 'application/pdf' }]],
  ])('%s', (_name, enclosures, expected) => {
    expect(cleanEnclosures(enclosures, BASE)).toEqual(expected)
  })
})

describe('enclosureFileName', () => {
  it.each([
    ['https://fm.example.cn/hjyh/%E7%AC%AC12%E6%9C%9F.mp3', '第12期.mp3'],
    ['https://fm.example.cn/a/b/episode-42.m4a?token=x', 'episode-42.m4a'],
    ['https://fm.example.cn/bad%E0%A4%A.mp3', 'bad%E0%A4%A.mp3'],
    ['https://fm.example.cn/', undefined],
  ])('%s → %s', (url, name) => {
    expect(enclosureFileName(url)).toBe(name)
  })
})

describe('leadImage: thumbnail, else image enclosure, else the first content picture (SPEC §8)', () => {
  const jpeg = { url: 'https://cdn.example.cn/photo.jpg', type: 'image/jpeg' }
  const mp3 = { url: 'https://cdn.example.cn/a.mp3', type: 'audio/mpeg' }
  const html = (markup: string) => sanitizeHtml(markup, BASE)
  it.each<[string, string | undefined, Enclosure[], string, string | undefined]>([
    ['the declared thumbnail first, made absolute', '../thumb.jpg', [jpeg], html('<img src="c.jpg">'), 'https://www.ankang.example.cn/news/thumb.jpg'],
    ['then the first image enclosure, not an audio one', undefined, [mp3, jpeg], html('<img src="c.jpg">'), jpeg.url],
    ['then the first content image', undefined, [mp3], html('<p>文</p><img src="c.jpg" alt="图"><img src="d.jpg">'), `${BASE}c.jpg`],
    ['with &amp; in its URL read back as &', undefined, [], html('<img src="/img?id=1&amp;size=l">'), 'https://www.ankang.example.cn/img?id=1&size=l'],
    ['skipping icons and tracking pixels', undefined, [], html(`<img src="px.gif" width="1" height="1"><img src="smile.gif" width="${MIN_LEAD_IMAGE_SIDE_PX - 1}"><img src="big.jpg" width="${MIN_LEAD_IMAGE_SIDE_PX}">`), `${BASE}big.jpg`],
    ['never a data: or javascript: image', 'javascript:alert(1)', [], html('<img src="data:image/png;base64,AAAA">'), undefined],
    ['none at all', undefined, [mp3], html('<p>只有文字</p>'), undefined],
  ])('%s', (_name, declared, enclosures, content, image) => {
    expect(leadImage(declared, enclosures, content, BASE)).toBe(image)
  })
})
