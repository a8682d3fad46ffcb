import { describe, expect, it } from 'vitest'
import { absoluteUrl, canonicalUrl, isRootUrl } from '../../src/normalize/url.js'

describe('absoluteUrl', () => {
  it.each([
    ['absolute kept', 'https://www.chinanews.com.cn/gn/2024/09-19/10289001.shtml', undefined, 'https://www.chinanews.com.cn/gn/2024/09-19/10289001.shtml'],
    ['trimmed', '  https://example.com/a \n', undefined, 'https://example.com/a'],
    ['relative to a base', '../2024/0919/c1.html', 'https://www.ankang.gov.cn/Node-1466.html', 'https://www.ankang.gov.cn/2024/0919/c1.html'],
    ['root-relative', '/Content-2765432.html', 'https://www.ankang.gov.cn/Node-1466.html', 'https://www.ankang.gov.cn/Content-2765432.html'],
    ['protocol-relative takes the base scheme', '//www.example.com/a', 'http://feeds.example.com/rss', 'http://www.example.com/a'],
    ['protocol-relative without base is https', '//www.example.com/a', undefined, 'https://www.example.com/a'],
    ['relative without base', '/a.html', undefined, undefined],
    ['relative with a bad base', '/a.html', 'not a url', undefined],
    ['javascript refused', 'javascript:alert(1)', 'https://example.com/', undefined],
    ['mailto refused', 'mailto:a@example.com', undefined, undefined],
    ['ftp refused', 'ftp://example.com/a', undefined, undefined],
    ['empty', '   ', 'https://example.com/', undefined],
    ['undefined', undefined, 'https://example.com/', undefined],
    ['Chinese path encoded', '/新闻/一.html', 'https://example.com/', 'https://example.com/%E6%96%B0%E9%97%BB/%E4%B8%80.html'],
  ])('%s', (_name, href, base, expected) => {
    expect(absoluteUrl(href, base)).toBe(expected)
  })
})

describe('canonicalUrl', () => {
  it.each([
    ['scheme and host lowercased', 'HTTPS://WWW.Example.COM/Path/A.html', 'https://www.example.com/Path/A.html'],
    ['default port dropped', 'http://example.com:80/a', 'http://example.com/a'],
    ['other port kept', 'http://example.com:8080/a', 'http://example.com:8080/a'],
    ['fragment dropped', 'https://example.com/a#comments', 'https://example.com/a'],
    ['utm_* dropped', 'https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x', 'https://example.com/a'],
    ['spm, from, fbclid, gclid dropped', 'https://example.com/a?id=3&spm=a2c4g.1&from=timeline&fbclid=x&gclid=y', 'https://example.com/a?id=3'],
    ['WeChat share parameters dropped, identity kept', 'https://mp.weixin.qq.com/s?__biz=MzA&mid=265&idx=1&sn=abc&chksm=84&scene=21#wechat_redirect', 'https://mp.weixin.qq.com/s?__biz=MzA&idx=1&mid=265&sn=abc'],
    ['remaining query sorted', 'https://example.com/a?b=2&a=1&c=3', 'https://example.com/a?a=1&b=2&c=3'],
    ['pairs kept as written', 'https://example.com/a?q=%E4%B8%AD&flag', 'https://example.com/a?flag&q=%E4%B8%AD'],
    ['empty path becomes /', 'https://example.com', 'https://example.com/'],
    ['trailing index.html kept', 'https://example.com/news/index.html', 'https://example.com/news/index.html'],
    ['trailing slash kept', 'https://example.com/news/', 'https://example.com/news/'],
    ['not a URL: trimmed', '  tag:example.com,2024:1  ', 'tag:example.com,2024:1'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalUrl(input)).toBe(expected)
  })

  it('is idempotent', () => {
    const once = canonicalUrl('HTTP://Example.com:80?b=1&utm_x=2&a=3#f')
    expect(canonicalUrl(once)).toBe(once)
  })
})

describe('isRootUrl', () => {
  it.each([
    ['https://www.example.gov.cn/', true],
    ['https://www.example.gov.cn', true],
    ['https://www.example.gov.cn/index.html', true],
    ['http://www.example.gov.cn/index.shtml', true],
    ['https://www.example.gov.cn/default.aspx', true],
    ['https://www.example.gov.cn/?id=3', false],
    ['https://www.example.gov.cn/news/', false],
    ['https://www.example.gov.cn/news/index.html', false],
    ['https://www.example.gov.cn/Content-2765432.html', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isRootUrl(url)).toBe(expected)
  })
})
