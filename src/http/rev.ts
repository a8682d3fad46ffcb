import type { Store } from '../store/index.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import { errorMessage } from '../errors.js'

/** How often a web process asks the store whether anything changed (workers may be other processes). */
export const REV_POLL_MS = 1_000

/**
 * A store that takes longer than this to answer one read is not answering (issue 12 §3): the
 * revision is a single key, and a web request must get its 503 within a second, not after the
 * store's own 10 s timeout — this leaves the rest of the second for the request itself.
 */
export const STORE_ANSWER_MS = 800

/** Since when and why the store stopped answering this process. */
export interface StoreDown {
  since: number
  reason: string
}

/**
 * The store revision as this process last saw it, and whether the store answers at all. Reading
 * the revision is free (a field), so a hot feed costs one map lookup; a timer keeps it fresh, and
 * a scheduler in the same process calls `refresh()` the moment it stores something. The same
 * timer is the web layer's health probe: a read that fails or takes longer than STORE_ANSWER_MS
 * marks the store down, the next one that answers marks it up again.
 */
export class RevWatcher {
  current = '0'
  /** Set while the store does not answer; the web layer then serves from its cache only. */
  down?: StoreDown
  /** When the store last answered: what a cached rendering served while it is down is as old as. */
  lastAnswer = Date.now()
  private timer?: NodeJS.Timeout
  private readonly listeners = new Set<(down: StoreDown) => void>()

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  async refresh(): Promise<string> {
    try {
      this.current = await withDeadline(this.store.getRev(), STORE_ANSWER_MS, 'reading the revision')
      this.answered()
    } catch (error) {
      // Keep serving what we have: a store hiccup must not take the feeds down.
      this.failed(error)
    }
    return this.current
  }

  /** The store answered (a probe, or any read of a request). */
  answered(): void {
    this.lastAnswer = Date.now()
    this.metrics?.storeUp.set(1)
    if (!this.down) return
    this.log.info({ down_for_ms: Date.now() - this.down.since }, 'store: answering again')
    this.down = undefined
  }

  /** The store failed or did not answer in time: down until a probe gets through. */
  failed(error: unknown): void {
    this.metrics?.storeErrors.inc({ where: 'web' })
    this.metrics?.storeUp.set(0)
    if (this.down) return
    this.down = { since: Date.now(), reason: errorMessage(error) }
    this.log.warn({ reason: this.down.reason }, 'store: not answering; serving cached renderings, 503 for the rest')
    for (const listener of this.listeners) listener(this.down)
  }

  /** Calls `listener` the next time the store is marked down; returns the unsubscribe. */
  onDown(listener: (down: StoreDown) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  async start(intervalMs = REV_POLL_MS): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => void this.refresh(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

/** `promise`, or a rejection naming what took too long after `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store: no answer within ${ms} ms ${what}`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
