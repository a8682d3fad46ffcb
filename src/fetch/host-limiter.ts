/** At most so many requests in flight per host: this process's (HostLimiter) or the deployment's (fetch/redis-hosts). */
export interface HostSlots {
  /** Runs `task` once a slot for `host` is free; `signal` gives up the wait (not the task). */
  run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>
}

/**
 * One crawl request at a time per host, each starting at least `delayMs` after the previous one
 * to that host ended: page sources' politeness (page/polite.ts keeps the in-process one; a
 * Fetcher built for a deployment carries the deployment-wide one).
 */
export interface CrawlQueue {
  run<T>(host: string, delayMs: number, task: () => Promise<T>): Promise<T>
}

/**
 * At most `limit` tasks in flight per host; the rest wait in arrival order. One instance is
 * shared by every source a Fetcher serves, which is what makes the cap hold "across all sources".
 */
export class HostLimiter implements HostSlots {
  private readonly hosts = new Map<string, { active: number; waiting: Array<() => void> }>()

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`fetch: per-host concurrency must be at least 1, got ${limit}`)
  }

  /** Runs `task` once a slot for `host` is free; `signal` gives up the wait (not the task). */
  async run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(host, signal)
    try {
      return await task()
    } finally {
      this.release(host)
    }
  }

  private acquire(host: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    let slot = this.hosts.get(host)
    if (!slot) this.hosts.set(host, (slot = { active: 0, waiting: [] }))
    if (slot.active < this.limit) {
      slot.active++
      return Promise.resolve()
    }
    const { waiting } = slot
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        waiting.splice(waiting.indexOf(grant), 1)
        reject(signal?.reason)
      }
      const grant = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      waiting.push(grant)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private release(host: string): void {
    const slot = this.hosts.get(host)
    if (!slot) return
    const next = slot.waiting.shift()
    // Handing the slot straight to the next waiter keeps `active` unchanged and the order fair.
    if (next) next()
    else if (--slot.active === 0) this.hosts.delete(host)
  }
}
