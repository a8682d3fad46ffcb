import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bandKeys, fingerprints, mergePoll, type Known } from '../../src/dedupe/index.js'
import type { Entry, SourceState } from '../../src/model.js'
import { openStore, type Store } from '../../src/store/index.js'
import { entry } from '../helpers/entries.js'

/** The near-duplicate index in a real store: what a poll writes, what the next one reads, what retention deletes. */
const text = [
  '11月8日，随着最后一片T梁在板岩镇段精准落位，柞水至山阳高速公路实现全线贯通，为年底建成通车奠定了坚实基础。',
  '柞山高速全长约62公里，设计速度每小时80公里，全线共设桥梁48座、隧道11座，桥隧比达到64%，总投资约78亿元。',
].join('\n')
const state = (id: string): SourceState => ({ id, consecutiveFailures: 0, validators: {}, itemCount: 1, ambiguousLinks: [] })
const none: Known = { previous: new Map(), keyOwners: new Map(), owners: new Map(), clusters: new Map() }

const opened: Store[] = []
afterAll(async () => {
  for (const store of opened) await store.close()
})

describe.each(['memory://', `sqlite://${join(mkdtempSync(join(tmpdir(), 'feedloom-near-')), 'store.sqlite')}`])('near-duplicate index on %s', (url) => {
  async function poll(store: Store, item: Entry, removed: Entry[] = []) {
    const prints = fingerprints([item])
    const keys = bandKeys(prints.get(item.id)!.signature)
    const lists = await store.lookupBuckets(keys)
    const buckets = new Map(keys.flatMap((k, i) => (lists[i] ? [[k, lists[i]!] as const] : [])))
    const records = new Map((await store.getNearRecords([...new Set([...buckets.values()].flat())])).flatMap((r) => (r ? [[r.itemId, r] as const] : [])))
    const merged = mergePoll({ id: item.sourceId }, [item], { ...none, prints, buckets, records }, new Set())
    await store.commit({ sourceId: item.sourceId, upserts: merged.upserts, list: [], keys: merged.keys, clusters: merged.clusters, nearRecords: merged.records, buckets: merged.buckets, removed, state: state(item.sourceId) }, `r-${item.id}`)
    return merged
  }

  it('finds the first item from the second poll, and forgets it once retention deletes it', async () => {
    const store = await openStore(url)
    opened.push(store)
    const first = entry('s1', 'shangluo', '2024-11-08T02:00:00.000Z', { title: '柞水至山阳高速公路全线贯通', text })
    await poll(store, first)
    const [record] = await store.getNearRecords(['s1'])
    expect(record).toMatchObject({ itemId: 's1', sourceId: 'shangluo', clusterId: 's1' })
    const keys = bandKeys(fingerprints([first]).get('s1')!.signature)
    expect(await store.lookupBuckets(keys)).toEqual(keys.map(() => ['s1']))

    const reprint = entry('h1', 'hsw', '2024-11-08T03:00:00.000Z', { title: '柞水至山阳高速公路全线贯通（图）', text: `来源：商洛日报\n${text}\n编辑：张三` })
    expect((await poll(store, reprint)).entries[0].clusterId).toBe('s1')
    expect(await store.getClusters(['s1'])).toEqual([{ id: 's1', members: [{ itemId: 's1', sourceId: 'shangluo' }, { itemId: 'h1', sourceId: 'hsw' }] }])

    // retention deletes both; a later reprint finds nothing and starts its own cluster
    await store.commit({ sourceId: 'shangluo', upserts: [], list: [], keys: [], clusters: [], removed: [first, reprint], state: state('shangluo') }, 'r-del')
    expect(await store.getNearRecords(['s1', 'h1'])).toEqual([undefined, undefined])
    const late = entry('x1', 'xian', '2024-11-09T03:00:00.000Z', { title: '柞水至山阳高速公路全线贯通', text })
    const merged = await poll(store, late)
    expect(merged.entries[0].clusterId).toBe('x1')
    for (const [, ids] of merged.buckets) expect(ids).toEqual(['x1'])
  })
})
