import { afterEach, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { openStore, type Store } from '../../src/store/index.js'
import { createFetcher } from '../../src/fetch/index.js'
import { Scheduler } from '../../src/scheduler/index.js'
import { Mutex } from '../../src/store/lock.js'
import { silentLogger } from '../../src/log.js'
import type { RefreshResult } from '../../src/refresh.js'
import { listen } from '../helpers/servers.js'

const RSS = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link><description>d</description>
<item><title>安康 要闻</title><link>https://x.example/a.html</link><pubDate>Thu, 19 Sep 2024 17:11:51 +0800</pubDate></item></channel></rss>`

function configFor(url: string) {
  return resolveConfig({
    site: { title: 't', url: 'https://news.example.org' },
    disclaimer: { text: '本网只是转载。' },
    categories: { local: { title: '本地' } },
    sources: [{ id: 'ak', title: '安康', url, categories: ['local'], schedule: '0 0 1 1 *' }],
  })
}

const cleanup: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function scheduler(config: ReturnType<typeof configFor>, store: Store, onResult?: (r: RefreshResult) => void) {
  const s = new Scheduler(config, { store, fetcher: createFetcher(), now: () => new Date(), log: silentLogger, commitLock: new Mutex(), onResult })
  cleanup.push(() => s.stop())
  return s
}

/** Waits (bounded) until a condition holds: the scheduler's first polls run in the background. */
async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

describe('Scheduler', () => {
  it('polls sources that were never polled as soon as it starts, and records the next run', async () => {
    let hits = 0
    const host = await listen((_req, res) => (hits++, res.writeHead(200, { 'Content-Type': 'application/rss+xml' }).end(RSS)))
    cleanup.push(host.close)
    const store = await openStore('memory://')
    const results: RefreshResult[] = []
    await scheduler(configFor(`${host.url}/feed.xml`), store, (r) => results.push(r)).start()
    await until(() => results.length === 1, 'the first poll')
    expect(hits).toBe(1)
    expect(results[0]).toMatchObject({ sourceId: 'ak', outcome: 'ok', newItems: 1 })
    const state = await store.getState('ak')
    // `0 0 1 1 *` in Asia/Shanghai: next New Year's midnight there
    expect(new Date(state!.nextPoll!).toISOString()).toMatch(/-12-31T16:00:00\.000Z$/)
  })

  it('does not poll at start a source that is backing off', async () => {
    let hits = 0
    const host = await listen((_req, res) => (hits++, res.writeHead(500).end()))
    cleanup.push(host.close)
    const store = await openStore('memory://')
    await store.putState({ id: 'ak', consecutiveFailures: 3, validators: {}, itemCount: 0, ambiguousLinks: [], lastOutcome: 'error', lastAttempt: new Date().toISOString(), nextPoll: new Date(Date.now() + 3_600_000).toISOString() })
    await scheduler(configFor(`${host.url}/feed.xml`), store).start()
    await new Promise((r) => setTimeout(r, 100))
    expect(hits).toBe(0)
  })

  it('records how long each fetch took and starts the next round with the slowest, the rest in configured order', async () => {
    // Three portals on one server, one of them slow and one failing slowly; one poll at a time,
    // so the order the server sees is the order the scheduler chose.
    const delay: Record<string, number> = { '/slow.xml': 300, '/broken.xml': 150 }
    const seen: string[] = []
    const host = await listen((req, res) => {
      seen.push(req.url!)
      setTimeout(() => (req.url === '/broken.xml' ? res.writeHead(500).end() : res.writeHead(200, { 'Content-Type': 'application/rss+xml' }).end(RSS)), delay[req.url!] ?? 0)
    })
    cleanup.push(host.close)
    const base = configFor(`${host.url}/feed.xml`)
    const ids = ['quick', 'slow', 'broken', 'other']
    const config = { ...base, sources: ids.map((id) => ({ ...base.sources[0], id, url: `${host.url}/${id}.xml` })) }
    const store = await openStore('memory://')
    const s = new Scheduler(config, { store, fetcher: createFetcher(), now: () => new Date(), log: silentLogger, commitLock: new Mutex(), concurrency: 1 })
    cleanup.push(() => s.stop())

    await s.pollAll()
    expect(seen).toEqual(['/quick.xml', '/slow.xml', '/broken.xml', '/other.xml'])
    const states = await store.getStates(ids)
    expect(states.get('slow')!.lastFetchMs).toBeGreaterThanOrEqual(295)
    expect(states.get('broken')!.lastFetchMs).toBeGreaterThanOrEqual(145)
    expect(states.get('quick')!.lastFetchMs).toBeLessThan(145)

    seen.length = 0
    await s.pollAll()
    expect(seen).toEqual(['/slow.xml', '/broken.xml', '/quick.xml', '/other.xml'])
  })

  it('lets the poll expected to take longest go first when polls wait for a turn', async () => {
    const seen: string[] = []
    let release: (() => void) | undefined
    const host = await listen((req, res) => {
      seen.push(req.url!)
      const answer = () => res.writeHead(200, { 'Content-Type': 'application/rss+xml' }).end(RSS)
      if (req.url === '/first.xml') release = answer
      else answer()
    })
    cleanup.push(host.close)
    const base = configFor(`${host.url}/feed.xml`)
    const ids = ['first', 'a', 'b', 'c', 'd']
    const config = { ...base, sources: ids.map((id) => ({ ...base.sources[0], id, url: `${host.url}/${id}.xml` })) }
    const s = new Scheduler(config, { store: await openStore('memory://'), fetcher: createFetcher(), now: () => new Date(), log: silentLogger, commitLock: new Mutex(), concurrency: 1 })
    cleanup.push(() => s.stop())
    const [first, a, b, c, d] = config.sources
    const polls = [s.poll(first)]
    await until(() => release !== undefined, 'the first request')
    // While the one slot is taken: a expects 10 ms, b 500 ms, c never polled, d 500 ms.
    polls.push(s.poll(a, 10), s.poll(b, 500), s.poll(c), s.poll(d, 500))
    release!()
    await Promise.all(polls)
    expect(seen).toEqual(['/first.xml', '/b.xml', '/d.xml', '/a.xml', '/c.xml'])
  })
})
