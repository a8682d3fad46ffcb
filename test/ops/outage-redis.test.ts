/**
 * A Redis store — the queue's too — stopped for 30 s and started again with what it persisted
 * (issue 12 §3): BullMQ hands out no job while it is away and reconnects when it returns.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startRedis, type PrivateRedis } from './procs.js'
import { OUTAGE_MS, storeOutage } from './outage.js'

let redis: PrivateRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(() => redis?.close())

describe('the Redis store stops for 30 s under load', () => {
  it('cached feeds keep answering, the rest gets 503 at once, the worker waits and resumes, nothing is lost', async () => {
    await storeOutage({ storeUrl: redis.url, args: [], cut: () => redis.stop(), restore: () => redis.start(), workerWaits: /queue: .*ECONNREFUSED/ })
  }, OUTAGE_MS + 120_000)
})
