import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { imageType } from '../../src/images/type.js'

const IMAGES = join(import.meta.dirname, '../fixtures/images')
const jpeg = readFileSync(join(IMAGES, 'hanjiang.jpg'))
const png = readFileSync(join(IMAGES, 'thumb.png'))
const bytes = (text: string) => Buffer.from(text, 'latin1')

describe('imageType', () => {
  it.each([
    ['a JPEG labelled as one', jpeg, 'image/jpeg', 'image/jpeg'],
    ['a JPEG labelled image/jpg', jpeg, 'image/jpg', 'image/jpeg'],
    ['a JPEG labelled application/octet-stream', jpeg, 'application/octet-stream', 'image/jpeg'],
    ['a PNG labelled text/html', png, 'text/html', 'image/png'],
    ['a PNG without a label', png, undefined, 'image/png'],
    ['a GIF', bytes('GIF89a\x01\x00\x01\x00'), 'image/gif', 'image/gif'],
    ['a WebP', bytes('RIFF\x24\x00\x00\x00WEBPVP8 '), 'image/webp', 'image/webp'],
    ['an AVIF', bytes('\x00\x00\x00\x1cftypavif\x00\x00\x00\x00'), 'application/octet-stream', 'image/avif'],
    ['an SVG labelled as one', bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml', 'image/svg+xml'],
    ['a TIFF we cannot sniff, labelled as one', bytes('II*\x00\x08\x00\x00\x00'), 'image/tiff; charset=binary', 'image/tiff'],
    ['an error page sent as image/jpeg', bytes('  <!DOCTYPE html><html><body>404</body></html>'), 'image/jpeg', undefined],
    ['an HTML page labelled image/svg+xml', bytes('<html><body><svg></svg></body></html>'), 'image/svg+xml', undefined],
    ['an error page labelled text/html', bytes('<html><body>系统繁忙</body></html>'), 'text/html; charset=utf-8', undefined],
    ['text labelled octet-stream', bytes('Access denied'), 'application/octet-stream', undefined],
    ['nothing', Buffer.alloc(0), undefined, undefined],
  ])('%s is %s', (_name, body, declared, expected) => {
    expect(imageType(body, declared)).toBe(expected)
  })
})
