import { afterAll, describe, expect, it } from 'vitest'
import { LeaseLock, LocalLeases, PostgresLeases, RedisLeases, withLease, type Leases } from '../../src/scheduler/lease.js'

/** The same lease contract on every backend; Redis and PostgreSQL run where their URLs are set (CI sets both). */
const suffix = `${process.pid}-${Date.now()}`
// Local leases are one process's: the "two workers" of a local test share the one map.
const local = new LocalLeases()
const backends: Array<[string, (() => Promise<Leases>) | undefined, string]> = [
  ['local', async () => local, ''],
  ['redis', process.env.REDIS_URL ? () => RedisLeases.connect(process.env.REDIS_URL!) : undefined, 'REDIS_URL is not set: Redis lease tests skipped (CI sets it)'],
  ['postgres', process.env.DATABASE_URL ? () => PostgresLeases.connect(process.env.DATABASE_URL!) : undefined, 'DATABASE_URL is not set: PostgreSQL lease tests skipped (CI sets it)'],
]
const opened: Leases[] = []
afterAll(async () => {
  for (const l of opened) await l.close()
})

describe.each(backends)('%s leases', (_name, open, why) => {
  if (!open) {
    it.skip(why, () => {})
    return
  }
  const lease = async () => {
    const l = await open()
    opened.push(l)
    return l
  }

  it('one holder at a time; only the holder renews or releases', async () => {
    const leases = await lease()
    const name = `poll:a-${suffix}`
    expect(await leases.acquire(name, 'w1', 60_000)).toBe(true)
    expect(await leases.acquire(name, 'w2', 60_000)).toBe(false)
    expect(await leases.renew(name, 'w2', 60_000)).toBe(false)
    expect(await leases.renew(name, 'w1', 60_000)).toBe(true)
    await leases.release(name, 'w2')
    expect(await leases.acquire(name, 'w2', 60_000)).toBe(false)
    await leases.release(name, 'w1')
    expect(await leases.acquire(name, 'w2', 60_000)).toBe(true)
    await leases.release(name, 'w2')
  })

  it("a dead holder's lease expires and is taken over", async () => {
    const leases = await lease()
    const name = `poll:b-${suffix}`
    expect(await leases.acquire(name, 'dead', 100)).toBe(true)
    let taken = false
    // bounded wait for the backend's own expiry (real time: the lease lives in Redis/PostgreSQL)
    for (let i = 0; i < 60 && !taken; i++) {
      taken = await leases.acquire(name, 'alive', 60_000)
      if (!taken) await new Promise((r) => setTimeout(r, 25))
    }
    expect(taken).toBe(true)
    expect(await leases.renew(name, 'dead', 100)).toBe(false)
    await leases.release(name, 'alive')
  })

  it('withLease runs once across two workers racing for the same source', async () => {
    const [a, b] = [await lease(), await lease()]
    const name = `poll:c-${suffix}`
    let runs = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const first = withLease(a, name, 'worker-a', 60_000, async () => {
      runs++
      await gate
      return 'a'
    })
    await new Promise((r) => setTimeout(r, 20))
    const second = await withLease(b, name, 'worker-b', 60_000, async () => {
      runs++
      return 'b'
    })
    release()
    expect(second).toEqual({ ran: false })
    expect(await first).toEqual({ ran: true, value: 'a' })
    expect(runs).toBe(1)
    // released afterwards: the other worker gets it next time
    expect(await withLease(b, name, 'worker-b', 60_000, async () => 'b')).toEqual({ ran: true, value: 'b' })
  })

  it('LeaseLock serializes critical sections of different workers', async () => {
    const [a, b] = [await lease(), await lease()]
    const name = `commit-${suffix}`
    const order: string[] = []
    const section = (who: string) => async () => {
      order.push(`${who}:in`)
      await new Promise((r) => setTimeout(r, 30))
      order.push(`${who}:out`)
    }
    await Promise.all([new LeaseLock(a, 'wa', name).run(section('a')), new LeaseLock(b, 'wb', name).run(section('b'))])
    expect(order).toHaveLength(4)
    expect(order[0].split(':')[0]).toBe(order[1].split(':')[0])
    expect(order[2].split(':')[0]).toBe(order[3].split(':')[0])
  })
})
