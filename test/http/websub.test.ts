/**
 * WebSub both ways, against a fake hub on 127.0.0.1: publish pings to our hub after a poll stores
 * items, and subscriptions to the hubs sources advertise (discovery, verification of intent,
 * signed deliveries, lease renewal).
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import type { SourceConfig } from '../../src/model.js'
import { createHandler } from '../../src/http/app.js'
import { feedTopics } from '../../src/http/feeds.js'
import { RevWatcher } from '../../src/http/rev.js'
import { websubRoutes } from '../../src/http/websub.js'
import { createFetcher } from '../../src/fetch/index.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { openStore, type Store } from '../../src/store/index.js'
import { discoverHub, fetchTransport, HubPublisher, isPublicUrl, signBody, Subscriber, verifySignature } from '../../src/websub/index.js'
import { RENEW_AT_LEASE_SHARE } from '../../src/websub/subscriber.js'
import { listen, startFeedServer } from '../helpers/servers.js'

/** A hub that records every form posted to it and answers with `status` (or never, when `hang`). */
async function fakeHub() {
  const received: URLSearchParams[] = []
  const state = { status: 202, hang: false }
  const server = await listen((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      received.push(new URLSearchParams(body))
      if (!state.hang) res.writeHead(state.status).end()
    })
  })
  return { ...server, received, state }
}

let hub: Awaited<ReturnType<typeof fakeHub>>
beforeAll(async () => {
  hub = await fakeHub()
})
afterAll(() => hub.close())
beforeEach(() => {
  hub.received.length = 0
  hub.state.status = 202
  hub.state.hang = false
})

function configWith(site: { url: string; websubHub?: string }) {
  return resolveConfig({
    site: { title: '陕南新闻聚合', language: 'zh-CN', ...site },
    disclaimer: { text: '本网只是转载。' },
    categories: { local: { title: '本地' }, national: { title: '国内' } },
    sources: [
      { id: 'ankang', title: '安康新闻网', url: 'https://ak.example/rss', categories: ['local'] },
      { id: 'people', title: '人民网', url: 'https://people.example/rss', categories: ['national', 'local'] },
    ],
  })
}

describe('isPublicUrl', () => {
  it.each([
    ['https://news.example.org', true],
    ['http://203.0.113.7:8080/', true],
    ['https://[2001:db8::1]/', true],
    ['http://localhost:3000', false],
    ['http://127.0.0.1:3000', false],
    ['http://10.1.2.3/', false],
    ['http://172.20.0.5/', false],
    ['http://192.168.1.10/', false],
    ['http://[::1]:3000/', false],
    ['http://news/', false],
    ['http://news.local/', false],
    ['ftp://news.example.org/', false],
  ])('%s → %s', (url, expected) => {
    expect(isPublicUrl(url)).toBe(expected)
  })
})

describe('verifySignature (WebSub §8)', () => {
  const body = Buffer.from('<rss>安康</rss>')
  it.each([
    ['sha256', signBody(body, 's3cret', 'sha256'), true],
    ['sha1', signBody(body, 's3cret', 'sha1'), true],
    ['sha512', signBody(body, 's3cret', 'sha512'), true],
    ['upper-case method', signBody(body, 's3cret', 'sha256').replace('sha256', 'SHA256'), true],
    ['another secret', signBody(body, 'other', 'sha256'), false],
    ['another body', signBody(Buffer.from('<rss/>'), 's3cret', 'sha256'), false],
    ['md5', `md5=${'0'.repeat(32)}`, false],
    ['no method', 'abcdef', false],
    ['a truncated digest', signBody(body, 's3cret', 'sha256').slice(0, -2), false],
    ['not hex', 'sha256=zz', false],
    ['missing', undefined, false],
  ])('%s → %s', (_name, header, expected) => {
    expect(verifySignature(header, body, 's3cret')).toBe(expected)
  })
})

describe('HubPublisher', () => {
  const base = 'https://news.example.org'
  const publisher = (transport = fetchTransport()) =>
    new HubPublisher(configWith({ url: base, websubHub: hub.url }), { transport, log: silentLogger, topics: (category) => feedTopics(base, category) })

  it("pings the hub with hub.mode=publish for every feed of the source's categories and all", async () => {
    await publisher().changed({ sourceId: 'people', outcome: 'ok', newItems: 2, updatedItems: 0 })
    const pings = hub.received.map((form) => [form.get('hub.mode'), form.get('hub.url')])
    const expected = ['all', 'national', 'local'].flatMap((c) => ['rss', 'atom', 'json'].map((f) => ['publish', `${base}/feeds/${c}.${f}`]))
    expect(pings.sort()).toEqual(expected.sort())
  })

  it.each([
    ['not modified', { outcome: 'not-modified', newItems: 0, updatedItems: 0 }],
    ['failed', { outcome: 'error', newItems: 0, updatedItems: 0 }],
    ['nothing new', { outcome: 'ok', newItems: 0, updatedItems: 0 }],
  ])('says nothing when the poll was %s', async (_name, change) => {
    await publisher().changed({ sourceId: 'ankang', ...change })
    expect(hub.received).toHaveLength(0)
  })

  it('says nothing without a configured hub', () => {
    const quiet = new HubPublisher(configWith({ url: base }), { transport: fetchTransport(), log: silentLogger, topics: (c) => feedTopics(base, c) })
    expect(quiet.topicsFor({ sourceId: 'ankang', outcome: 'ok', newItems: 1, updatedItems: 0 })).toEqual([])
  })

  it('an updated item is a change too; a failing or silent hub never throws', async () => {
    hub.state.status = 500
    await expect(publisher().changed({ sourceId: 'ankang', outcome: 'ok', newItems: 0, updatedItems: 1 })).resolves.toBeUndefined()
    expect(hub.received).toHaveLength(6)
    hub.state.hang = true
    await expect(publisher(fetchTransport(50)).changed({ sourceId: 'ankang', outcome: 'ok', newItems: 1, updatedItems: 0 })).resolves.toBeUndefined()
  })
})

describe('discoverHub', () => {
  it('reads the hub a real-shaped feed advertises, and nothing from one without', async () => {
    const withHub = readFileSync(new URL('../fixtures/parse/regional-rss.xml', import.meta.url))
    const without = readFileSync(new URL('../fixtures/e2e/chinanews-scroll.xml', import.meta.url))
    const feeds = await startFeedServer(
      new Map([
        ['/hub.xml', { body: withHub, contentType: 'application/rss+xml; charset=utf-8' }],
        ['/plain.xml', { body: without, contentType: 'application/rss+xml; charset=utf-8' }],
      ]),
    )
    try {
      const discover = discoverHub(createFetcher(), () => new Date('2024-09-19T10:00:00Z'))
      const source = (path: string) => ({ ...configWith({ url: 'https://news.example.org' }).sources[0], url: feeds.url + path })
      expect(await discover(source('/hub.xml'))).toEqual({ hub: 'https://pubsubhubbub.appspot.com/', topic: `${feeds.url}/hub.xml` })
      expect(await discover(source('/plain.xml'))).toBeUndefined()
    } finally {
      await feeds.close()
    }
  })

  it('uses the hub a successful poll remembered, without fetching again', async () => {
    const withHub = readFileSync(new URL('../fixtures/parse/regional-rss.xml', import.meta.url))
    const feeds = await startFeedServer(new Map([['/hub.xml', { body: withHub, contentType: 'application/rss+xml; charset=utf-8' }]]))
    try {
      const store = await openStore('memory://')
      const source = { ...configWith({ url: 'https://news.example.org' }).sources[0], url: `${feeds.url}/hub.xml` }
      const { refreshSource } = await import('../../src/refresh.js')
      await refreshSource(source, { store, fetcher: createFetcher(), now: () => new Date('2024-09-19T10:00:00Z'), log: silentLogger })
      const fetchesAfterPoll = feeds.hits.get('/hub.xml')
      const discover = discoverHub(createFetcher(), () => new Date('2024-09-19T10:00:00Z'), store)
      expect(await discover(source)).toEqual({ hub: 'https://pubsubhubbub.appspot.com/', topic: `${feeds.url}/hub.xml` })
      expect(feeds.hits.get('/hub.xml')).toBe(fetchesAfterPoll)
    } finally {
      await feeds.close()
    }
  })
})

describe('Subscriber over the callback route', () => {
  const config = configWith({ url: 'https://news.example.org' })
  const LEASE_SECONDS = 86_400
  let now: Date
  let polled: string[]
  let discovered: number
  let subscriber: Subscriber
  let store: Store
  let web: Awaited<ReturnType<typeof listen>>
  const topic = 'https://ak.example/rss'
  let secrets: string[]

  beforeAll(async () => {
    store = await openStore('memory://')
    const rev = new RevWatcher(store, silentLogger)
    secrets = ['first-secret', 'second-secret', 'third-secret']
    subscriber = new Subscriber(config, {
      transport: fetchTransport(),
      discover: async (source: SourceConfig) => {
        discovered++
        return source.id === 'ankang' ? { hub: hub.url, topic } : undefined
      },
      onContent: (source) => polled.push(source.id),
      now: () => now,
      log: silentLogger,
      secret: () => secrets.shift()!,
    })
    web = await listen(createHandler({ config, store, rev, metrics: new Metrics(), log: silentLogger }, websubRoutes(subscriber)))
  })
  afterAll(async () => {
    await web.close()
    await store.close()
  })
  beforeEach(() => {
    polled = []
    discovered = 0
  })

  const verify = (sourceId: string, params: Record<string, string>) => fetch(`${web.url}/websub/${sourceId}?${new URLSearchParams(params)}`)
  const deliver = (sourceId: string, body: string, signature?: string) =>
    fetch(`${web.url}/websub/${sourceId}`, { method: 'POST', body, headers: { 'Content-Type': 'application/rss+xml', ...(signature ? { 'X-Hub-Signature': signature } : {}) } })

  it('subscribes to the hubs sources advertise, with a callback on site.url and a secret', async () => {
    now = new Date('2024-09-19T10:00:00Z')
    await subscriber.subscribeAll()
    expect(discovered).toBe(2)
    expect(hub.received).toHaveLength(1)
    const form = hub.received[0]
    expect(Object.fromEntries(form)).toEqual({
      'hub.mode': 'subscribe',
      'hub.topic': topic,
      'hub.callback': 'https://news.example.org/websub/ankang',
      'hub.secret': 'first-secret',
      'hub.lease_seconds': String(10 * 24 * 3600),
    })
    expect(subscriber.state('ankang')?.state).toBe('pending')
  })

  it('refuses deliveries before the hub verified the subscription', async () => {
    const res = await deliver('ankang', '<rss/>', signBody(Buffer.from('<rss/>'), 'first-secret'))
    expect(res.status).toBe(410)
    expect(polled).toEqual([])
  })

  it.each([
    ['another topic', 'ankang', { 'hub.mode': 'subscribe', 'hub.topic': 'https://evil.example/rss', 'hub.challenge': 'c' }],
    ['a source we did not subscribe to', 'people', { 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.challenge': 'c' }],
    ['an unsubscribe we never asked for', 'ankang', { 'hub.mode': 'unsubscribe', 'hub.topic': topic, 'hub.challenge': 'c' }],
    ['no challenge', 'ankang', { 'hub.mode': 'subscribe', 'hub.topic': topic }],
  ])('answers 404 to a verification for %s', async (_name, sourceId, params) => {
    expect((await verify(sourceId, params)).status).toBe(404)
  })

  it('echoes the challenge of a verification of intent, and takes the lease the hub grants', async () => {
    const res = await verify('ankang', { 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.challenge': 'ch4llenge-安康', 'hub.lease_seconds': String(LEASE_SECONDS) })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ch4llenge-安康')
    expect(subscriber.state('ankang')).toEqual({ state: 'active', hub: hub.url, topic, expires: '2024-09-20T10:00:00.000Z' })
  })

  it('polls the source at once for a delivery signed with its secret, and ignores (2xx) a badly signed one', async () => {
    const body = readFileSync(new URL('../fixtures/parse/regional-rss.xml', import.meta.url), 'utf8')
    expect((await deliver('ankang', body, signBody(Buffer.from(body), 'first-secret', 'sha1'))).status).toBe(202)
    expect(polled).toEqual(['ankang'])
    expect((await deliver('ankang', body, signBody(Buffer.from(body), 'wrong'))).status).toBe(202)
    expect((await deliver('ankang', body)).status).toBe(202)
    expect((await deliver('ankang', `${body} `, signBody(Buffer.from(body), 'first-secret'))).status).toBe(202)
    expect(polled).toEqual(['ankang'])
    expect((await deliver('people', body, signBody(Buffer.from(body), 'first-secret'))).status).toBe(410)
  })

  it('renews a lease once most of it has passed, keeping the old secret valid until the hub verifies', async () => {
    now = new Date(Date.parse('2024-09-19T10:00:00Z') + LEASE_SECONDS * 1000 * (RENEW_AT_LEASE_SHARE - 0.05))
    expect(await subscriber.renewDue()).toEqual([])
    expect(hub.received).toHaveLength(0)
    now = new Date(Date.parse('2024-09-19T10:00:00Z') + LEASE_SECONDS * 1000 * RENEW_AT_LEASE_SHARE)
    expect(await subscriber.renewDue()).toEqual(['ankang'])
    expect(hub.received.map((f) => [f.get('hub.mode'), f.get('hub.secret')])).toEqual([['subscribe', 'second-secret']])
    const body = '<rss version="2.0"/>'
    expect((await deliver('ankang', body, signBody(Buffer.from(body), 'first-secret'))).status).toBe(202)
    expect(polled).toEqual(['ankang'])
    await verify('ankang', { 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.challenge': 'again', 'hub.lease_seconds': String(LEASE_SECONDS) })
    expect((await deliver('ankang', body, signBody(Buffer.from(body), 'first-secret'))).status).toBe(202)
    expect((await deliver('ankang', body, signBody(Buffer.from(body), 'second-secret'))).status).toBe(202)
    expect(polled).toEqual(['ankang', 'ankang'])
  })

  it('notes a denied subscription and stops taking deliveries; polling goes on', async () => {
    const res = await verify('ankang', { 'hub.mode': 'denied', 'hub.topic': topic, 'hub.reason': 'quota' })
    expect(res.status).toBe(200)
    expect(subscriber.state('ankang')?.state).toBe('denied')
    const body = '<rss/>'
    expect((await deliver('ankang', body, signBody(Buffer.from(body), 'second-secret'))).status).toBe(410)
  })

  it('never subscribes from a private site.url, which no hub could call back', async () => {
    const local = new Subscriber(configWith({ url: 'http://localhost:3000' }), {
      transport: fetchTransport(),
      discover: async () => ({ hub: hub.url, topic }),
      onContent: () => undefined,
      now: () => now,
      log: silentLogger,
    })
    expect(local.enabled).toBe(false)
    await local.subscribeAll()
    expect(hub.received).toHaveLength(0)
  })
})
