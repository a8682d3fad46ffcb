import { afterAll, describe, expect, it } from 'vitest'
import { fingerprints, LSH_BUCKET_CAP, mergePoll, type Known } from '../../src/dedupe/index.js'
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
  const text = [...article].map((c, i) => (i % 2 ? c + mark : c)).join('')
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const id = (name: string) => `${run}-${name}`
  async function poll(store: Store, item: Entry, removed: Entry[] = []) {
    const prints = fingerprints([item])
    const { buckets, records } = await store.nearCandidates(prints.get(item.id)!.buckets, LSH_BUCKET_CAP)
    const merged = mergePoll({ id: item.sourceId }, [item], { ...none, prints, buckets, records }, new Set())
    await store.commit({ sourceId: item.sourceId, upserts: merged.upserts, list: [], keys: merged.keys, clusters: merged.clusters, nearRecords: merged.records, removed, state: state(item.sourceId) }, `r-${item.id}`)
    return { merged, buckets }
  }

  it('finds the first item from the second poll, and forgets it once retention deletes it', async () => {
    const store = await openStore(url)
    opened.push(store)
    const first = entry(id('s1'), 'shangluo', '2024-11-08T02:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text })
    await poll(store, first)
    expect((await store.getNearRecords([id('s1')])).get(id('s1'))).toMatchObject({ itemId: id('s1'), sourceId: 'shangluo', clusterId: id('s1') })
    const keys = fingerprints([first]).get(id('s1'))!.buckets
    const found = await store.nearCandidates(keys, LSH_BUCKET_CAP)
    expect(keys.map((k) => found.buckets.get(k))).toEqual(keys.map(() => [id('s1')]))

    const reprint = entry(id('h1'), 'hsw', '2024-11-08T03:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}（图）`, text: `来源：商洛日报\n${text}\n编辑：张三` })
    expect((await poll(store, reprint)).merged.entries[0].clusterId).toBe(id('s1'))
    expect(await store.getClusters([id('s1')])).toEqual([{ id: id('s1'), members: [{ itemId: id('s1'), sourceId: 'shangluo' }, { itemId: id('h1'), sourceId: 'hsw' }] }])

    // retention deletes both; a later reprint finds nothing and starts its own cluster
    await store.commit({ sourceId: 'shangluo', upserts: [], list: [], keys: [], clusters: [], removed: [first, reprint], state: state('shangluo') }, 'r-del')
    expect((await store.getNearRecords([id('s1'), id('h1')])).size).toBe(0)
    const late = entry(id('x1'), 'xian', '2024-11-09T03:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text })
    const { merged, buckets } = await poll(store, late)
    expect(merged.entries[0].clusterId).toBe(id('x1'))
    // The deleted items' bucket entries went with them.
    expect(buckets.size).toBe(0)
  })

  it('keeps a crowded bucket to its newest items', async () => {
    const store = await openStore(url)
    opened.push(store)
    // A portal whose every item shares one phrase: the same text under other headlines, far more than a bucket keeps.
    const items = Array.from({ length: LSH_BUCKET_CAP * 4 }, (_, i) => entry(id(`c${i}`), `portal${i}`, '2024-11-08T02:00:00.000Z', { title: `柞水至山阳高速公路全线贯通${mark}`, text }))
    for (const item of items) await poll(store, item)
    const keys = fingerprints([items[0]]).get(id('c0'))!.buckets
    for (let round = 0; round < 2; round++) {
      const { buckets } = await store.nearCandidates(keys, LSH_BUCKET_CAP)
      for (const key of keys) expect(buckets.get(key)).toEqual(items.slice(-LSH_BUCKET_CAP).map((i) => i.id).reverse())
      // The read found them crowded; the next commit trims them, and they answer the same.
      await store.commit({ sourceId: 'x', upserts: [], list: [], keys: [], clusters: [], removed: [], state: state('x') }, `trim-${round}`)
    }
  })
})
