import { describe, expect, it } from 'vitest'
import { redactUrl, redactUrls } from '../src/redact.js'

describe('redactUrl', () => {
  it.each([
    ['http://user:secret@host.example/feed.xml', 'http://***@host.example/feed.xml'],
    ['https://user@host.example/feed.xml', 'https://***@host.example/feed.xml'],
    ['https://api.example/rss?apikey=XYZ&lang=zh', 'https://api.example/rss?apikey=***&lang=zh'],
    ['https://api.example/rss?access_token=abc', 'https://api.example/rss?access_token=***'],
    ['https://news.example/rss.xml?page=2', 'https://news.example/rss.xml?page=2'],
    ['file:///srv/feeds/a.xml', 'file:///srv/feeds/a.xml'],
    ['redis://:pass@127.0.0.1:6379/0', 'redis://***@127.0.0.1:6379/0'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown)
  })
  it('redacts every URL inside a message and leaves the rest', () => {
    expect(redactUrls('fetch: HTTP 401 (http://u:p@h.example/f.xml, source x)')).toBe('fetch: HTTP 401 (http://***@h.example/f.xml, source x)')
  })
})
