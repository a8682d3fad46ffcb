import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore, parseStoreUrl, type Store, type PollWrite } from '../../src/store/index.js'
import { retain } from '../../src/store/retention.js'
import Database from 'better-sqlite3'
import { entry } from '../helpers/entries.js'
import { storeBackends } from '../helpers/stores.js'
import { startRedis } from '../helpers/redis-server.js'
import type { Entry } from '../../src/model.js'


function write(sourceId: string, items: Entry[], extra: Partial<PollWrite> = {}): PollWrite {
  return {
    sourceId,
    upserts: items,
    list: items.map((e) => [e.id, Date.parse(e.published)]),
    keys: items.filter((e) => e.canonicalUrl).map((e) => [`link:${e.canonicalUrl}`, e.id]),
    clusters: [],
    removed: [],
    state: { id: sourceId, consecutiveFailures: 0, validators: { etag: '"x"' }, itemCount: items.length, ambiguousLinks: [] },
    ...extra,
  }
}

describe('parseStoreUrl', () => {
  it.each([
    ['sqlite://./data/feedloom.sqlite', { kind: 'sqlite', path: '/srv/app/data/feedloom.sqlite' }],
    ['sqlite:///var/lib/feedloom.sqlite', { kind: 'sqlite', path: '/var/lib/feedloom.sqlite' }],
    ['memory://', { kind: 'memory' }],
    ['redis://127.0.0.1:6379/2', { kind: 'redis', url: 'redis://127.0.0.1:6379/2' }],
    ['postgres://u:p@db:5432/feeds', { kind: 'postgres', url: 'postgres://u:p@db:5432/feeds' }],
    ['postgresql://db/feeds', { kind: 'postgres', url: 'postgresql://db/feeds' }],
  ])('%s', (url, expected) => {
    expect(parseStoreUrl(url, '/srv/app')).toEqual(expected)
  })
  it.each(['mysql://x', 'data.sqlite', 'sqlite://'])('rejects %s with a clear message', (url) => {
    expect(() => parseStoreUrl(url)).toThrow(/^store: /)
  })
})

/** The same contract on every backend: memory and SQLite always, Redis and PostgreSQL when reachable. */
const dir = mkdtempSync(join(tmpdir(), 'feedloom-store-'))
const backends = storeBackends()
const opened: Store[] = []
afterAll(async () => {
  for (const s of opened) await s.close()
})

describe.each(backends)('Store on %s', (name, url, why) => {
  const run = url ? it : it.skip
  if (!url) it.skip(why, () => {})
  const unique = `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`

  run('commits a poll and reads it back', async () => {
    const store = await openStore(url!)
    opened.push(store)
    const a = entry(`${unique}-a`, `${unique}-s`, '2024-09-19T09:11:51.000Z', { canonicalUrl: `https://x.example/${unique}/a` })
    const b = entry(`${unique}-b`, `${unique}-s`, '2024-09-19T10:00:00.000Z')
    await store.commit(write(`${unique}-s`, [b, a]), `rev-${unique}`)
    expect(await store.getRev()).toBe(`rev-${unique}`)
    expect(await store.getList(`${unique}-s`)).toEqual([[b.id, Date.parse(b.published)], [a.id, Date.parse(a.published)]])
    expect(await store.getItems([a.id, 'missing', b.id])).toEqual([a, undefined, b])
    expect(await store.lookupKeys([`link:https://x.example/${unique}/a`, 'link:none'])).toEqual([a.id, undefined])
    expect((await store.getState(`${unique}-s`))?.validators).toEqual({ etag: '"x"' })
    expect((await store.getStates([`${unique}-s`, 'nope'])).size).toBe(1)
  })

  run('reads and writes the states of many sources asked for at once in one batch each, every caller answered', async () => {
    const store = await openStore(url!)
    opened.push(store)
    const keyv = (store as unknown as { keyv: { setMany: (...a: unknown[]) => unknown; getMany: (...a: unknown[]) => unknown } }).keyv
    const calls = { setMany: 0, getMany: 0 }
    for (const name of ['setMany', 'getMany'] as const) {
      const original = keyv[name].bind(keyv)
      keyv[name] = (...a: unknown[]) => (calls[name]++, original(...a))
    }
    const ids = Array.from({ length: 300 }, (_, i) => `${unique}-many-${i}`)
    await Promise.all(ids.map((id, i) => store.putState({ id, consecutiveFailures: 0, validators: { etag: `"${i}"` }, itemCount: i, ambiguousLinks: [], lastFetchMs: i })))
    expect(calls.setMany).toBe(1)
    const states = await Promise.all(ids.map((id) => store.getState(id)))
    expect(calls.getMany).toBe(1)
    expect(states.map((s) => s?.validators.etag)).toEqual(ids.map((_, i) => `"${i}"`))
    expect(await store.getState(`${unique}-never`)).toBeUndefined()
    // A later turn of the event loop is a batch of its own.
    await store.putState({ id: ids[0], consecutiveFailures: 1, validators: {}, itemCount: 0, ambiguousLinks: [] })
    expect(calls.setMany).toBe(2)
    expect((await store.getState(ids[0]))?.consecutiveFailures).toBe(1)
  })

  // @keyv/redis connects again on demand after close, so there the store goes away as a killed
  // server of the test's own; memory:// cannot go away.
  ;(name === 'memory' ? it.skip : run)('fails every state write of a batch, with the store named, when the store is gone', { timeout: 30_000 }, async () => {
    const server = name === 'redis' ? await startRedis() : undefined
    try {
      const store = await openStore(server?.url ?? url!)
      if (server) await server.kill()
      else await store.close()
      const writes = ['a', 'b'].map((id) => store.putState({ id: `${unique}-${id}`, consecutiveFailures: 0, validators: {}, itemCount: 0, ambiguousLinks: [] }).then(() => undefined, (e: unknown) => e))
      for (const error of await Promise.all(writes)) expect(String(error)).toMatch(/^StoreError: store: write the state of 2 sources: /)
      // Shutting down during the outage must not wait for a server that is not coming back.
      if (server) await store.close()
    } finally {
      await server?.close()
    }
  })

  run('deletes removed items and only the keys that still point at them', async () => {
    const store = await openStore(url!)
    opened.push(store)
    const old = entry(`${unique}-old`, `${unique}-r`, '2020-01-01T00:00:00.000Z', { canonicalUrl: `https://x.example/${unique}/old` })
    await store.commit(write(`${unique}-r`, [old]), 'r1')
    await store.commit(write(`${unique}-r`, [], { upserts: [], list: [], removed: [old] }), 'r2')
    expect(await store.getItems([old.id])).toEqual([undefined])
    expect(await store.lookupKeys([`link:https://x.example/${unique}/old`])).toEqual([undefined])
  })

  run('logs each commit\'s written and deleted items, knows its newest entry, and lists every item', async () => {
    const store = await openStore(url!)
    opened.push(store)
    const { last: before } = await store.changesSince(Number.MAX_SAFE_INTEGER, 0)
    const a = entry(`${unique}-la`, `${unique}-l`, '2024-01-01T00:00:00.000Z')
    const b = entry(`${unique}-lb`, `${unique}-l`, '2024-01-02T00:00:00.000Z')
    await store.commit(write(`${unique}-l`, [a, b]), 'r1')
    await store.commit(write(`${unique}-l`, [b], { removed: [a] }), 'r2')
    const page = await store.changesSince(before, 100_000)
    // Other tests share the Redis and PostgreSQL databases: this test's own entries, in order.
    expect(page.changes.filter((c) => c.itemId.startsWith(`${unique}-l`)).map((c) => [c.itemId.slice(-2), c.deleted])).toEqual([['la', false], ['lb', false], ['lb', false], ['la', true]])
    if (name === 'memory' || name === 'sqlite') expect(page.last).toBe(page.changes.at(-1)!.seq)
    else expect(page.last).toBeGreaterThanOrEqual(page.changes.at(-1)!.seq)
    expect(page.oldest).toBeLessThanOrEqual(before + 1)
    const ids = new Set<string>()
    for await (const item of store.items()) ids.add(item.id)
    expect(ids.has(b.id) && !ids.has(a.id)).toBe(true)
  })
})

describe('a store failure during a poll', () => {
  it('loses nothing that was stored before, and writes nothing of the failed poll (SQLite)', async () => {
    const path = join(dir, 'failing.sqlite')
    const store = await openStore(`sqlite://${path}`)
    opened.push(store)
    const first = entry('a', 's', '2024-09-19T09:00:00.000Z', { canonicalUrl: 'https://x.example/a' })
    await store.commit(write('s', [first]), 'r1')

    // The disk fills up half-way through the next commit: its items are written, then the list is refused.
    const db = new Database(path)
    db.exec(`CREATE TRIGGER full BEFORE INSERT ON keyv WHEN NEW.key = 'feedloom:source:s:items' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
    db.exec(`CREATE TRIGGER full2 BEFORE UPDATE ON keyv WHEN NEW.key = 'feedloom:source:s:items' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
    db.close()
    const second = entry('b', 's', '2024-09-19T10:00:00.000Z', { canonicalUrl: 'https://x.example/b' })
    await expect(store.commit(write('s', [second, first]), 'r2')).rejects.toThrow(/^store: commit the poll of s: database or disk is full/)

    expect(await store.getList('s')).toEqual([['a', Date.parse(first.published)]])
    expect(await store.getItems(['a', 'b'])).toEqual([first, undefined])
    expect(await store.lookupKeys(['link:https://x.example/b'])).toEqual([undefined])
    expect(await store.getRev()).toBe('r1')
    expect(await store.changesSince(0, 10)).toMatchObject({ changes: [{ itemId: 'a', deleted: false }] })
  })
})

describe('the SQLite file', () => {
  it('keeps largely Chinese records as UTF-16 blobs and the rest as text, and reads both, and text an earlier version wrote', async () => {
    const path = join(dir, 'encodings.sqlite')
    const store = await openStore(`sqlite://${path}`)
    opened.push(store)
    const article = '漢濱區（qū）人民政府举行新闻发布会，介绍“十四五”规划进展。'.repeat(40)
    const zh = entry('zh', 's', '2024-09-19T09:00:00.000Z', { title: '安康：暴雨', html: `<p>${article}</p>`, text: article })
    const en = entry('en', 's', '2024-09-19T10:00:00.000Z', { html: `<p>${'The council met on Tuesday — “briefly”. '.repeat(40)}</p>` })
    await store.commit(write('s', [en, zh]), 'r1')

    const db = new Database(path)
    const type = (key: string) => (db.prepare('SELECT typeof(value) AS t FROM keyv WHERE key = ?').get(key) as { t: string }).t
    expect([type('feedloom:item:zh'), type('feedloom:item:en'), type('feedloom:source:s:items')]).toEqual(['blob', 'text', 'text'])
    // An earlier feedloom (or @keyv/sqlite) wrote every value as UTF-8 text.
    const old = entry('old', 's', '2024-09-19T08:00:00.000Z', { html: `<p>${article}</p>`, text: article })
    db.prepare('INSERT INTO keyv (key, value) VALUES (?, ?)').run('feedloom:item:old', JSON.stringify({ f: 2, value: old }))
    db.close()

    expect(await store.getItems(['zh', 'en', 'old'])).toEqual([zh, en, old])
    const all = new Map<string, Entry>()
    for await (const item of store.items()) all.set(item.id, item)
    expect([all.get('zh'), all.get('en'), all.get('old')]).toEqual([zh, en, old])
  })
})

describe('a store opened to read mostly (a web process)', () => {
  it('maps the SQLite file and reads what a polling process wrote, and a polling process does not map it', async () => {
    const path = join(dir, 'mapped.sqlite')
    const writer = await openStore(`sqlite://${path}`)
    opened.push(writer)
    const item = entry('m', 's', '2024-09-19T09:00:00.000Z', { text: '安康市汉滨区'.repeat(100) })
    await writer.commit(write('s', [item]), 'r1')
    const reader = await openStore(`sqlite://${path}`, { readMostly: true })
    opened.push(reader)
    const mapSize = (store: Store) => ((store as unknown as { backend: { db: Database.Database } }).backend.db.pragma('mmap_size', { simple: true }) as number)
    expect(mapSize(reader)).toBeGreaterThan(2 ** 30)
    expect(mapSize(writer)).toBe(0)
    expect(await reader.getItems(['m'])).toEqual([item])
    const later = entry('n', 's', '2024-09-19T10:00:00.000Z')
    await writer.commit(write('s', [later, item]), 'r2')
    expect(await reader.getItems(['n', 'm'])).toEqual([later, item])
  })
})

describe('retain', () => {
  const now = new Date('2024-10-30T00:00:00Z')
  const e = (id: string, day: string) => entry(id, 's', `2024-${day}T00:00:00.000Z`)
  it('keeps what is in the feed, drops what left it and is older than retentionDays', () => {
    const stored: Array<[string, number]> = [['gone-old', Date.parse('2024-09-01T00:00:00Z')], ['gone-new', Date.parse('2024-10-20T00:00:00Z')]]
    const { list, dropped } = retain(stored, [e('in-old', '08-01'), e('in-new', '10-29')], { retentionDays: 30, maxItems: 10 }, now)
    expect(list.map((r) => r[0])).toEqual(['in-new', 'gone-new', 'in-old'])
    expect(dropped).toEqual(['gone-old'])
  })
  it('caps the list at maxItems, oldest out first', () => {
    const { list, dropped } = retain([], [e('a', '10-01'), e('b', '10-02'), e('c', '10-03')], { retentionDays: 30, maxItems: 2 }, now)
    expect(list.map((r) => r[0])).toEqual(['c', 'b'])
    expect(dropped).toEqual(['a'])
  })
})
