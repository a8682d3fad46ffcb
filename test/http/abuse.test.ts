/**
 * The web layer under abuse and outage (issue 12 §3, §7), in process over a real listener: the
 * render cache bounded by bytes, the optional per-client rate limit, slow-header clients cut off,
 * and a store that stops answering (503 + Retry-After at once, cached feeds with an Age,
 * /healthz degraded).
 */
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { openStore, type Store } from '../../src/store/index.js'
import { createHandler, createWebServer, HEADERS_TIMEOUT_MS } from '../../src/http/app.js'
import { Rendered, RenderCache } from '../../src/http/cache.js'
import { RevWatcher } from '../../src/http/rev.js'
import { RateLimiter } from '../../src/http/rate-limit.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { entry } from '../helpers/entries.js'
import type { IncomingMessage } from 'node:http'
import type { UserConfig } from '../../src/config/index.js'

const siteConfig = (site: Partial<UserConfig['site']> = {}) =>
  resolveConfig({
    site: { title: '测试', url: 'https://news.example.org', ...site },
    disclaimer: { text: '本网只是转载。' },
    categories: { local: { title: '本地' } },
    sources: [{ id: 'a', title: '甲', url: 'https://user:secret@a.example/rss.xml?token=abc', categories: ['local'] }],
  })

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function serve(store: Store, config = siteConfig()) {
  const metrics = new Metrics()
  const rev = new RevWatcher(store, silentLogger, metrics)
  await rev.refresh()
  const server: Server = createWebServer(createHandler({ config, store, rev, metrics, log: silentLogger }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))))
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, rev, metrics, server }
}

/** A store whose reads can be made to hang, as @keyv/redis does while Redis is down. */
function hangable(store: Store) {
  let hanging = false
  const view = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function' || property === 'close') return value
      return (...args: unknown[]) => (hanging ? new Promise(() => undefined) : (value as (...a: unknown[]) => unknown).apply(target, args))
    },
  })
  return { store: view, hang: () => (hanging = true), answer: () => (hanging = false) }
}

describe('the store stops answering', () => {
  it('cached feeds keep their bytes with an Age, uncached routes get 503 + Retry-After within a second, /healthz is degraded, and all recover', async () => {
    const stored = await openStore('memory://')
    // One stored item, so the uncached view below must read the store (its list is cached at
    // this revision by the first render; a view with nothing to read answers without the store).
    const item = entry('a1', 'a', '2024-09-19T01:00:00Z')
    const state = { id: 'a', consecutiveFailures: 0, validators: {}, itemCount: 1, ambiguousLinks: [], lastAttempt: '2024-09-19T10:00:00Z' }
    await stored.commit({ sourceId: 'a', upserts: [item], list: [[item.id, Date.parse(item.published)]], keys: [], clusters: [], removed: [], state }, 'r1')
    const backing = hangable(stored)
    const { base, rev } = await serve(backing.store)
    const cached = await (await fetch(`${base}/feeds/all.rss`)).text()
    expect((await fetch(`${base}/healthz`)).status).toBe(200)

    backing.hang()
    const started = Date.now()
    const uncached = await fetch(`${base}/feeds/local.json?limit=3`)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(uncached.status).toBe(503)
    expect(uncached.headers.get('retry-after')).toBe('5')
    expect(await uncached.text()).toMatch(/^store: unavailable since /)
    expect(rev.down).toBeDefined()

    const status = await fetch(`${base}/status.json`)
    expect(status.status).toBe(503)
    const hot = await fetch(`${base}/feeds/all.rss`)
    expect(hot.status).toBe(200)
    expect(await hot.text()).toBe(cached)
    expect(Number(hot.headers.get('age'))).toBeGreaterThanOrEqual(0)
    const health = await fetch(`${base}/healthz`)
    expect(health.status).toBe(503)
    expect(await health.text()).toMatch(/^degraded: the store has not answered since .*no answer within 800 ms/)

    backing.answer()
    await rev.refresh()
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const back = await fetch(`${base}/feeds/local.json?limit=3`)
    expect(back.status).toBe(200)
    expect(back.headers.get('age')).toBeNull()
  })
})

describe('the render cache', () => {
  it('holds at most its bytes, compressed forms counted, least recently used out first', () => {
    const sizes: number[] = []
    const cache = new RenderCache(10_000, (bytes) => sizes.push(bytes))
    const body = (seed: number) => Buffer.from(Array.from({ length: 3_000 }, (_, i) => String.fromCharCode(97 + ((i * seed) % 26))).join(''))
    cache.set('a', new Rendered(body(1), 'text/plain'))
    cache.set('b', new Rendered(body(7), 'text/plain'))
    cache.set('c', new Rendered(body(11), 'text/plain'))
    expect(cache.size).toEqual({ entries: 3, bytes: 9_000 })
    cache.get('a') // a is now the most recent
    cache.set('d', new Rendered(body(13), 'text/plain'))
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBeDefined()
    const before = cache.size.bytes
    const gz = cache.get('a')!.encoded('gzip').length
    expect(cache.size.bytes).toBe(Math.min(before + gz, cache.size.bytes))
    expect(cache.size.bytes).toBeLessThanOrEqual(10_000)
    expect(sizes.at(-1)).toBe(cache.size.bytes)
  })
  it('does not keep a rendering larger than itself', () => {
    const cache = new RenderCache(100)
    cache.set('big', new Rendered(Buffer.alloc(101), 'text/plain'))
    expect(cache.size).toEqual({ entries: 0, bytes: 0 })
  })
})

describe('site.rateLimit', () => {
  const request = (address: string, url = '/feeds/all.rss', forwarded?: string) => ({ url, headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress: address } }) as unknown as IncomingMessage

  it('lets a client make `burst` requests, then refills at perMinute, per address', () => {
    let now = 0
    const limiter = new RateLimiter({ perMinute: 60, burst: 3 }, () => now)
    expect([1, 2, 3].map(() => limiter.retryAfter(request('1.1.1.1')))).toEqual([0, 0, 0])
    expect(limiter.retryAfter(request('1.1.1.1'))).toBe(1)
    expect(limiter.retryAfter(request('2.2.2.2'))).toBe(0)
    now += 1_000
    expect(limiter.retryAfter(request('1.1.1.1'))).toBe(0)
    expect(limiter.retryAfter(request('1.1.1.1', '/healthz'))).toBe(0)
  })
  it('behind a trusted proxy, limits by the address the proxy saw', () => {
    const limiter = new RateLimiter({ perMinute: 1, trustProxy: true }, () => 0)
    expect(limiter.retryAfter(request('10.0.0.1', '/', 'spoofed, 3.3.3.3'))).toBe(0)
    expect(limiter.retryAfter(request('10.0.0.1', '/', '4.4.4.4'))).toBe(0)
    expect(limiter.retryAfter(request('10.0.0.1', '/', 'other, 3.3.3.3'))).toBe(60)
  })
  it('answers 429 with Retry-After on the wire, cached feeds included; off by default', async () => {
    const { base } = await serve(await openStore('memory://'), siteConfig({ rateLimit: { perMinute: 2 } }))
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/feeds/all.rss`)).status)
    expect(statuses).toEqual([200, 200, 429])
    const limited = await fetch(`${base}/feeds/all.rss`)
    expect(limited.headers.get('retry-after')).toBe('30')
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const open = await serve(await openStore('memory://'))
    for (let i = 0; i < 5; i++) expect((await fetch(`${open.base}/feeds/all.rss`)).status).toBe(200)
  })
})

describe('slow clients', () => {
  it('a client that sent half its headers is cut off after the headers timeout', async () => {
    const { base } = await serve(await openStore('memory://'))
    const socket = connect(Number(new URL(base).port), '127.0.0.1')
    socket.on('error', () => undefined)
    cleanup.push(() => socket.destroy())
    await new Promise((resolve) => socket.once('connect', resolve))
    const started = Date.now()
    socket.resume() // reads the 408, so the server's close reaches us
    socket.write('GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nAcc')
    await new Promise((resolve) => socket.once('close', resolve))
    expect(Date.now() - started).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100)
    expect(Date.now() - started).toBeLessThan(HEADERS_TIMEOUT_MS + 3_000)
  }, 20_000)
})

describe('credentials in source URLs', () => {
  it('are never shown on /status.json nor published in <source url>', async () => {
    const { base } = await serve(await openStore('memory://'))
    const status = await (await fetch(`${base}/status.json`)).text()
    expect(status).not.toContain('secret')
    expect(status).toContain('https://***@a.example/rss.xml?token=***')
  })
})

describe('/metrics', () => {
  it('reports render-cache hits, misses and bytes, store errors and whether the store answers', async () => {
    const backing = hangable(await openStore('memory://'))
    const { base } = await serve(backing.store)
    await fetch(`${base}/feeds/all.rss`) // a miss, rendered
    await fetch(`${base}/feeds/all.rss`) // a hit on the fast path
    backing.hang()
    await fetch(`${base}/status.json`)
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toMatch(/^feedloom_render_cache_total\{result="miss"\} [1-9]/m)
    expect(text).toMatch(/^feedloom_render_cache_total\{result="hit"\} [1-9]/m)
    expect(text).toMatch(/^feedloom_render_cache_bytes [1-9]\d*/m)
    expect(text).toMatch(/^feedloom_store_errors_total\{where="web"\} [1-9]/m)
    expect(text).toMatch(/^feedloom_store_up 0/m)
  })
})
