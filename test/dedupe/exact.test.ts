import { describe, expect, it } from 'vitest'
import { mergeExact, type Known } from '../../src/dedupe/exact.js'
import type { Cluster, Entry, SourceConfig } from '../../src/model.js'
import { entry } from '../helpers/entries.js'

const source = { id: 'chinanews' } as SourceConfig
const none: Known = { previous: new Map(), keyOwners: new Map(), owners: new Map(), clusters: new Map() }
const link = 'http://politics.people.com.cn/n1/2024/0919/c1001-40123456.html'

describe('mergeExact', () => {
  it('a re-polled item keeps id, first-seen and cluster; an edit is written, a re-poll is not', () => {
    const stored = entry('a', 'chinanews', '2024-09-19T09:00:00.000Z', { firstSeen: '2024-09-19T09:05:00.000Z', clusterId: 'x' })
    const again = entry('a', 'chinanews', '2024-09-19T09:00:00.000Z', { firstSeen: '2024-09-20T00:00:00.000Z' })
    const edited = { ...again, title: 'new title', contentHash: 'other' }
    const known = { ...none, previous: new Map([['a', stored]]) }

    const same = mergeExact(source, [again], known, new Set())
    expect(same.upserts).toEqual([])
    expect(same.entries[0]).toMatchObject({ id: 'a', firstSeen: '2024-09-19T09:05:00.000Z', clusterId: 'x' })

    const changed = mergeExact(source, [edited], known, new Set())
    expect(changed.updatedCount).toBe(1)
    expect(changed.upserts[0]).toMatchObject({ id: 'a', title: 'new title', firstSeen: '2024-09-19T09:05:00.000Z', clusterId: 'x' })
  })

  it('a first-seen date never moves on later polls', () => {
    const stored = entry('a', 'chinanews', '2024-09-19T09:05:00.000Z', { dateFrom: 'first-seen' })
    const again = entry('a', 'chinanews', '2024-09-25T00:00:00.000Z', { dateFrom: 'first-seen' })
    const merged = mergeExact(source, [again], { ...none, previous: new Map([['a', stored]]) }, new Set())
    expect(merged.entries[0].published).toBe('2024-09-19T09:05:00.000Z')
  })

  it('the same canonical link from another source joins that item cluster', () => {
    const owner = entry('p1', 'people', '2024-09-19T09:11:51.000Z', { canonicalUrl: link })
    const copy = entry('c1', 'chinanews', '2024-09-19T09:40:12.000Z', { canonicalUrl: link })
    const known: Known = { ...none, keyOwners: new Map([[`link:${link}`, 'p1']]), owners: new Map([['p1', owner]]) }
    const merged = mergeExact(source, [copy], known, new Set())
    expect(merged.entries[0].clusterId).toBe('p1')
    expect(merged.clusters).toEqual<Cluster[]>([{ id: 'p1', members: [{ itemId: 'p1', sourceId: 'people' }, { itemId: 'c1', sourceId: 'chinanews' }] }])
    expect(merged.keys).toEqual([]) // the key stays with the first item
  })

  it('a third source extends the existing cluster', () => {
    const owner = entry('p1', 'people', '2024-09-19T09:11:51.000Z', { canonicalUrl: link, clusterId: 'p1' })
    const cluster: Cluster = { id: 'p1', members: [{ itemId: 'p1', sourceId: 'people' }, { itemId: 'c1', sourceId: 'chinanews' }] }
    const copy = entry('z1', 'zaobao', '2024-09-19T10:00:00.000Z', { canonicalUrl: link })
    const merged = mergeExact({ id: 'zaobao' } as SourceConfig, [copy], { ...none, keyOwners: new Map([[`link:${link}`, 'p1']]), owners: new Map([['p1', owner]]), clusters: new Map([['p1', cluster]]) }, new Set())
    expect(merged.clusters[0].members.map((m) => m.sourceId)).toEqual(['people', 'chinanews', 'zaobao'])
  })

  it('an ambiguous link (one link, many items) matches nothing and claims nothing', () => {
    const home = 'http://www.example-county.gov.cn/'
    const owner = entry('p1', 'people', '2024-09-19T09:11:51.000Z', { canonicalUrl: home })
    const items = [entry('k1', 'chinanews', '2024-09-19T09:00:00.000Z', { canonicalUrl: home }), entry('k2', 'chinanews', '2024-09-19T10:00:00.000Z', { canonicalUrl: home })]
    const merged = mergeExact(source, items, { ...none, keyOwners: new Map([[`link:${home}`, 'p1']]), owners: new Map([['p1', owner]]) }, new Set([home]))
    expect(merged.entries.map((e) => e.clusterId)).toEqual(['k1', 'k2'])
    expect(merged.keys).toEqual([])
    expect(merged.clusters).toEqual([])
  })

  it('new items register their keys; a key whose owner is gone is free again', () => {
    const fresh = entry('n1', 'chinanews', '2024-09-19T09:00:00.000Z', { canonicalUrl: link })
    const merged = mergeExact(source, [fresh], { ...none, keyOwners: new Map([[`link:${link}`, 'deleted']]) }, new Set())
    expect(merged.keys).toEqual([[`link:${link}`, 'n1']])
    expect(merged.entries[0].clusterId).toBe('n1')
  })

  it('the same source never clusters with itself', () => {
    const own = entry('o1', 'chinanews', '2024-09-18T09:00:00.000Z', { canonicalUrl: link })
    const other = entry('o2', 'chinanews', '2024-09-19T09:00:00.000Z', { canonicalUrl: link, guid: 'different-guid' })
    const merged = mergeExact(source, [other], { ...none, keyOwners: new Map([[`link:${link}`, 'o1']]), owners: new Map<string, Entry>([['o1', own]]) }, new Set())
    expect(merged.entries[0].clusterId).toBe('o2')
  })
})
