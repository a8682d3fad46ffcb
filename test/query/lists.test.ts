/**
 * The web process's list cache: a render after a poll re-reads that poll's list only, and never
 * shows a list older than the store's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Entry } from '../../src/model.js'
import { ListCache } from '../../src/query/index.js'
import { openStore, type ItemRef, type Store } from '../../src/store/index.js'
import { entry } from '../helpers/entries.js'

let store: Store
let reads: string[][]

async function poll(sourceId: string, items: Entry[], attempt: string, rev: string) {
  const list = items.map((e): ItemRef => [e.id, Date.parse(e.published)])
  await store.commit({ sourceId, upserts: items, list, keys: [], clusters: [], removed: [], state: { id: sourceId, consecutiveFailures: 0, validators: {}, itemCount: items.length, ambiguousLinks: [], lastAttempt: attempt, lastSuccess: attempt } }, rev)
}

beforeEach(async () => {
  store = await openStore('memory://')
  reads = []
  const getLists = store.getLists.bind(store)
  store.getLists = async (ids) => {
    reads.push(ids)
    return getLists(ids)
  }
  await poll('ankang', [entry('ak1', 'ankang', '2024-09-19T01:00:00Z')], '2024-09-19T10:00:00Z', 'r1')
  await poll('hanzhong', [entry('hz1', 'hanzhong', '2024-09-19T02:00:00Z')], '2024-09-19T10:00:00Z', 'r2')
})
afterEach(() => store.close())

describe('ListCache', () => {
  it('reads every list once, then only the lists of sources polled since', async () => {
    const cache = new ListCache(store)
    const ids = ['ankang', 'hanzhong', 'never-polled']
    expect((await cache.getLists(ids)).map((l) => l.map((r) => r[0]))).toEqual([['ak1'], ['hz1'], []])
    expect(await cache.getLists(ids)).toEqual(await store.getLists(ids))
    reads = []
    await cache.getLists(ids)
    expect(reads).toEqual([['never-polled']])

    await poll('hanzhong', [entry('hz2', 'hanzhong', '2024-09-19T03:00:00Z'), entry('hz1', 'hanzhong', '2024-09-19T02:00:00Z')], '2024-09-19T10:15:00Z', 'r3')
    reads = []
    expect((await cache.getLists(ids)).map((l) => l.map((r) => r[0]))).toEqual([['ak1'], ['hz2', 'hz1'], []])
    expect(reads).toEqual([['hanzhong', 'never-polled']])
  })

  it('a failed poll (state only) costs one re-read and changes nothing', async () => {
    const cache = new ListCache(store)
    const before = await cache.getLists(['ankang'])
    const state = (await store.getState('ankang'))!
    await store.putState({ ...state, lastAttempt: '2024-09-19T10:30:00Z', lastOutcome: 'error', consecutiveFailures: 1 })
    reads = []
    expect(await cache.getLists(['ankang'])).toEqual(before)
    expect(reads).toEqual([['ankang']])
  })

  it('at an unchanged store revision serves what it holds without reading states, and checks again once it moves', async () => {
    let rev = 'r2'
    const cache = new ListCache(store, () => rev)
    const ids = ['ankang', 'hanzhong', 'never-polled']
    let stateReads = 0
    const getStates = store.getStates.bind(store)
    store.getStates = async (sourceIds) => {
      stateReads++
      return getStates(sourceIds)
    }
    expect((await cache.getLists(ids)).map((l) => l.map((r) => r[0]))).toEqual([['ak1'], ['hz1'], []])
    reads = []
    stateReads = 0
    await cache.getLists(ids)
    await cache.getLists(['hanzhong'])
    expect([reads, stateReads]).toEqual([[], 0])
    // A source the cache has not checked at this revision is read as before.
    expect(await cache.getLists(['ankang', 'qinling'])).toEqual([[['ak1', Date.parse('2024-09-19T01:00:00Z')]], []])
    expect([reads, stateReads]).toEqual([[['qinling']], 1])

    await poll('hanzhong', [entry('hz2', 'hanzhong', '2024-09-19T03:00:00Z'), entry('hz1', 'hanzhong', '2024-09-19T02:00:00Z')], '2024-09-19T10:15:00Z', 'r3')
    rev = 'r3'
    reads = []
    expect((await cache.getLists(ids)).map((l) => l.map((r) => r[0]))).toEqual([['ak1'], ['hz2', 'hz1'], []])
    expect(reads).toEqual([['hanzhong', 'never-polled']])
  })
})
