/**
 * Cross-source dedupe under two real workers (issue 12 §1): two sources reprint the same story,
 * their feeds answer both workers in the same instant, so both polls reach the read-merge-commit
 * section together. With the deployment-wide commit lock the second sees the first's keys:
 * exactly one cluster per story, with both members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../../src/store/index.js'
import { prose, rss, SITE, spawnFeedloom, startFeedHosts, startRedis, until, writeConfig, type Feedloom, type Item, type PrivateRedis } from './procs.js'

const ROUNDS = 4
/** Both feeds' answers wait for each other this long at most: the workers then read and commit at once. */
const BARRIER_MS = 3_000

let redis: PrivateRedis
let hosts: Awaited<ReturnType<typeof startFeedHosts>>
let workers: Feedloom[] = []
let store: Store
let config: ReturnType<typeof writeConfig>
let round = 0
const base = Date.parse('2026-01-05T02:00:00Z')

/** Round k's story as source `s` prints it: the same article link, the source's own guid and a slightly different title. */
function story(s: 'a' | 'b', k: number): Item {
  return { guid: `story-${k}`, title: `${s === 'a' ? '' : '转载：'}第${k}号通知 ${prose(k, 12)}`, text: prose(1000 + k), at: base + k * 60_000 }
}

const waiting: Array<() => void> = []
async function barrier(): Promise<void> {
  if (waiting.length) {
    for (const release of waiting.splice(0)) release()
    return
  }
  await new Promise<void>((resolve) => {
    waiting.push(resolve)
    setTimeout(resolve, BARRIER_MS)
  })
}

beforeAll(async () => {
  redis = await startRedis()
  const feeds = await startFeedHosts(1, (id) => {
    const items = Array.from({ length: round + 1 }, (_, k) => story(id as 'a' | 'b', k))
    // Every story links to the same article on both sources: an exact-link reprint.
    return rss(id, items).replaceAll(/story-(\d+)\.example\.org\/a\.html/g, 'news.example.org/story-$1.html')
  })
  hosts = feeds
  const { urls } = feeds
  // The barrier sits in front of the feed host: both requests of a tick are answered together.
  const { createServer } = await import('node:http')
  const front = createServer(async (req, res) => {
    await barrier()
    const upstream = await fetch(`${urls[0]}${req.url}`, { headers: req.headers['if-none-match'] ? { 'if-none-match': String(req.headers['if-none-match']) } : {} })
    const headers: Record<string, string> = {}
    upstream.headers.forEach((value, name) => (headers[name] = value))
    delete headers['content-length']
    delete headers['content-encoding']
    res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()))
  })
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
  const frontUrl = `http://127.0.0.1:${(front.address() as { port: number }).port}`
  const close = feeds.close
  hosts.close = async () => (front.closeAllConnections(), front.close(), close())
  config = writeConfig({
    ...SITE,
    defaults: { timezone: 'UTC', retentionDays: 3650 },
    sources: ['a', 'b'].map((id) => ({ id, title: `来源${id}`, url: `${frontUrl}/${id}.xml`, categories: ['local'], schedule: '*/2 * * * * *' })),
  })
  // Concurrency 1 each: the two polls held at the barrier are necessarily in different processes.
  workers = [0, 1].map(() => spawnFeedloom(['worker', '--config', config.path, '--store', redis.url, '--concurrency', '1', '--metrics-port', '0']))
  await Promise.all(workers.map((w) => w.waitFor(/polling started/, 60_000)))
  store = await openStore(redis.url)
}, 60_000)

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL')
  await store?.close()
  await hosts?.close()
  await redis?.close()
  config?.cleanup()
})

async function itemsOf(sourceId: string) {
  const list = await store.getList(sourceId)
  return (await store.getItems(list.map(([id]) => id))).filter((e) => e !== undefined)
}

describe('two workers committing reprints of one story at once', () => {
  it('make exactly one cluster per story, with both members in it', async () => {
    for (round = 0; round < ROUNDS; round++) {
      const k = round
      await until(async () => (await itemsOf('a')).some((e) => e.guid === `story-${k}`) && (await itemsOf('b')).some((e) => e.guid === `story-${k}`), `round ${k} stored by both sources`, 20_000, 200)
    }
    const a = await itemsOf('a')
    const b = await itemsOf('b')
    expect(a).toHaveLength(ROUNDS)
    expect(b).toHaveLength(ROUNDS)
    for (let k = 0; k < ROUNDS; k++) {
      const ia = a.find((e) => e.guid === `story-${k}`)!
      const ib = b.find((e) => e.guid === `story-${k}`)!
      expect(ib.clusterId, `story ${k}: one cluster`).toBe(ia.clusterId)
      const [cluster] = await store.getClusters([ia.clusterId])
      expect(cluster?.members.map((m) => m.sourceId).sort(), `story ${k}: both members`).toEqual(['a', 'b'])
    }
    // The workers' /metrics count each story's second member as merged, and show the queue.
    const scraped = await Promise.all(workers.map(async (w) => (await fetch(`http://127.0.0.1:${(await w.waitFor(/"metrics_port":(\d+)/))[1]}/metrics`)).text()))
    const merged = scraped.flatMap((text) => [...text.matchAll(/^feedloom_items_stored_total\{source="[ab]",kind="merged"\} (\d+)/gm)].map((m) => Number(m[1]))).reduce((a, b) => a + b, 0)
    expect(merged).toBe(ROUNDS)
    for (const text of scraped) expect(text).toMatch(/^feedloom_queue_jobs\{state="delayed"\} \d+/m)
    // Neither worker logged an error (a lost lock, a failed commit) on the way.
    for (const w of workers) expect(w.output()).not.toMatch(/"level":(50|60)/)
  }, 90_000)
})
