import type { Redis } from 'ioredis'
import { Mutex as RedisMutex } from 'redis-semaphore'
import { AppError, errorMessage } from '../errors.js'

/** Something that runs one critical section at a time; `signal` gives up waiting for the turn. */
export interface Lock {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>
}

/** The commit lock could not be had: the deployment's coordination failed, not the source. */
export class LockError extends AppError {}

/**
 * Serializes the short read-merge-commit section of polls in one process, so two sources polled
 * at once cannot both claim the same exact-match key (fetching and parsing still run in parallel).
 */
export class Mutex implements Lock {
  private tail: Promise<void> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}

/** A held commit lock of a worker that died is free again after this long; a live holder refreshes it at 80 %. */
export const COMMIT_LOCK_TTL_MS = 10_000
/** A poll waits this long for its turn to commit before it fails (and its job is retried). */
export const COMMIT_LOCK_WAIT_MS = 60_000
/** How often a waiting worker asks Redis again; only one poll per process waits there (the Mutex is taken first). */
const COMMIT_LOCK_RETRY_MS = 20

/**
 * The deployment-wide commit lock (issue 12 §1): redis-semaphore's mutex, a key holding the
 * holder's random token with an expiry, taken and released by atomic scripts and refreshed while
 * held. Two workers committing reprints of one story take turns, so the second sees the first's
 * exact keys and buckets and joins its cluster instead of founding a second one.
 */
export class RedisLock implements Lock {
  constructor(
    private readonly client: Redis,
    private readonly key: string,
    private readonly log?: { error(obj: object, msg: string): void },
  ) {}

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const mutex = new RedisMutex(this.client, this.key, {
      lockTimeout: COMMIT_LOCK_TTL_MS,
      acquireTimeout: COMMIT_LOCK_WAIT_MS,
      retryInterval: COMMIT_LOCK_RETRY_MS,
      // Only an event loop stalled for seconds gets here; the commit itself cannot be stopped halfway.
      onLockLost: (error) => this.log?.error({ key: this.key }, `lock: lost the commit lock while committing: ${error.message}`),
    })
    try {
      await mutex.acquire(signal)
    } catch (error) {
      if (signal?.aborted) throw error
      throw new LockError(`lock: cannot take the commit lock ${this.key}: ${errorMessage(error)}`, { cause: error })
    }
    try {
      return await fn()
    } finally {
      await mutex.release().catch(() => undefined)
    }
  }
}

/** Locks nested outside-in: e.g. the process's mutex, then the deployment-wide one. */
export function nested(outer: Lock, inner: Lock): Lock {
  return { run: (fn, signal) => outer.run(() => inner.run(fn, signal), signal) }
}
