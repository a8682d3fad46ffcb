import { describe, expect, it } from 'vitest'
import { fingerprint, fingerprints, LSH_BUCKET_CAP, MAX_CANDIDATES, mergePoll, rankCandidates, toRecord, type Known } from '../../src/dedupe/index.js'
import { convertText } from '../../src/variant/index.js'
import type { Cluster, Entry, NearRecord, SourceConfig } from '../../src/model.js'
import { entry } from '../helpers/entries.js'

const source = { id: 'chinanews' } as SourceConfig
const none: Known = { previous: new Map(), keyOwners: new Map(), owners: new Map(), clusters: new Map() }
const link = 'http://politics.people.com.cn/n1/2024/0919/c1001-40123456.html'

describe('mergePoll: exact keys', () => {
  it('a re-polled item keeps id, first-seen and cluster; an edit is written, a re-poll is not', () => {
    const stored = entry('a', 'chinanews', '2024-09-19T09:00:00.000Z', { firstSeen: '2024-09-19T09:05:00.000Z', clusterId: 'x' })
    const again = entry('a', 'chinanews', '2024-09-19T09:00:00.000Z', { firstSeen: '2024-09-20T00:00:00.000Z' })
    const edited = { ...again, title: 'new title', contentHash: 'other' }
    const known = { ...none, previous: new Map([['a', stored]]) }

    const same = mergePoll(source, [again], known, new Set())
    expect(same.upserts).toEqual([])
    expect(same.entries[0]).toMatchObject({ id: 'a', firstSeen: '2024-09-19T09:05:00.000Z', clusterId: 'x' })

    const changed = mergePoll(source, [edited], known, new Set())
    expect(changed.updatedCount).toBe(1)
    expect(changed.upserts[0]).toMatchObject({ id: 'a', title: 'new title', firstSeen: '2024-09-19T09:05:00.000Z', clusterId: 'x' })
  })

  it('a first-seen date never moves on later polls', () => {
    const stored = entry('a', 'chinanews', '2024-09-19T09:05:00.000Z', { dateFrom: 'first-seen' })
    const again = entry('a', 'chinanews', '2024-09-25T00:00:00.000Z', { dateFrom: 'first-seen' })
    const merged = mergePoll(source, [again], { ...none, previous: new Map([['a', stored]]) }, new Set())
    expect(merged.entries[0].published).toBe('2024-09-19T09:05:00.000Z')
  })

  it('the same canonical link from another source joins that item cluster', () => {
    const owner = entry('p1', 'people', '2024-09-19T09:11:51.000Z', { canonicalUrl: link })
    const copy = entry('c1', 'chinanews', '2024-09-19T09:40:12.000Z', { canonicalUrl: link })
    const known: Known = { ...none, keyOwners: new Map([[`link:${link}`, 'p1']]), owners: new Map([['p1', owner]]) }
    const merged = mergePoll(source, [copy], known, new Set())
    expect(merged.entries[0].clusterId).toBe('p1')
    expect(merged.clusters).toEqual<Cluster[]>([{ id: 'p1', members: [{ itemId: 'p1', sourceId: 'people' }, { itemId: 'c1', sourceId: 'chinanews' }] }])
    expect(merged.keys).toEqual([]) // the key stays with the first item
  })

  it('a third source extends the existing cluster', () => {
    const owner = entry('p1', 'people', '2024-09-19T09:11:51.000Z', { canonicalUrl: link, clusterId: 'p1' })
    const cluster: Cluster = { id: 'p1', members: [{ itemId: 'p1', sourceId: 'people' }, { itemId: 'c1', sourceId: 'chinanews' }] }
    const copy = entry('z1', 'zaobao', '2024-09-19T10:00:00.000Z', { canonicalUrl: link })
    const merged = mergePoll({ id: 'zaobao' } as SourceConfig, [copy], { ...none, keyOwners: new Map([[`link:${link}`, 'p1']]), owners: new Map([['p1', owner]]), clusters: new Map([['p1', cluster]]) }, new Set())
    expect(merged.clusters[0].members.map((m) => m.sourceId)).toEqual(['people', 'chinanews', 'zaobao'])
  })

  it('an ambiguous link (one link, many items) matches nothing and claims nothing', () => {
    const home = 'http://www.example-county.gov.cn/'
    const owner = entry('p1', 'people', '2024-09-19T09:11:51.000Z', { canonicalUrl: home })
    const items = [entry('k1', 'chinanews', '2024-09-19T09:00:00.000Z', { canonicalUrl: home }), entry('k2', 'chinanews', '2024-09-19T10:00:00.000Z', { canonicalUrl: home })]
    const merged = mergePoll(source, items, { ...none, keyOwners: new Map([[`link:${home}`, 'p1']]), owners: new Map([['p1', owner]]) }, new Set([home]))
    expect(merged.entries.map((e) => e.clusterId)).toEqual(['k1', 'k2'])
    expect(merged.keys).toEqual([])
    expect(merged.clusters).toEqual([])
  })

  it('new items register their keys; a key whose owner is gone is free again', () => {
    const fresh = entry('n1', 'chinanews', '2024-09-19T09:00:00.000Z', { canonicalUrl: link })
    const merged = mergePoll(source, [fresh], { ...none, keyOwners: new Map([[`link:${link}`, 'deleted']]) }, new Set())
    expect(merged.keys).toEqual([[`link:${link}`, 'n1']])
    expect(merged.entries[0].clusterId).toBe('n1')
  })

  it('the same source never clusters with itself', () => {
    const own = entry('o1', 'chinanews', '2024-09-18T09:00:00.000Z', { canonicalUrl: link })
    const other = entry('o2', 'chinanews', '2024-09-19T09:00:00.000Z', { canonicalUrl: link, guid: 'different-guid' })
    const merged = mergePoll(source, [other], { ...none, keyOwners: new Map([[`link:${link}`, 'o1']]), owners: new Map<string, Entry>([['o1', own]]) }, new Set())
    expect(merged.entries[0].clusterId).toBe('o2')
  })
})

/** Stories from the reprint evaluation set (test/fixtures/reprints). */
const story = {
  title: '旬阳汉江三桥建成通车 两岸群众出行时间缩短40分钟',
  text: [
    '9月26日上午，旬阳汉江三桥正式建成通车。大桥全长1286米，主跨260米，按双向四车道一级公路标准建设，总投资约9.8亿元。',
    '大桥建成前，汉江南岸的棕溪、小河等镇群众进城需绕行30余公里。大桥通车后，两岸群众出行时间缩短40分钟左右，沿线8个镇14万余群众直接受益。',
  ].join('\n'),
}
const reprint = {
  title: '旬陽漢江三橋建成通車，兩岸群眾出行時間縮短40分鐘',
  text: `來源：華商網\n${convertText(story.text, 'zh-Hant')}\n責任編輯：陳晨\n以上文章僅代表作者個人觀點，本網只是轉載，如涉及作品內容、版權、稿酬問題，請及時聯繫我們。`,
}
const otherEvent = {
  title: '旬阳汉江二桥建成通车 两岸群众出行时间缩短25分钟',
  text: story.text.replace('9月26日', '6月18日').replace('三桥', '二桥').replace('1286米', '986米').replace('40分钟', '25分钟'),
}

interface Stored {
  /** Bucket → its items, newest first, as the store's index holds them. */
  buckets: Map<number, string[]>
  /** Fingerprints by item id: an id without one was deleted. */
  records: Map<string, NearRecord>
  clusters: Known['clusters']
}

/** What the store would hold after `items` were polled: their fingerprints and buckets. */
function stored(items: Entry[], clusters: Cluster[] = []): Stored {
  const buckets = new Map<number, string[]>()
  const records = new Map<string, NearRecord>()
  for (const item of items) {
    const print = fingerprint(item)!
    records.set(item.id, toRecord(item, print))
    // The store answers each bucket newest first.
    for (const key of print.buckets) buckets.set(key, [item.id, ...(buckets.get(key) ?? [])])
  }
  return { buckets, records, clusters: new Map(clusters.map((c) => [c.id, c])) }
}

/**
 * The Known a store answers for `fresh` (Store.nearCandidates): each bucket's newest
 * LSH_BUCKET_CAP items, ranked, other sources' live items only.
 */
function known(fresh: Entry[], store: Stored): Known {
  const prints = fingerprints(fresh)
  const candidates = new Map<string, NearRecord[]>()
  // The store ranks row numbers: the ids are numbered as they were stored.
  const ids = [...new Set([...store.records.keys(), ...[...store.buckets.values()].flat()])]
  const number = new Map(ids.map((id, i) => [id, i + 1]))
  for (const [id, print] of prints) {
    const sourceId = fresh.find((e) => e.id === id)!.sourceId
    const window = (bucket: number) => (store.buckets.get(bucket) ?? []).slice(0, LSH_BUCKET_CAP).map((other) => number.get(other)!)
    const eligible = (seq: number) => store.records.get(ids[seq - 1]) !== undefined && store.records.get(ids[seq - 1])!.sourceId !== sourceId
    candidates.set(id, rankCandidates(print.buckets, window, eligible).map((seq) => store.records.get(ids[seq - 1])!))
  }
  return { ...none, clusters: store.clusters, prints, candidates }
}

describe('mergePoll: near duplicates', () => {
  const first = entry('h1', 'hsw', '2024-09-26T02:00:00.000Z', story)

  it('a reprint in the other script joins the story of another source; the cluster keeps the first id', () => {
    const copy = entry('w1', 'wenwei', '2024-09-26T01:00:00.000Z', reprint)
    const merged = mergePoll({ id: 'wenwei' }, [copy], known([copy], stored([first])), new Set())
    expect(merged.entries[0].clusterId).toBe('h1')
    expect(merged.clusters).toEqual<Cluster[]>([{ id: 'h1', members: [{ itemId: 'h1', sourceId: 'hsw' }, { itemId: 'w1', sourceId: 'wenwei' }] }])
    expect(merged.records.map((r) => [r.itemId, r.clusterId])).toEqual([['w1', 'h1']])
    expect(merged.records[0].buckets).toEqual(fingerprint(copy)!.buckets)
  })

  it('a third source extends the cluster it finds through any member', () => {
    const copy = entry('w1', 'wenwei', '2024-09-26T03:00:00.000Z', { ...reprint, clusterId: 'h1' })
    const third = entry('a1', 'akxw', '2024-09-26T04:00:00.000Z', { ...reprint, title: story.title })
    const cluster: Cluster = { id: 'h1', members: [{ itemId: 'h1', sourceId: 'hsw' }, { itemId: 'w1', sourceId: 'wenwei' }] }
    const merged = mergePoll({ id: 'akxw' }, [third], known([third], stored([copy], [cluster])), new Set())
    expect(merged.entries[0].clusterId).toBe('h1')
    expect(merged.clusters[0].members.map((m) => m.sourceId)).toEqual(['hsw', 'wenwei', 'akxw'])
  })

  it('a same-template story of another event stays apart', () => {
    const other = entry('o1', 'akxw', '2024-06-18T02:00:00.000Z', otherEvent)
    const merged = mergePoll({ id: 'akxw' }, [other], known([other], stored([first])), new Set())
    expect(merged.entries[0].clusterId).toBe('o1')
    expect(merged.clusters).toEqual([])
  })

  it('the same source never clusters with itself, nor joins a cluster it is already in', () => {
    const own = entry('h2', 'hsw', '2024-09-26T05:00:00.000Z', reprint)
    expect(mergePoll({ id: 'hsw' }, [own], known([own], stored([first])), new Set()).entries[0].clusterId).toBe('h2')
    // Even when its own item is offered as a candidate.
    const offered: Known = { ...none, prints: fingerprints([own]), candidates: new Map([['h2', [toRecord(first, fingerprint(first)!)]]]) }
    expect(mergePoll({ id: 'hsw' }, [own], offered, new Set()).entries[0].clusterId).toBe('h2')

    const copy = entry('w1', 'wenwei', '2024-09-26T03:00:00.000Z', { ...reprint, clusterId: 'h1' })
    const cluster: Cluster = { id: 'h1', members: [{ itemId: 'h1', sourceId: 'hsw' }, { itemId: 'w1', sourceId: 'wenwei' }] }
    const again = entry('w2', 'wenwei', '2024-09-26T06:00:00.000Z', { ...story, title: `${story.title}（图）` })
    expect(mergePoll({ id: 'wenwei' }, [again], known([again], stored([first, copy], [cluster])), new Set()).entries[0].clusterId).toBe('w2')
  })

  it('items with a home-page link cluster by content, never by the link', () => {
    const home = 'http://www.xunyang.gov.cn/'
    const byLink = entry('x1', 'xunyang', '2024-09-26T02:00:00.000Z', { ...otherEvent, url: home })
    const copy = entry('x2', 'akxw', '2024-09-26T03:00:00.000Z', { ...reprint, url: home })
    const merged = mergePoll({ id: 'akxw' }, [copy], { ...known([copy], stored([first, byLink])), keyOwners: new Map([[`link:${home}`, 'x1']]), owners: new Map([['x1', byLink]]) }, new Set([home]))
    expect(merged.entries[0].clusterId).toBe('h1')
    expect(merged.keys).toEqual([])
  })

  it('bucket entries of deleted items are ignored', () => {
    const copy = entry('w1', 'wenwei', '2024-09-26T01:00:00.000Z', reprint)
    const store = stored([first])
    const crowded = new Map([...store.buckets].map(([key, ids]) => [key, [...Array.from({ length: LSH_BUCKET_CAP - 1 }, (_, i) => `gone${i}`), ...ids]]))
    expect(mergePoll({ id: 'wenwei' }, [copy], known([copy], { ...store, buckets: crowded, records: new Map() }), new Set()).entries[0].clusterId).toBe('w1')
    expect(mergePoll({ id: 'wenwei' }, [copy], known([copy], { ...store, buckets: crowded }), new Set()).entries[0].clusterId).toBe('h1')
  })

  it('finds an older notice among crowded buckets of newer notices of its template', () => {
    // What a store answers: each bucket's newest LSH_BUCKET_CAP items. The reprint copies the
    // oldest notice; every newer one of the template crowds the buckets they share.
    const notice = (k: number) => ({ ...otherEvent, title: `${otherEvent.title}（第${k}期）`, text: otherEvent.text.replace('6月18日', `${(k % 11) + 1}月${(k % 27) + 1}日`).replace('50毫米', `${k}毫米`) })
    const original = entry('n0', 'qixiang', '2024-06-01T02:00:00.000Z', notice(0))
    const newer = Array.from({ length: LSH_BUCKET_CAP * 3 }, (_, i) => entry(`n${i + 1}`, `county${i}`, '2024-06-18T02:00:00.000Z', notice(i + 1)))
    const all = stored([original, ...newer])
    const capped = new Map([...all.buckets].map(([key, ids]) => [key, ids.slice(0, LSH_BUCKET_CAP)]))
    const copy = entry('r0', 'hsw', '2024-06-01T03:00:00.000Z', { ...notice(0), title: `${notice(0).title}（图）` })
    expect(mergePoll({ id: 'hsw' }, [copy], known([copy], { ...all, buckets: capped }), new Set()).entries[0].clusterId).toBe('n0')
  })

  it('finds the story among more same-template candidates than it confirms', () => {
    // Notices of the same template on other days, from other sources: each shares buckets with the reprint.
    const decoys = Array.from({ length: MAX_CANDIDATES * 2 }, (_, i) =>
      entry(`d${i}`, `county${i}`, '2024-06-18T02:00:00.000Z', { ...otherEvent, text: otherEvent.text.replace('6月18日', `${(i % 11) + 1}月${(i % 27) + 1}日`) }),
    )
    const copy = entry('w1', 'wenwei', '2024-09-26T01:00:00.000Z', reprint)
    const store = stored([first, ...decoys])
    expect([...new Set([...store.buckets.values()].flat())].length).toBeGreaterThan(MAX_CANDIDATES)
    expect(mergePoll({ id: 'wenwei' }, [copy], known([copy], store), new Set()).entries[0].clusterId).toBe('h1')
  })

  it('a re-polled item keeps its cluster and is not fingerprinted again', () => {
    const before = entry('w1', 'wenwei', '2024-09-26T01:00:00.000Z', { ...reprint, clusterId: 'h1' })
    const merged = mergePoll({ id: 'wenwei' }, [{ ...before, clusterId: 'w1' }], { ...none, previous: new Map([['w1', before]]), prints: new Map() }, new Set())
    expect(merged.entries[0].clusterId).toBe('h1')
    expect(merged.records).toEqual([])
  })
})
