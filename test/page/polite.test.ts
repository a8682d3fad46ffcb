import { describe, expect, it } from 'vitest'
import { FetchError } from '../../src/errors.js'
import type { FetchResult, Validators } from '../../src/model.js'
import type { Fetcher } from '../../src/fetch/index.js'
import { ROBOTS_AGENT, ROBOTS_CACHE_MS, RobotsDisallowedError } from '../../src/fetch/robots.js'
import { PoliteFetcher } from '../../src/page/index.js'

/** The ankang fixture's robots.txt, and variants a portal really serves. */
const ROBOTS = 'User-agent: *\nDisallow: /zwgk/\nDisallow: /Search/\n\nSitemap: /sitemap.xml\n'

interface Call {
  url: string
  validators: Validators
  start: number
}

/**
 * A Fetcher on a virtual clock: every request takes 100 ms, `sleep` advances the clock, so the
 * pauses the PoliteFetcher makes are measured exactly and nothing waits for real.
 */
function virtualSite(robots: (url: string) => FetchResult | Error) {
  let clock = 0
  let active = 0
  let maxActive = 0
  const calls: Call[] = []
  const fetcher: Fetcher = {
    async fetch(url, validators) {
      calls.push({ url, validators, start: clock })
      active++
      maxActive = Math.max(maxActive, active)
      await Promise.resolve()
      clock += 100
      active--
      if (url.endsWith('/robots.txt')) {
        const answer = robots(url)
        if (answer instanceof Error) throw answer
        return answer
      }
      return ok(url, '<html></html>')
    },
  }
  const polite = new PoliteFetcher(fetcher, {
    now: () => clock,
    sleep: async (ms) => {
      clock += ms
    },
  })
  return { polite, calls, maxActive: () => maxActive, advance: (ms: number) => (clock += ms) }
}

function ok(url: string, body: string, validators: Validators = {}): FetchResult {
  return { kind: 'ok', url, finalUrl: url, httpStatus: 200, body: new TextEncoder().encode(body), validators, elapsedMs: 100 }
}

const robotsOk = (body = ROBOTS) => (url: string) => ok(url, body, { etag: '"r1"' })

describe('PoliteFetcher', () => {
  it('sends one request at a time per host, pausing between them', async () => {
    const site = virtualSite(robotsOk())
    await Promise.all([1, 2, 3].map((n) => site.polite.fetch(`http://a.test/Content-${n}.html`)))
    const starts = site.calls.map((c) => c.start)
    expect(site.calls[0].url).toBe('http://a.test/robots.txt')
    expect(site.maxActive()).toBe(1)
    // robots.txt, then each page one pause after the previous request ended
    expect(starts).toEqual([0, 1100, 2200, 3300])
  })

  it('never makes one host wait for another', async () => {
    const site = virtualSite(robotsOk())
    await Promise.all([site.polite.fetch('http://a.test/1.html'), site.polite.fetch('http://a.test/2.html'), site.polite.fetch('http://b.test/1.html')])
    const start = (url: string) => site.calls.find((c) => c.url === url)!.start
    expect(start('http://b.test/robots.txt')).toBeLessThan(start('http://a.test/1.html'))
    expect(start('http://b.test/1.html')).toBeLessThan(start('http://a.test/2.html'))
  })

  it('takes the source crawlDelay, or the robots.txt Crawl-delay when it is longer', async () => {
    const site = virtualSite(robotsOk(`User-agent: ${ROBOTS_AGENT}\nCrawl-delay: 5\n`))
    await site.polite.fetch('http://a.test/1.html', { delayMs: 0 })
    await site.polite.fetch('http://a.test/2.html', { delayMs: 0 })
    const [first, second] = site.calls.filter((c) => !c.url.endsWith('robots.txt'))
    expect(second.start - first.start).toBe(100 + 5000)

    const fast = virtualSite(robotsOk())
    await fast.polite.fetch('http://a.test/1.html', { delayMs: 0 })
    await fast.polite.fetch('http://a.test/2.html', { delayMs: 0 })
    const pages = fast.calls.filter((c) => !c.url.endsWith('robots.txt'))
    expect(pages[1].start - pages[0].start).toBe(100)
  })

  it('refuses what robots.txt disallows, reading robots.txt once per host', async () => {
    const site = virtualSite(robotsOk())
    await expect(site.polite.fetch('http://a.test/zwgk/Content-2989.html', { sourceId: 'ankang' })).rejects.toThrow(
      new RobotsDisallowedError({ allowed: false, reason: 'robots.txt of a.test disallows /zwgk/Content-2989.html (line 2)' }, 'http://a.test/zwgk/Content-2989.html', 'ankang'),
    )
    await site.polite.fetch('http://a.test/Content-2991.html')
    expect(site.calls.map((c) => c.url)).toEqual(['http://a.test/robots.txt', 'http://a.test/Content-2991.html'])
  })

  it('fetches anyway with ignoreRobots, without asking for robots.txt', async () => {
    const site = virtualSite(robotsOk())
    await site.polite.fetch('http://a.test/zwgk/Content-2989.html', { ignoreRobots: true })
    expect(site.calls.map((c) => c.url)).toEqual(['http://a.test/zwgk/Content-2989.html'])
  })

  it.each([
    // RFC 9309 §2.3.1.3: "unavailable" (4xx) means no rules
    ['a 404', true, () => new FetchError('fetch: HTTP 404 Not Found', { httpStatus: 404 })],
    ['an HTML "not found" page served with 200', true, (url: string) => ok(url, '<!DOCTYPE html><html><body>页面不存在</body></html>')],
    // RFC 9309 §2.3.1.4: "unreachable" (5xx, network) means disallow all
    ['a 503', false, () => new FetchError('fetch: HTTP 503 Service Unavailable', { httpStatus: 503 })],
    ['a refused connection', false, () => new FetchError('fetch: connection refused')],
  ])('reads %s as robots.txt that allows everything: %s', async (_name, allowed, answer) => {
    const site = virtualSite(answer)
    const verdict = await site.polite.robots.check('http://a.test/Content-1.html')
    expect(verdict.allowed).toBe(allowed)
    if (!allowed) expect(verdict.reason).toMatch(/^robots\.txt of a\.test is unreachable \(.+\), so nothing may be fetched/)
  })

  it('asks for robots.txt again after a day, with its validators', async () => {
    const site = virtualSite(robotsOk())
    await site.polite.robots.check('http://a.test/1.html')
    site.advance(ROBOTS_CACHE_MS - 1000)
    await site.polite.robots.check('http://a.test/2.html')
    expect(site.calls).toHaveLength(1)
    site.advance(2000)
    await site.polite.robots.check('http://a.test/3.html')
    expect(site.calls.map((c) => [c.url, c.validators])).toEqual([
      ['http://a.test/robots.txt', {}],
      ['http://a.test/robots.txt', { etag: '"r1"' }],
    ])
  })

  it('leaves file:// URLs alone', async () => {
    const site = virtualSite(robotsOk())
    await site.polite.fetch('file:///tmp/list.html')
    await site.polite.fetch('file:///tmp/list2.html')
    expect(site.calls.map((c) => c.start)).toEqual([0, 100])
  })
})
