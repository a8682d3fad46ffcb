/**
 * BullMQ across workers (issue 12 §1) against a private redis-server: one job scheduler per source
 * with its pattern and zone, removed when the source leaves the config; the per-host cap and the
 * crawl delay held across two processes' fetchers; an aborted poll records nothing.
 */
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { openStore } from '../../src/store/index.js'
import { createFetcher } from '../../src/fetch/index.js'
import { RedisCrawlQueue, RedisHostSlots } from '../../src/fetch/redis-hosts.js'
import { QueuePoller, QUEUE_NAME } from '../../src/scheduler/queue.js'
import { runPoll } from '../../src/scheduler/poll.js'
import { connectRedis } from '../../src/scheduler/redis.js'
import { Mutex } from '../../src/store/lock.js'
import { silentLogger } from '../../src/log.js'
import { startRedis, sleep, type PrivateRedis } from '../ops/procs.js'
import { listen } from '../helpers/servers.js'

let redis: PrivateRedis
const clients: Redis[] = []
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  for (const c of clients) c.disconnect()
  await redis.close()
})
async function client(purpose: 'queue' | 'locks') {
  const c = await connectRedis(redis.url, purpose, () => undefined)
  clients.push(c)
  return c
}

const configOf = (sources: Array<{ id: string; schedule: string; timezone?: string }>) =>
  resolveConfig({
    site: { title: 't', url: 'https://news.example.org' },
    disclaimer: { text: 'd' },
    categories: { local: { title: 'L' } },
    sources: sources.map((s) => ({ ...s, title: s.id, url: `http://127.0.0.1:1/${s.id}.xml`, categories: ['local'] })),
  })

describe('QueuePoller', () => {
  it('upserts one job scheduler per source with its pattern and zone, and removes those of sources that left the config', async () => {
    const store = await openStore('memory://')
    const deps = { store, fetcher: createFetcher(), now: () => new Date(), log: silentLogger, commitLock: new Mutex() }
    const settings = { prefix: 'sched-test', concurrency: 1 }
    const first = new QueuePoller(configOf([{ id: 'a', schedule: '0 8 * * *', timezone: 'Asia/Shanghai' }, { id: 'b', schedule: '*/15 * * * *' }]), deps, await client('queue'), settings)
    await first.start()
    await first.stop()
    const second = new QueuePoller(configOf([{ id: 'a', schedule: '0 9 * * *', timezone: 'Asia/Shanghai' }]), deps, await client('queue'), settings)
    await second.start()
    await second.stop()
    const queue = new Queue(QUEUE_NAME, { connection: await client('queue'), prefix: 'sched-test' })
    const schedulers = await queue.getJobSchedulers(0, -1)
    await queue.close()
    expect(schedulers.map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz }))).toEqual([{ key: 'a', pattern: '0 9 * * *', tz: 'Asia/Shanghai' }])
    // The next tick as the source's state will show it: 09:00 in Shanghai is 01:00 UTC.
    expect(second.nextRun(configOf([{ id: 'a', schedule: '0 9 * * *', timezone: 'Asia/Shanghai' }]).sources[0], new Date('2026-03-01T02:00:00Z'))?.toISOString()).toBe('2026-03-02T01:00:00.000Z')
  })
})

describe('per-host politeness across processes', () => {
  it('two fetchers on separate Redis connections never have more than 2 requests in flight to one host', async () => {
    let active = 0
    let max = 0
    const host = await listen(async (_req, res) => {
      active++
      max = Math.max(max, active)
      await sleep(80)
      active--
      res.writeHead(200, { 'Content-Type': 'application/rss+xml' }).end('<rss version="2.0"><channel><title>t</title></channel></rss>')
    })
    try {
      const fetchers = await Promise.all([0, 1].map(async () => createFetcher({ hostSlots: new RedisHostSlots(await client('locks'), 2, { prefix: 'slots-test' }) })))
      await Promise.all(Array.from({ length: 12 }, (_, i) => fetchers[i % 2].fetch(`${host.url}/f${i}.xml`, {})))
      expect(max).toBe(2)
    } finally {
      await host.close()
    }
  })

  it('the crawl delay holds between two processes: one request at a time, spaced by the delay', async () => {
    const queues = await Promise.all([0, 1].map(async () => new RedisCrawlQueue(await client('locks'), { prefix: 'crawl-test' })))
    const spans: Array<[number, number]> = []
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        queues[i % 2].run('portal.example:80', 300, async () => {
          const start = Date.now()
          await sleep(20)
          spans.push([start, Date.now()])
        }),
      ),
    )
    spans.sort((a, b) => a[0] - b[0])
    for (let i = 1; i < spans.length; i++) expect(spans[i][0] - spans[i - 1][1]).toBeGreaterThanOrEqual(290)
  })
})

describe('runPoll', () => {
  it('a poll stopped by shutdown is handed back and records nothing against the source', async () => {
    const store = await openStore('memory://')
    const host = await listen(() => undefined) // accepts, never answers
    try {
      const [source] = configOf([{ id: 'slow', schedule: '0 0 1 1 *' }]).sources
      source.url = `${host.url}/slow.xml`
      const stop = new AbortController()
      const running = runPoll(source, { store, fetcher: createFetcher(), now: () => new Date(), log: silentLogger, commitLock: new Mutex() }, stop.signal)
      await sleep(100)
      stop.abort()
      expect((await running).kind).toBe('handed-back')
      expect(await store.getState('slow')).toBeUndefined()
    } finally {
      await host.close()
    }
  })
})
