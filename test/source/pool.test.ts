import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { digest, type DigestInput } from '../../src/source/digest.js'
import { ReadPool } from '../../src/source/pool.js'
import { packDigest, unpackDigest } from '../../src/source/transfer.js'
import { encodeValue } from '../../src/store/codec.js'
import { stripBoilerplate, strippedTextsHeld } from '../../src/normalize/boilerplate.js'

// A real GBK-encoded national portal feed (test/fixtures/e2e/README.md says where it is from).
const BODY = readFileSync(new URL('../fixtures/e2e/people-politics.gbk.xml', import.meta.url))

const source = resolveConfig({
  site: { title: 't', url: 'https://news.example.org' },
  disclaimer: { text: '本网只是转载。' },
  categories: { politics: { title: '时政' } },
  sources: [{ id: 'people', title: '人民网', url: 'http://127.0.0.1:9/politics.xml', categories: ['politics'] }],
}).sources[0]

/** A fresh copy of the body each time: the pool moves a body's memory to the thread that reads it. */
function input(): DigestInput {
  return { source, body: new Uint8Array(BODY), finalUrl: source.url, nowMs: Date.parse('2026-12-03T00:00:00Z'), knownAmbiguous: [], storedIds: [], final: true }
}

const pools: ReadPool[] = []
afterEach(async () => {
  while (pools.length) await pools.pop()!.close()
})
function pool(size: number, maxBacklogBytes?: number): ReadPool {
  const made = new ReadPool(size, maxBacklogBytes)
  pools.push(made)
  return made
}

describe('ReadPool', { timeout: 60_000 }, () => {
  it('reads a body in a thread to what reading it here gives', async () => {
    const here = await digest(input())
    const there = await pool(2).run(input())
    expect(here.entries.length).toBeGreaterThan(5)
    expect(there.entries.map((e) => [e.id, e.title, e.published])).toEqual(here.entries.map((e) => [e.id, e.title, e.published]))
    expect(there.decoded.encoding).toBe(here.decoded.encoding)
    expect([...(there.prints?.keys() ?? [])]).toEqual([...(here.prints?.keys() ?? [])])
    // What the store writes of each entry, and every fingerprint, is what reading here gives.
    expect(there.entries.map((e) => encodeValue(e))).toEqual(here.entries.map((e) => encodeValue(e)))
    for (const [id, print] of here.prints!) {
      const other = there.prints!.get(id)!
      expect(Array.from(other.signature)).toEqual(Array.from(print.signature))
      expect({ ...other, signature: undefined }).toEqual({ ...print, signature: undefined })
    }
  })

  it('keeps no article text once a read is done (a round reads thousands of sources in one thread)', async () => {
    stripBoilerplate('来源：人民网\n正文第一段。\n编辑：张三')
    expect(strippedTextsHeld()).toBe(1)
    const read = await digest(input())
    expect(read.prints!.size).toBeGreaterThan(5)
    expect(strippedTextsHeld()).toBe(0)
    // A read that fails keeps none either.
    stripBoilerplate('正文。')
    await expect(digest({ ...input(), body: new TextEncoder().encode('<rss><channel><item>') })).rejects.toThrow()
    expect(strippedTextsHeld()).toBe(0)
  })

  it('sends a digest packed: the same entries and fingerprints, entries frozen with the JSON they came as', async () => {
    const here = await digest(input())
    const { packed, transfer } = packDigest(here)
    expect(transfer).toHaveLength(3)
    const back = unpackDigest(structuredClone(packed, { transfer }))
    expect(back.entries).toEqual(here.entries)
    expect(back.entries.every((e) => Object.isFrozen(e))).toBe(true)
    expect(back.entries.map((e) => encodeValue(e))).toEqual(here.entries.map((e) => encodeValue(e)))
    // A copy (a merge that changed the cluster) is serialized afresh.
    const moved = { ...back.entries[0], clusterId: 'other' }
    expect(JSON.parse(encodeValue(moved)).value.clusterId).toBe('other')
    expect(here.prints!.size).toBeGreaterThan(3)
    expect(back.prints!.size).toBe(here.prints!.size)
    for (const [id, print] of here.prints!) {
      const other = back.prints!.get(id)!
      expect(Array.from(other.signature)).toEqual(Array.from(print.signature))
      expect([other.buckets, other.shingles, other.titles, other.figures]).toEqual([print.buckets, print.shingles, print.titles, print.figures])
    }
  })

  it('holds new polls back while more bodies wait for a thread than it allows, and lets them go as the threads take them', async () => {
    // One thread, which holds two bodies (the one it reads and the next); room for one body
    // waiting here. The fourth body puts the wait over the limit.
    const readers = pool(1, BODY.byteLength)
    let read = 0
    const runs = [input(), input(), input()].map((i) => readers.run(i).then(() => read++))
    let roomAfter: number | undefined
    await readers.room()
    runs.push(readers.run(input()).then(() => read++))
    const room = readers.room().then(() => (roomAfter = read))
    await new Promise((r) => setImmediate(r))
    expect(roomAfter).toBeUndefined()
    await Promise.all([...runs, room])
    // Room came when the first body was read and the third went to the thread, not at the end.
    expect(roomAfter).toBeGreaterThanOrEqual(1)
    expect(roomAfter).toBeLessThan(4)
    expect(read).toBe(4)
  })

  it('on close, lets waiting polls go and fails every body not read yet, naming why', async () => {
    const readers = pool(1, 1)
    const runs = [input(), input(), input(), input()].map((i) => readers.run(i).then(() => 'read', (e: Error) => e.message))
    const room = readers.room().then(() => 'room')
    await readers.close()
    expect(await room).toBe('room')
    expect(await Promise.all(runs)).toEqual(Array(4).fill('read: the reader threads are closed'))
    await expect(readers.run(input())).rejects.toThrow('read: the reader threads are closed')
  })
})
