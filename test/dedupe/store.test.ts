import { afterAll, describe, expect, it } from 'vitest'
import { fingerprints, LSH_BUCKET_CAP, MAX_CANDIDATES, mergePoll, type Known } from '../../src/dedupe/index.js'
import type { Entry, SourceState } from '../../src/model.js'
import { openStore, type Store } from '../../src/store/index.js'
import { entry } from '../helpers/entries.js'
import { storeBackends } from '../helpers/stores.js'

/** The near-duplicate index in a real store: what a poll writes, what the next one reads, what retention deletes. */
const article = [
  '11月8日，随着最后一片T梁在板岩镇段精准落位，柞水至山阳高速公路实现全线贯通，为年底建成通车奠定了坚实基础。',
  '柞山高速全长约62公里，设计速度每小时80公里，全线共设桥梁48座、隧道11座，桥隧比达到64%，总投资约78亿元。',
].join('\n')
const state = (id: string): SourceState => ({ id, consecutiveFailures: 0, validators: {}, itemCount: 1, ambiguousLinks: [] })
const none: Known = { previous: new Map(), keyOwners: new Map(), owners: new Map(), clusters: new Map() }

const opened: Store[] = []
afterAll(async () => {
  for (const store of opened) await store.close()
})

describe.each(storeBackends())('near-duplicate index on %s', (_name, url, why) => {
  if (!url) {
    it.skip(why, () => {})
    return
  }
  // Redis and PostgreSQL are shared with other runs: this run's text carries its own character
  // after every second one, so its shingles, and so its buckets, are its own.
  const mark = String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 20_000))
  /** The article marked for one test: the tests share a store, and each one's items are its own. */
  const textOf = (test: number) => [...article].map((c, i) => (i % 2 ? c + String.fromCodePoint(mark.codePointAt(0)! + test) : c)).join('')
  const text = textOf(0)
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const id = (name: string) => `${run}-${name}`
  async function poll(store: Store, item: Entry, removed: Entry[] = []) {
    const prints = fingerprints([item])
    const candidates = await store.nearCandidates(prints, item.sourceId)
    const merged = mergePoll({ id: item.sourceId }, [item], { ...none, prints, candidates }, new Set())
    await store.commit({ sourceId: item.sourceId, upserts: merged.upserts, list: [], keys: merged.keys, clusters: merged.clusters, nearRecords: merged.records, removed, state: state(item.sourceId) }, `r-${item.id}`)
    return { merged, candidates: candidates.get(item.id) ?? [] }
  }
  /** The ids a store offers an item of `sourceId` with `item`'s text as candidates, best first. */
  async function offered(store: Store, item: Entry, sourceId: string): Promise<string[]> {
    const candidates = await store.nearCandidates(fingerprints([item]), sourceId)
    return (candidates.get(item.id) ?? []).map((r) => r.itemId)
  }

  it('finds the first item from the second poll, and forgets it once retention deletes it', async () => {
    const store = await openStore(url)
    opened.push(store)
    const first = entry(id('s1'), 'shangluo', '2024-11-08T02:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text })
    await poll(store, first)
    expect((await store.getNearRecords([id('s1')])).get(id('s1'))).toMatchObject({ itemId: id('s1'), sourceId: 'shangluo', clusterId: id('s1') })
    expect(await offered(store, first, 'elsewhere')).toEqual([id('s1')])
    // Never to its own source.
    expect(await offered(store, first, 'shangluo')).toEqual([])

    const reprint = entry(id('h1'), 'hsw', '2024-11-08T03:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}（图）`, text: `来源：商洛日报\n${text}\n编辑：张三` })
    expect((await poll(store, reprint)).merged.entries[0].clusterId).toBe(id('s1'))
    expect(await store.getClusters([id('s1')])).toEqual([{ id: id('s1'), members: [{ itemId: id('s1'), sourceId: 'shangluo' }, { itemId: id('h1'), sourceId: 'hsw' }] }])

    // retention deletes both; a later reprint finds nothing and starts its own cluster
    await store.commit({ sourceId: 'shangluo', upserts: [], list: [], keys: [], clusters: [], removed: [first, reprint], state: state('shangluo') }, 'r-del')
    expect((await store.getNearRecords([id('s1'), id('h1')])).size).toBe(0)
    const late = entry(id('x1'), 'xian', '2024-11-09T03:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text })
    const { merged, candidates } = await poll(store, late)
    expect(merged.entries[0].clusterId).toBe(id('x1'))
    // The deleted items' bucket entries went with them.
    expect(candidates).toEqual([])
  })

  it('keeps a crowded bucket to its newest items', async () => {
    const store = await openStore(url)
    opened.push(store)
    // A portal whose every item shares one phrase: the same text under other headlines, far more than a bucket keeps.
    const items = Array.from({ length: LSH_BUCKET_CAP * 4 }, (_, i) => entry(id(`c${i}`), `portal${i}`, '2024-11-08T02:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text }))
    for (const item of items) await poll(store, item)
    for (let round = 0; round < 2; round++) {
      // Every item shares every bucket: the newest LSH_BUCKET_CAP are offered, the older ones crowded out.
      expect((await offered(store, items[0], 'x')).sort()).toEqual(items.slice(-LSH_BUCKET_CAP).map((i) => i.id).sort())
      // The read found them crowded; the next commit trims them, and they answer the same.
      await store.commit({ sourceId: 'x', upserts: [], list: [], keys: [], clusters: [], removed: [], state: state('x') }, `trim-${round}`)
    }
  })
  it("ranks other sources' items only, and offers the best of many", async () => {
    const store = await openStore(url)
    opened.push(store)
    const own = textOf(1)
    // One source's own items crowd the buckets; another source's single item is still offered.
    const mine = Array.from({ length: 5 }, (_, i) => entry(id(`o${i}`), 'own', '2024-11-08T02:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text: own }))
    const other = entry(id('p0'), 'paper', '2024-11-08T01:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text: own })
    for (const item of [other, ...mine]) await poll(store, item)
    expect(await offered(store, mine[0], 'own')).toEqual([id('p0')])
    // Past MAX_CANDIDATES sharing the buckets, no more than that many are offered (or read).
    const many = Array.from({ length: MAX_CANDIDATES + 4 }, (_, i) => entry(id(`m${i}`), `county${i}`, '2024-11-08T03:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text: own }))
    for (const item of many) await poll(store, item)
    expect(await offered(store, mine[0], 'own')).toHaveLength(MAX_CANDIDATES)
  })

  it.runIf(!url.startsWith('memory:'))('a process that did not write the rows ranks them the same, and skips rows another process deleted', async () => {
    const writer = await openStore(url)
    const reader = await openStore(url)
    opened.push(writer, reader)
    const own = textOf(2)
    const items = Array.from({ length: LSH_BUCKET_CAP + 1 }, (_, i) => entry(id(`d${i}`), `portal${i}`, '2024-11-08T02:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text: own }))
    for (const item of items) await poll(writer, item)
    // The reader builds its buckets from the stored rows: their sources come with them.
    expect((await offered(reader, items[0], 'portal3')).sort()).toEqual(items.slice(1).filter((i) => i.sourceId !== 'portal3').map((i) => i.id).sort())
    // The writer deletes the newest; the reader finds its row gone, and the next older takes its place.
    await writer.commit({ sourceId: 'portal16', upserts: [], list: [], keys: [], clusters: [], removed: [items[16]], state: state('portal16') }, 'r-gone')
    expect((await offered(reader, items[0], 'x')).sort()).toEqual(items.slice(0, LSH_BUCKET_CAP).map((i) => i.id).sort())
  })
})
