import type { Store } from '../store/index.js'
import type { Logger } from '../log.js'

/** How often a web process asks the store whether anything changed (workers may be other processes). */
export const REV_POLL_MS = 1_000

/**
 * The store revision as this process last saw it. Reading it is free (a field), so a hot feed costs
 * one map lookup; a timer keeps it fresh, and a scheduler in the same process calls `refresh()` the
 * moment it stores something.
 */
export class RevWatcher {
  current = '0'
  private timer?: NodeJS.Timeout

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  async refresh(): Promise<string> {
    try {
      this.current = await this.store.getRev()
    } catch (error) {
      // Keep serving what we have: a store hiccup must not take the feeds down.
      this.log.warn({ err: error }, 'could not read the store revision')
    }
    return this.current
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
