/**
 * A store outage of 30 s under load (issue 12 §3), run against any store a test can take away:
 * a worker and a web process poll and serve a small world; the feeds stop changing so the web's
 * renderings are current; the store goes; for 30 s clients keep asking. Cached feeds answer 200
 * with an Age, uncached routes 503 with Retry-After within a second, /healthz says degraded, the
 * worker backs off without dying; the store comes back, and the worker resumes with everything
 * stored before still there under the same ids.
 */
import { expect } from 'vitest'
import { prose, rss, sleep, SITE, spawnFeedloom, startFeedHosts, until, writeConfig, type Feedloom, type Item } from './procs.js'

export const OUTAGE_MS = 30_000
/** Clients asking at once all through the outage. */
const CLIENTS = 4
/** A 503 within 1 s once the store is known to be down (issue 12 §3)… */
const ANSWER_WITHIN_MS = 1_000
/** …and for the requests already waiting on it when it went: its per-read deadline (800 ms) and a first read that answered slowly. */
const FIRST_ANSWERS_WITHIN_MS = 1_500

export interface Outage {
  storeUrl: string
  /** Extra flags (e.g. `--queue` when the store is not Redis). */
  args: string[]
  cut(): Promise<void>
  restore(): Promise<void>
  /** What the worker says while it waits: its own back-off, or BullMQ's reconnecting when the queue went too. */
  workerWaits: RegExp
}

interface Answer {
  route: string
  status: number
  ms: number
  age: string | null
  retryAfter: string | null
  at: number
}

export async function storeOutage(outage: Outage): Promise<void> {
  const ids = Array.from({ length: 10 }, (_, i) => `o${i}`)
  let extra = 0
  const base = Date.now() - 3_600_000
  const itemsOf = (i: number): Item[] => Array.from({ length: 3 + (i === 0 ? extra : 0) }, (_, k) => ({ guid: `o${i}-${k}`, title: `第${i}-${k}条 ${prose(i * 100 + k, 10)}`, text: prose(i * 1000 + k), at: base + k * 60_000 }))
  const hosts = await startFeedHosts(1, (id) => rss(id, itemsOf(ids.indexOf(id))))
  const config = writeConfig({ ...SITE, defaults: { timezone: 'UTC', retentionDays: 3650 }, sources: ids.map((id) => ({ id, title: id, url: `${hosts.urls[0]}/${id}.xml`, categories: ['local'], schedule: '*/2 * * * * *' })) })
  const args = ['--config', config.path, '--store', outage.storeUrl, ...outage.args]
  const worker: Feedloom = spawnFeedloom(['worker', ...args])
  const web: Feedloom = spawnFeedloom(['web', ...args, '--port', '0'])
  try {
    const url = `http://127.0.0.1:${await web.port()}`
    const json = async (path: string) => (await fetch(url + path)).json()
    await until(async () => (await json('/feeds/all.json?limit=200')).items.length === 30, 'every source stored', 60_000, 500)
    // Nothing changes now: the renderings made next stay current until the store goes.
    await sleep(3_000)
    const before = (await json('/feeds/all.json?limit=200')).items.map((i: { id: string }) => i.id).sort()
    const cachedRss = await (await fetch(`${url}/feeds/all.rss`)).text()

    const pollsBefore = hosts.requests.length
    await outage.cut()
    const cutAt = Date.now()
    const answers: Answer[] = []
    const routes = ['/feeds/all.rss', '/feeds/all.json?limit=200', '/feeds/local.atom?limit=7', '/status.json', '/c/local', '/healthz']
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let n = c; Date.now() - cutAt < OUTAGE_MS; n++) {
          const route = routes[n % routes.length]
          const started = Date.now()
          const res = await fetch(url + route, { signal: AbortSignal.timeout(15_000) })
          const body = await res.text()
          answers.push({ route, status: res.status, ms: Date.now() - started, age: res.headers.get('age'), retryAfter: res.headers.get('retry-after'), at: started })
          if (route === '/feeds/all.rss' && res.status === 200) expect(body).toBe(cachedRss)
          await sleep(50)
        }
      }),
    )
    const pollsDuring = hosts.requests.length - pollsBefore
    expect(worker.child.exitCode, `the worker survived:\n${worker.output().slice(-2000)}`).toBeNull()
    expect(web.child.exitCode).toBeNull()

    // Cached renderings: 200, byte for byte, with an Age that grows.
    const cached = answers.filter((a) => a.route.startsWith('/feeds/all.'))
    expect(cached.every((a) => a.status === 200), JSON.stringify(cached.filter((a) => a.status !== 200).slice(0, 3))).toBe(true)
    expect(Number(cached.at(-1)!.age)).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 5)
    // Uncached routes: 503 with Retry-After, within a second.
    const uncached = answers.filter((a) => !a.route.startsWith('/feeds/all.') && a.route !== '/healthz')
    expect(uncached.length).toBeGreaterThan(20)
    expect(uncached.filter((a) => a.status !== 503 || !a.retryAfter).map((a) => `${a.route} ${a.status}`)).toEqual([])
    const knownDown = cutAt + FIRST_ANSWERS_WITHIN_MS
    const slow = uncached.filter((a) => a.ms > (a.at < knownDown ? FIRST_ANSWERS_WITHIN_MS : ANSWER_WITHIN_MS)).map((a) => `${a.route} ${a.ms} ms at +${a.at - cutAt} ms`)
    expect(slow, 'uncached routes answered later than 1 s').toEqual([])
    // /healthz: degraded, with the reason, once the store was missed.
    const health = answers.filter((a) => a.route === '/healthz' && a.at - cutAt > 2_000)
    expect(health.length).toBeGreaterThan(3)
    expect(health.every((a) => a.status === 503)).toBe(true)
    // The worker backed off: far fewer polls than 10 sources every 2 s would make.
    expect(pollsDuring).toBeLessThan((OUTAGE_MS / 2_000) * ids.length)

    await outage.restore()
    extra = 1 // a new story, so "resumed" means stored, not just fetched
    await until(async () => (await fetch(`${url}/healthz`)).status === 200, '/healthz ok again', 20_000, 250)
    await until(async () => (await json('/feeds/all.json?limit=200')).items.length === 31, 'the worker to resume and store the new story', 40_000, 500)
    const after = (await json('/feeds/all.json?limit=200')).items.map((i: { id: string }) => i.id)
    for (const id of before) expect(after, 'nothing stored before was lost').toContain(id)
    expect(worker.output()).toMatch(outage.workerWaits)
    expect(web.output()).toMatch(/store: not answering/)
  } finally {
    worker.kill('SIGKILL')
    web.kill('SIGKILL')
    await hosts.close()
    config.cleanup()
  }
}
