import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { resolveConfig } from '../../src/config/index.js'
import { openStore } from '../../src/store/index.js'
import { loadStory, storyIdCandidates } from '../../src/query/story.js'
import { publishedId } from '../../src/render/ids.js'
import { entry } from '../helpers/entries.js'

const uuidOf = (id: string) => publishedId(id).slice('urn:uuid:'.length)

describe('storyIdCandidates', () => {
  it('holds the id behind any published uuid, among 64 ids that all publish as it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), (id) => {
        const candidates = storyIdCandidates(uuidOf(id))
        expect(candidates).toHaveLength(64)
        expect(candidates).toContain(id)
        for (const candidate of candidates) expect(uuidOf(candidate)).toBe(uuidOf(id))
      }),
    )
  })

  it.each(['', 'not-a-uuid', '00000000-0000-4000-8000-000000000000', '00000000-0000-5000-c000-000000000000', `${uuidOf('a'.repeat(32))}x`])('has none for %j', (uuid) => {
    expect(storyIdCandidates(uuid)).toEqual([])
  })
})

describe('loadStory', () => {
  const config = resolveConfig({
    site: { title: 't', url: 'https://news.example.org' },
    disclaimer: { text: 'd' },
    categories: { local: { title: '本地' } },
    sources: [
      { id: 'ankang', title: '安康新闻网', url: 'https://ak.example/rss', categories: ['local'] },
      { id: 'hanzhong', title: '汉中日报', url: 'https://hz.example/rss', categories: ['local'] },
    ],
  })
  const first = 'a1'.padEnd(32, '0')
  const reprint = 'b2'.padEnd(32, '0')
  const alone = 'c3'.padEnd(32, '0')

  async function storeWith(items: ReturnType<typeof entry>[], clusters: Array<{ id: string; members: Array<{ itemId: string; sourceId: string }> }>) {
    const store = await openStore('memory://')
    await store.commit({ sourceId: 'ankang', upserts: items, list: [], keys: [], clusters, removed: [], state: { id: 'ankang', consecutiveFailures: 0, validators: {}, itemCount: 0, ambiguousLinks: [] } }, 'r1')
    return store
  }

  it('finds a story alone and a reprinted one, shown under the member that published first', async () => {
    const store = await storeWith(
      [
        entry(first, 'ankang', '2024-09-19T02:00:00.000Z'),
        entry(reprint, 'hanzhong', '2024-09-19T01:00:00.000Z', { clusterId: first }),
        entry(alone, 'ankang', '2024-09-19T03:00:00.000Z'),
      ],
      [{ id: first, members: [{ itemId: first, sourceId: 'ankang' }, { itemId: reprint, sourceId: 'hanzhong' }] }],
    )
    const story = await loadStory(store, config, uuidOf(first))
    expect(story).toMatchObject({ id: first, entry: { id: reprint }, source: { id: 'hanzhong' }, alsoReportedBy: [{ sourceId: 'ankang' }] })
    expect(await loadStory(store, config, uuidOf(alone))).toMatchObject({ id: alone, alsoReportedBy: [] })
    // A member's own id was never published: it is no story of its own.
    expect(await loadStory(store, config, uuidOf(reprint))).toBeUndefined()
    expect(await loadStory(store, config, uuidOf('d4'.padEnd(32, '0')))).toBeUndefined()
  })

  it('outlives its first member, and ends with the last of its sources in the config', async () => {
    const store = await storeWith(
      [entry(reprint, 'hanzhong', '2024-09-19T01:00:00.000Z', { clusterId: first })],
      [{ id: first, members: [{ itemId: first, sourceId: 'ankang' }, { itemId: reprint, sourceId: 'hanzhong' }] }],
    )
    expect(await loadStory(store, config, uuidOf(first))).toMatchObject({ id: first, entry: { id: reprint } })
    const without = { ...config, sources: config.sources.filter((s) => s.id !== 'hanzhong') }
    expect(await loadStory(store, without, uuidOf(first))).toBeUndefined()
  })
})
