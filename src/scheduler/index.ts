import cron, { type ScheduledTask } from 'node-cron'
import type { Config, SourceConfig } from '../model.js'
import { errorMessage } from '../errors.js'
import { Mutex, nested, type Lock } from '../store/lock.js'
import { holderId, LeaseLock, POLL_LEASE_MS, withLease, type Leases } from './lease.js'
import { refreshSource, type RefreshDeps, type RefreshResult } from '../refresh.js'

/**
 * Sources polled at the same time by one process (issue 9 §4): enough that a round is bound by
 * the network, not by a few slow sources — with 5 % of 2,000 sources taking 2 s, six at a time
 * idled most of the round. The CPU work runs in reader threads and the fetcher still caps
 * requests per host, so more in flight costs only memory (a body and its entries each).
 */
export const POLL_CONCURRENCY = 64

export interface SchedulerDeps extends Omit<RefreshDeps, 'nextRun' | 'commitLock'> {
  /** Called after every poll, e.g. to tell the web layer that the store changed. */
  onResult?: (result: RefreshResult) => void
  /** Leases shared with other workers (Redis/PostgreSQL stores); absent = this process is alone. */
  leases?: Leases
}

/**
 * One node-cron task per source, in the source's own zone, never overlapping itself. A tick is
 * skipped while the source is backing off after errors (its state's `nextPoll` is later), so a
 * failing source is retried on the backoff's terms but never given up for good.
 */
export class Scheduler {
  private readonly tasks = new Map<string, ScheduledTask>()
  private readonly running = new Map<string, Promise<RefreshResult>>()
  private active = 0
  private readonly waiting: Array<() => void> = []
  private stopped = false
  private readonly commitLock: Lock
  private readonly holder = holderId()

  constructor(
    private readonly config: Config,
    private readonly deps: SchedulerDeps,
  ) {
    // One commit at a time in this process, and across workers when they share leases.
    this.commitLock = deps.leases ? nested(new Mutex(), new LeaseLock(deps.leases, this.holder)) : new Mutex()
    for (const source of config.sources) {
      const task = cron.createTask(source.schedule, () => this.tick(source), {
        name: `poll:${source.id}`,
        timezone: source.timezone,
        noOverlap: true,
        logger: cronLogger(deps),
      })
      this.tasks.set(source.id, task)
    }
  }

  /** Next time the source's cron expression fires. */
  nextRun = (source: SourceConfig): Date | undefined => this.tasks.get(source.id)?.getNextRun() ?? undefined

  /** Starts every task, then polls at once the sources that are due (never polled, or overdue). */
  async start(): Promise<void> {
    for (const task of this.tasks.values()) await task.start()
    const states = await this.deps.store.getStates(this.config.sources.map((s) => s.id)).catch(() => new Map())
    const now = this.deps.now()
    const due = this.config.sources.filter((s) => {
      const next = states.get(s.id)?.nextPoll
      return !next || Date.parse(next) <= now.getTime()
    })
    for (const source of due) void this.tick(source)
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const task of this.tasks.values()) await task.destroy()
    await Promise.allSettled(this.running.values())
  }

  /** Polls the given sources once (all by default), at most POLL_CONCURRENCY at a time. */
  async pollAll(sources: SourceConfig[] = this.config.sources, onDone?: (result: RefreshResult) => void): Promise<RefreshResult[]> {
    return Promise.all(
      sources.map(async (source) => {
        const result = await this.poll(source)
        onDone?.(result)
        return result
      }),
    )
  }

  /** One poll of one source; a poll already running for it is joined, not repeated. */
  poll(source: SourceConfig): Promise<RefreshResult> {
    const current = this.running.get(source.id)
    if (current) return current
    const job = this.limited(() => refreshSource(source, { ...this.deps, commitLock: this.commitLock, nextRun: (s) => this.nextRun(s) })).then((result) => {
      this.deps.onResult?.(result)
      return result
    })
    this.running.set(source.id, job)
    return job.finally(() => this.running.delete(source.id))
  }

  /**
   * A scheduled poll: skipped while the source backs off, and — with shared leases — when another
   * worker is polling it right now (a dead worker's lease expires and the source is taken over).
   */
  private async tick(source: SourceConfig): Promise<void> {
    if (this.stopped) return
    try {
      const state = await this.deps.store.getState(source.id)
      if (state?.nextPoll && state.lastOutcome === 'error' && Date.parse(state.nextPoll) > this.deps.now().getTime()) return
      if (!this.deps.leases) {
        await this.poll(source)
        return
      }
      const leased = await withLease(this.deps.leases, `poll:${source.id}`, this.holder, POLL_LEASE_MS, () => this.poll(source))
      if (!leased.ran) this.deps.log.debug({ source: source.id }, 'scheduler: another worker is polling this source')
    } catch (error) {
      this.deps.log.error({ source: source.id }, `scheduler: ${errorMessage(error)}`)
    }
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= POLL_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await fn()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

function cronLogger(deps: SchedulerDeps) {
  return {
    info: (m: string) => deps.log.debug(m),
    warn: (m: string) => deps.log.warn(m),
    error: (m: string | Error, e?: Error) => deps.log.error({ err: e }, String(m)),
    debug: (m: string | Error) => deps.log.debug(String(m)),
  }
}
