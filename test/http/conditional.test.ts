import { describe, expect, it } from 'vitest'
import { chooseEncoding, etagMatches, isNotModified, strongEtag } from '../../src/http/conditional.js'

describe('isNotModified (RFC 9110 §13.2.2)', () => {
  const etag = '"abc"'
  const lm = 'Thu, 19 Sep 2024 09:11:51 GMT'
  it.each([
    ['matching If-None-Match', { ifNoneMatch: '"abc"' }, true],
    ['weak form of the same tag', { ifNoneMatch: 'W/"abc"' }, true],
    ['one of a list', { ifNoneMatch: '"x", "abc"' }, true],
    ['star', { ifNoneMatch: '*' }, true],
    ['other tag', { ifNoneMatch: '"x"' }, false],
    ['If-Modified-Since equal', { ifModifiedSince: lm }, true],
    ['If-Modified-Since later', { ifModifiedSince: 'Fri, 20 Sep 2024 00:00:00 GMT' }, true],
    ['If-Modified-Since earlier', { ifModifiedSince: 'Wed, 18 Sep 2024 00:00:00 GMT' }, false],
    ['invalid If-Modified-Since is ignored', { ifModifiedSince: 'yesterday' }, false],
    ['If-None-Match wins over a matching If-Modified-Since', { ifNoneMatch: '"x"', ifModifiedSince: lm }, false],
    ['no conditional headers', {}, false],
  ])('%s', (_n, headers, expected) => {
    expect(isNotModified(headers, etag, lm)).toBe(expected)
  })
  it('etagMatches ignores whitespace around list members', () => {
    expect(etagMatches(' "a" ,  "b" ', '"b"')).toBe(true)
  })
  it('strong ETags come from the bytes', () => {
    expect(strongEtag(Buffer.from('a'))).toBe(strongEtag(Buffer.from('a')))
    expect(strongEtag(Buffer.from('a'))).not.toBe(strongEtag(Buffer.from('b')))
    expect(strongEtag(Buffer.from('a'))).toMatch(/^"[A-Za-z0-9_-]+"$/)
  })
})

describe('chooseEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
    ['identity', 'identity'],
    ['gzip;q=NaN', 'identity'],
  ])('%s → %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected)
  })
})
