/**
 * The query stage's paging: the cursor token, the head-only merge, and pages that neither repeat
 * nor skip a story however clusters collapse and whatever is stored between two page requests.
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { HttpError } from '../../src/errors.js'
import type { Cluster, Entry } from '../../src/model.js'
import { decodeCursor, encodeCursor, loadPage, parseViewQuery, type ViewQuery } from '../../src/query/index.js'
import { compareRefs } from '../../src/query/cursor.js'
import { mergeHeads } from '../../src/query/merge.js'
import { openStore, type ItemRef, type Store } from '../../src/store/index.js'
import { entry } from '../helpers/entries.js'

const config = resolveConfig({
  site: { title: '陕南新闻聚合', url: 'https://news.example.org', language: 'zh-CN' },
  disclaimer: { text: '本网只是转载。' },
  categories: { local: { title: '本地' }, national: { title: '国内' } },
  sources: [
    { id: 'ankang', title: '安康新闻网', url: 'https://ak.example/rss', categories: ['local'] },
    { id: 'hanzhong', title: '汉中日报', url: 'https://hz.example/rss', categories: ['local'] },
    { id: 'people', title: '人民网', url: 'https://people.example/rss', categories: ['national'] },
  ],
})

describe('cursor tokens', () => {
  it.each([
    [{ publishedMs: 1726737111000, id: '3f9c2a1b7d4e4f60a1b2c3d4e5f60718' }],
    [{ publishedMs: 0, id: 'a' }],
    [{ publishedMs: -86400000, id: 'id:with:colons' }],
  ])('round-trips %j as an opaque base64url token', (cursor) => {
    const token = encodeCursor(cursor)
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(token)).toEqual(cursor)
  })

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$def'],
    ['base64url of text without a time', Buffer.from('hello').toString('base64url')],
    ['a time too long to be one', Buffer.from('12345678901234567:x').toString('base64url')],
    ['padding', `${encodeCursor({ publishedMs: 1, id: 'ab' })}==`],
    ['a non-canonical spelling of a valid cursor', `${encodeCursor({ publishedMs: 1, id: 'abc' }).slice(0, -1)}B`],
    ['an id longer than any we give', encodeCursor({ publishedMs: 1, id: 'x'.repeat(201) })],
  ])('rejects %s with a 400 naming `before`', (_name, token) => {
    const error = (() => {
      try {
        decodeCursor(token)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(400)
    expect((error as HttpError).message).toMatch(/^before: /)
  })

  it('parseViewQuery reads before= and variant=, and names a bad one', () => {
    const token = encodeCursor({ publishedMs: 5, id: 'x' })
    expect(parseViewQuery('local', { before: token, variant: 'zh-Hant' }, config)).toMatchObject({ before: { publishedMs: 5, id: 'x' }, variant: 'zh-Hant' })
    expect(() => parseViewQuery('local', { variant: 'zh-TW' }, config)).toThrow(/^variant: must be zh-Hans or zh-Hant/)
    expect(() => parseViewQuery('local', { before: 'nope!' }, config)).toThrow(/^before: /)
  })
})

describe('mergeHeads', () => {
  /** Lists as retention writes them: newest first, ties by id. */
  const lists = fc.array(fc.uniqueArray(fc.tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 30 })), { selector: (r) => r[0], maxLength: 15 }), { maxLength: 6 }).map((ls) =>
    ls.map((list, i) => list.map(([id, ms]): ItemRef => [`${i}-${id}`, ms]).sort(compareRefs)),
  )

  it('yields what sorting everything would, and from any position only what comes after it', () => {
    fc.assert(
      fc.property(lists, fc.nat(), (ls, pick) => {
        const everything = ls.flat().sort(compareRefs)
        expect([...mergeHeads(ls)]).toEqual(everything)
        if (everything.length === 0) return
        const after = everything[pick % everything.length]
        expect([...mergeHeads(ls, after)]).toEqual(everything.filter((ref) => compareRefs(ref, after) > 0))
      }),
      { numRuns: 300 },
    )
  })

  it('reads only the heads it needs', () => {
    let reads = 0
    const list: ItemRef[] = Array.from({ length: 10_000 }, (_, i) => [`id${i}`, 10_000 - i])
    const counted = new Proxy(list, { get: (target, key) => ((typeof key === 'string' && /^\d+$/.test(key) && reads++), Reflect.get(target, key)) })
    const merge = mergeHeads([counted, [['x', 5]]])
    for (let i = 0; i < 5; i++) merge.next()
    expect(reads).toBeLessThan(100)
  })
})

describe('loadPage', () => {
  let store: Store
  const at = (minute: number) => new Date(Date.UTC(2024, 8, 19, 0, minute)).toISOString()
  /** ak/hz items a minute apart; three stories reprinted across the two sources. */
  const ankang = Array.from({ length: 12 }, (_, i) => entry(`ak${String(i).padStart(2, '0')}`, 'ankang', at(i * 2)))
  const hanzhong = Array.from({ length: 12 }, (_, i) => entry(`hz${String(i).padStart(2, '0')}`, 'hanzhong', at(i * 2 + 1)))
  const clusters: Cluster[] = [
    // A story first in 安康 (ak02) and reprinted much later by 汉中 (hz09): shown once, at hz09's place.
    { id: 'ak02', members: [{ itemId: 'ak02', sourceId: 'ankang' }, { itemId: 'hz09', sourceId: 'hanzhong' }] },
    { id: 'hz01', members: [{ itemId: 'hz01', sourceId: 'hanzhong' }, { itemId: 'ak05', sourceId: 'ankang' }, { itemId: 'ak11', sourceId: 'ankang' }] },
    // A cluster across categories: in `local` only its 安康 member is in view.
    { id: 'pp00', members: [{ itemId: 'pp00', sourceId: 'people' }, { itemId: 'ak07', sourceId: 'ankang' }] },
  ]
  const clusterOf = new Map(clusters.flatMap((c) => c.members.map((m) => [m.itemId, c.id])))
  const withCluster = (e: Entry) => ({ ...e, clusterId: clusterOf.get(e.id) ?? e.id })

  async function put(sourceId: string, items: Entry[], rev: string) {
    const list = items.map((e): ItemRef => [e.id, Date.parse(e.published)]).sort(compareRefs)
    await store.commit({ sourceId, upserts: items.map(withCluster), list, keys: [], clusters, removed: [], state: { id: sourceId, consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [] } }, rev)
  }

  beforeEach(async () => {
    store = await openStore('memory://')
    await put('ankang', ankang, 'r1')
    await put('hanzhong', hanzhong, 'r2')
    await put('people', [entry('pp00', 'people', at(0))], 'r3')
  })
  afterEach(() => store.close())

  async function walk(query: ViewQuery): Promise<string[][]> {
    const pages: string[][] = []
    let before = query.before
    for (;;) {
      const page = await loadPage(store, config, { ...query, before })
      pages.push(page.items.map((i) => i.id))
      if (!page.next) return pages
      expect(page.items).toHaveLength(query.limit)
      before = page.next
    }
  }

  it('collapses clusters to one story, at the place of its newest member in view', async () => {
    const { items, next } = await loadPage(store, config, { category: 'local', limit: 200 })
    expect(next).toBeUndefined()
    const ids = items.map((i) => i.id)
    // 24 items; ak02+hz09 and hz01+ak05+ak11 are one story each; pp00's only member here is ak07.
    expect(ids).toHaveLength(24 - 1 - 2)
    expect(new Set(ids).size).toBe(ids.length)
    // ak11 (minute 22) carries hz01's story, hz09 (minute 19) ak02's, ak07 pp00's.
    expect(ids.slice(0, 3)).toEqual(['hz11', 'hz01', 'hz10'])
    expect(ids.slice(ids.indexOf('hz10'), ids.indexOf('hz10') + 4)).toEqual(['hz10', 'ak10', 'ak02', 'ak09'])
    expect(ids).toContain('pp00')
    expect(ids).not.toContain('ak07')
    const shown = items.find((i) => i.id === 'ak02')!
    expect(shown.entry.id).toBe('ak02')
    expect(shown.alsoReportedBy.map((a) => a.sourceId)).toEqual(['hanzhong'])
    expect(items.find((i) => i.id === 'hz01')!.entry.id).toBe('hz01')
  })

  it.each([1, 2, 3, 5, 7, 19, 20])('pages of %i concatenate to the whole view, each story once', async (limit) => {
    const whole = (await loadPage(store, config, { category: 'local', limit: 200 })).items.map((i) => i.id)
    const pages = await walk({ category: 'local', limit })
    expect(pages.flat()).toEqual(whole)
  })

  it('an older page stays the same when new items arrive before it is read', async () => {
    const first = await loadPage(store, config, { category: 'local', limit: 5 })
    const second = await loadPage(store, config, { category: 'local', limit: 5, before: first.next })
    await put('ankang', [entry('ak99', 'ankang', at(60)), ...ankang], 'r4')
    const again = await loadPage(store, config, { category: 'local', limit: 5, before: first.next })
    expect(again.items.map((i) => i.id)).toEqual(second.items.map((i) => i.id))
    expect((await loadPage(store, config, { category: 'local', limit: 5 })).items[0].id).toBe('ak99')
  })

  it('filters (q, source) page the same way', async () => {
    const whole = (await loadPage(store, config, { category: 'local', limit: 200, sources: ['hanzhong'] })).items.map((i) => i.id)
    expect((await walk({ category: 'local', limit: 3, sources: ['hanzhong'] })).flat()).toEqual(whole)
    // `q` looks at the story as shown: ak11 is hz01's story, titled "title hz01".
    expect((await walk({ category: 'local', limit: 1, q: 'title ak1' })).flat()).toEqual(['ak10'])
  })

  it('converts every text of an item to the variant, never its URLs or markup', async () => {
    await put('people', [entry('pp00', 'people', at(0), { title: '软件 发展', html: '<p class="软件"><a href="https://x.example/软件">软件</a></p>', text: '软件', excerpt: '软件', url: 'https://x.example/软件', authors: ['记者 刘强'] })], 'r5')
    const [item] = (await loadPage(store, config, { category: 'national', limit: 1, variant: 'zh-Hant' })).items
    expect(item.entry.title).toBe('軟體 發展')
    expect(item.entry.html).toBe('<p class="软件"><a href="https://x.example/软件">軟體</a></p>')
    expect(item.entry.url).toBe('https://x.example/软件')
    expect(item.entry.excerpt).toBe('軟體')
    expect(item.entry.authors).toEqual(['記者 劉強'])
    expect(item.id).toBe('pp00')
  })
})

describe('a walk for a rare word', () => {
  it('reads the store in few rounds, growing them while nothing shows, and finds the one item', async () => {
    const store = await openStore('memory://')
    const items = Array.from({ length: 6_000 }, (_, i) => entry(`w${i}`, 'ankang', new Date(Date.UTC(2024, 8, 19) - i * 60_000).toISOString(), { title: i === 5_990 ? '暴雨预警' : `会议 ${i}`, text: '' }))
    const list = items.map((e): ItemRef => [e.id, Date.parse(e.published)])
    await store.commit({ sourceId: 'ankang', upserts: items, list, keys: [], clusters: [], removed: [], state: { id: 'ankang', consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [], lastAttempt: 'a' } }, 'r1')
    const rounds: number[] = []
    const getItems = store.getItems.bind(store)
    store.getItems = async (ids) => {
      rounds.push(ids.length)
      return getItems(ids)
    }
    const page = await loadPage(store, config, { category: 'all', limit: 50, q: '暴雨' })
    expect(page.items.map((i) => i.id)).toEqual(['w5990'])
    // 100, 200, 400, 800, then 1,000 at a time: 9 rounds for 6,000 records, not 60.
    expect(rounds.filter((n) => n > 0)).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000, 500])
    await store.close()
  })
})
