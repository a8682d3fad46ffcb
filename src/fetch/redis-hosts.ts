/**
 * Per-host politeness held across every worker of a deployment (issue 12 §1): the per-host cap
 * as a Redis counting semaphore, the page sources' crawl delay as a Redis mutex per host plus the
 * time (Redis's clock, so workers' clocks need not agree) the last crawl request there ended.
 * Both are redis-semaphore's (atomic Lua scripts, expiring and refreshed while held), so a worker
 * killed mid-request frees its slot within a lock lifetime. Each also runs inside this process's
 * own in-memory gate first, so only a process's turn-holders ask Redis.
 *
 * Politeness fails open: when Redis cannot be reached the process's own limits still hold and
 * the fetch goes ahead (`onUnavailable` is told), rather than every source failing for it.
 */
import type { Redis } from 'ioredis'
import { Mutex, Semaphore, TimeoutError } from 'redis-semaphore'
import { fetchError } from './failure.js'
import { HostLimiter, type CrawlQueue, type HostSlots } from './host-limiter.js'

/** A slot or crawl turn of a dead worker is free again after this long; held ones are refreshed at 80 % of it. */
export const HOST_LOCK_TTL_MS = 10_000
/** How often a waiting worker asks again: a few commands a second, not a hundred. */
export const HOST_LOCK_RETRY_MS = 50
/** A wait for a host's turn gives up after this long: only a host swamped by hundreds of sources waits so long. */
export const HOST_LOCK_WAIT_MS = 10 * 60_000
/** How long a host's last crawl time is remembered: longer than any crawl delay (robots.ts caps it at 60 s). */
const CRAWL_MEMORY_MS = 5 * 60_000

export interface RedisHostOptions {
  /** Key prefix shared by the deployment. */
  prefix: string
  /** Called when Redis cannot be asked and the fetch goes ahead on this process's limits alone. */
  onUnavailable?: (error: unknown) => void
}

/** The deployment-wide per-host cap: at most `limit` requests to a host in flight across all workers. */
export class RedisHostSlots implements HostSlots {
  private readonly local: HostLimiter

  constructor(
    private readonly client: Redis,
    private readonly limit: number,
    private readonly options: RedisHostOptions,
  ) {
    this.local = new HostLimiter(limit)
  }

  run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.local.run(
      host,
      () => {
        const semaphore = new Semaphore(this.client, `${this.options.prefix}:host:${host}`, this.limit, lockOptions())
        return holding(semaphore, task, signal, this.options.onUnavailable, host)
      },
      signal,
    )
  }
}

/** The deployment-wide crawl queue: one crawl request at a time per host, `delayMs` apart, whichever worker sends it. */
export class RedisCrawlQueue implements CrawlQueue {
  private readonly local = new HostLimiter(1)

  constructor(
    private readonly client: Redis,
    private readonly options: RedisHostOptions,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  run<T>(host: string, delayMs: number, task: () => Promise<T>): Promise<T> {
    const key = `${this.options.prefix}:crawl:${host}`
    return this.local.run(host, () => {
      const mutex = new Mutex(this.client, key, lockOptions())
      return holding(mutex, async () => {
        const ended = Number(await this.client.get(`${key}:ended`))
        const wait = ended + delayMs - (await this.redisNow())
        if (ended > 0 && wait > 0) await this.sleep(wait)
        try {
          return await task()
        } finally {
          await this.client.set(`${key}:ended`, String(await this.redisNow()), 'PX', CRAWL_MEMORY_MS).catch(() => undefined)
        }
      }, undefined, this.options.onUnavailable, host)
    })
  }

  private async redisNow(): Promise<number> {
    const [seconds, micros] = await this.client.time()
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
  }
}

function lockOptions() {
  return {
    lockTimeout: HOST_LOCK_TTL_MS,
    acquireTimeout: HOST_LOCK_WAIT_MS,
    retryInterval: HOST_LOCK_RETRY_MS,
    // A refresh that came too late (an event loop stalled for seconds) costs politeness, not the fetch.
    onLockLost: () => undefined,
  }
}

/** Runs `task` holding `lock`; without it when Redis fails (fail open), never when the wait timed out or was aborted. */
async function holding<T>(lock: Mutex | Semaphore, task: () => Promise<T>, signal: AbortSignal | undefined, onUnavailable: ((error: unknown) => void) | undefined, host: string): Promise<T> {
  try {
    await lock.acquire(signal)
  } catch (error) {
    if (signal?.aborted) throw error
    if (error instanceof TimeoutError) throw fetchError(`no turn at ${host} within ${HOST_LOCK_WAIT_MS / 60_000} min: the deployment's other requests to it held every slot`, {}, { cause: error })
    onUnavailable?.(error)
    return task()
  }
  try {
    return await task()
  } finally {
    await lock.release().catch(() => undefined)
  }
}
