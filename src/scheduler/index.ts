import cron, { type ScheduledTask } from 'node-cron'
import type { Config, SourceConfig } from '../model.js'
import { errorMessage, StoreError } from '../errors.js'
import type { RefreshResult } from '../refresh.js'
import { isBackingOff, runPoll, StoreBackoff, type PollDeps, type PollRun } from './poll.js'
import { stopController } from '../abort.js'

export { QueuePoller, type QueueSettings } from './queue.js'

/**
 * Sources polled at the same time by one process (node-cron) or one worker (BullMQ's
 * concurrency), `--concurrency` / FEEDLOOM_CONCURRENCY (issue 9 §4): enough that a round is bound
 * by the network, not by a few slow sources — with 5 % of 2,000 sources taking 2 s, six at a time
 * idled most of the round. The CPU work runs in reader threads and the fetcher still caps
 * requests per host, so more in flight costs only memory (a body and its entries each).
 */
export const POLL_CONCURRENCY = 64

/** What runs the polls of a process: node-cron alone (Scheduler) or BullMQ across workers (QueuePoller). */
export interface Poller {
  start(): Promise<void>
  /** Stops scheduling, stops the polls in flight (a job goes back to its queue) and resolves when none runs. */
  stop(): Promise<void>
  /** Polls one source now (a WebSub push, `feedloom poll`); a poll already running for it is joined. */
  poll(source: SourceConfig): Promise<RefreshResult | undefined>
}

export interface SchedulerDeps extends Omit<PollDeps, 'nextRun'> {
  /** Called after every poll, e.g. to tell the web layer that the store changed. */
  onResult?: (result: RefreshResult) => void
  concurrency?: number
}

/**
 * One process alone (`feedloom start` on SQLite, `feedloom poll`): one node-cron task per source,
 * in the source's own zone, never overlapping itself. A tick is skipped while the source backs off
 * after errors (its state's `nextPoll` is later), and while the store itself is unreachable.
 */
export class Scheduler implements Poller {
  private readonly tasks = new Map<string, ScheduledTask>()
  private readonly running = new Map<string, Promise<RefreshResult | undefined>>()
  private readonly stopping = stopController()
  private readonly storeBackoff = new StoreBackoff()
  private readonly concurrency: number
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly config: Config,
    private readonly deps: SchedulerDeps,
  ) {
    this.concurrency = deps.concurrency ?? POLL_CONCURRENCY
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
    for (const task of this.tasks.values()) await task.destroy()
    this.stopping.abort(new Error('scheduler: shutting down'))
    for (const release of this.waiting.splice(0)) release()
    await Promise.allSettled(this.running.values())
  }

  /** Polls the given sources once (all by default), at most `concurrency` at a time. */
  async pollAll(sources: SourceConfig[] = this.config.sources, onDone?: (result: RefreshResult) => void): Promise<RefreshResult[]> {
    const results = await Promise.all(
      sources.map(async (source) => {
        const result = await this.poll(source)
        if (result) onDone?.(result)
        return result
      }),
    )
    return results.filter((r): r is RefreshResult => r !== undefined)
  }

  poll(source: SourceConfig): Promise<RefreshResult | undefined> {
    const current = this.running.get(source.id)
    if (current) return current
    const job = this.limited(() => runPoll(source, { ...this.deps, nextRun: (s) => this.nextRun(s) }, this.stopping.signal)).then((run) => this.settle(source, run))
    this.running.set(source.id, job)
    return job.finally(() => this.running.delete(source.id))
  }

  private settle(source: SourceConfig, run: PollRun | undefined): RefreshResult | undefined {
    if (!run || run.kind === 'handed-back') return undefined
    if (run.kind === 'infrastructure' && run.error instanceof StoreError) {
      const delay = this.storeBackoff.failed(Date.now())
      this.deps.log.warn({ source: source.id, retry_in_ms: delay }, `scheduler: the store failed under a poll, waiting before the next: ${run.error.message}`)
    } else if (run.kind === 'done') this.storeBackoff.succeeded()
    this.deps.onResult?.(run.result)
    return run.result
  }

  private async tick(source: SourceConfig): Promise<void> {
    if (this.stopping.signal.aborted || Date.now() < this.storeBackoff.until) return
    try {
      if (isBackingOff(await this.deps.store.getState(source.id), this.deps.now())) return
      await this.poll(source)
    } catch (error) {
      if (error instanceof StoreError) this.storeBackoff.failed(Date.now())
      this.deps.log.error({ source: source.id }, `scheduler: ${errorMessage(error)}`)
    }
  }

  /** Runs `fn` once fewer than `concurrency` polls run; after stop(), never. */
  private async limited<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve))
    if (this.stopping.signal.aborted) return undefined
    this.active++
    try {
      return await fn()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

function cronLogger(deps: Pick<SchedulerDeps, 'log'>) {
  return {
    info: (m: string) => deps.log.debug(m),
    warn: (m: string) => deps.log.warn(m),
    error: (m: string | Error, e?: Error) => deps.log.error({ err: e }, String(m)),
    debug: (m: string | Error) => deps.log.debug(String(m)),
  }
}
