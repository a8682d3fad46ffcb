import cron, { type ScheduledTask } from 'node-cron'
import type { Config, SourceConfig, SourceState } from '../model.js'
import { errorMessage, StoreError } from '../errors.js'
import type { RefreshResult } from '../refresh.js'
import { isBackingOff, runPoll, StoreBackoff, type PollDeps, type PollRun } from './poll.js'
import { stopController } from '../abort.js'


/**
 * Sources polled at the same time by one process (node-cron) or one worker (BullMQ's
 * concurrency), `--concurrency` / FEEDLOOM_CONCURRENCY (issue 9 §4): enough that a round is bound
 * by the network, not by a few slow sources — with 5 % of 2,000 sources taking 2 s, six at a time
 * idled most of the round, and 64 could not start the hundred slow ones first and still keep the
 * cores busy with the rest (2,000 unchanged sources: 5.0 s at 64, 3.3 s at 256). A poll waiting
 * on a server costs a socket and little memory: the CPU work runs in reader threads, the fetcher
 * still caps requests per host, and polls wait to start while the readers have more than
 * MAX_BACKLOG_BYTES of bodies queued (source/pool.ts), so fast fetching cannot pile bodies up.
 */
export const POLL_CONCURRENCY = 256

/**
 * How long a dead worker's poll waits before another worker takes it over (BullMQ's lock
 * duration; stalled checks run as often): longer than an event loop ever stalls, short next to
 * a schedule. FEEDLOOM_TAKEOVER_MS sets it.
 */
export const TAKEOVER_MS = 30_000

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
  /** One unstarted task per distinct schedule and zone, asked for next runs when a source has no task (`feedloom poll`). */
  private readonly clocks = new Map<string, ScheduledTask>()
  private readonly running = new Map<string, Promise<RefreshResult | undefined>>()
  private readonly stopping = stopController()
  private readonly storeBackoff = new StoreBackoff()
  private readonly concurrency: number
  private active = 0
  private readonly waiting = new SlowestFirst()

  constructor(
    private readonly config: Config,
    private readonly deps: SchedulerDeps,
  ) {
    this.concurrency = deps.concurrency ?? POLL_CONCURRENCY
  }

  /** Next time the source's cron expression fires. */
  nextRun = (source: SourceConfig): Date | undefined => (this.tasks.get(source.id) ?? this.clock(source)).getNextRun() ?? undefined

  /** Creates and starts every source's task, then polls at once the sources that are due (never polled, or overdue). */
  async start(): Promise<void> {
    for (const source of this.config.sources) {
      const task = cron.createTask(source.schedule, () => this.tick(source), {
        name: `poll:${source.id}`,
        timezone: source.timezone,
        noOverlap: true,
        logger: cronLogger(this.deps),
      })
      this.tasks.set(source.id, task)
      await task.start()
    }
    const states = await this.deps.store.getStates(this.config.sources.map((s) => s.id)).catch(() => new Map<string, SourceState>())
    const now = this.deps.now()
    const due = this.config.sources.filter((s) => {
      const next = states.get(s.id)?.nextPoll
      return !next || Date.parse(next) <= now.getTime()
    })
    for (const source of slowestFirst(due, states)) void this.tick(source)
  }

  async stop(): Promise<void> {
    for (const task of [...this.tasks.values(), ...this.clocks.values()]) await task.destroy()
    this.stopping.abort(new Error('scheduler: shutting down'))
    this.waiting.releaseAll()
    await Promise.allSettled(this.running.values())
  }

  /** Polls the given sources once (all by default), at most `concurrency` at a time, the slowest last time first. */
  async pollAll(sources: SourceConfig[] = this.config.sources, onDone?: (result: RefreshResult) => void): Promise<RefreshResult[]> {
    const states = await this.deps.store.getStates(sources.map((s) => s.id)).catch(() => new Map<string, SourceState>())
    const results = await Promise.all(
      slowestFirst(sources, states).map(async (source) => {
        const result = await this.poll(source, states.get(source.id)?.lastFetchMs)
        if (result) onDone?.(result)
        return result
      }),
    )
    return results.filter((r): r is RefreshResult => r !== undefined)
  }

  /** `expectedMs`: how long its last fetch took; while polls wait for a turn, the longest goes first. */
  poll(source: SourceConfig, expectedMs = 0): Promise<RefreshResult | undefined> {
    const current = this.running.get(source.id)
    if (current) return current
    const job = this.limited(expectedMs, () => runPoll(source, { ...this.deps, nextRun: (s) => this.nextRun(s) }, this.stopping.signal)).then((run) => this.settle(source, run))
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
      const state = await this.deps.store.getState(source.id)
      if (isBackingOff(state, this.deps.now())) return
      await this.poll(source, state?.lastFetchMs)
    } catch (error) {
      if (error instanceof StoreError) this.storeBackoff.failed(Date.now())
      this.deps.log.error({ source: source.id }, `scheduler: ${errorMessage(error)}`)
    }
  }

  /** Runs `fn` once fewer than `concurrency` polls run, the longest expected first; after stop(), never. */
  private async limited<T>(expectedMs: number, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.add(expectedMs, resolve))
    if (this.stopping.signal.aborted) return undefined
    this.active++
    try {
      // Fetching has run ahead of the reader threads: more bodies would only wait, in memory.
      await this.deps.readPool?.room()
      if (this.stopping.signal.aborted) return undefined
      return await fn()
    } finally {
      this.active--
      this.waiting.next()?.()
    }
  }

  private clock(source: SourceConfig): ScheduledTask {
    const key = `${source.schedule}\u0000${source.timezone ?? ''}`
    let clock = this.clocks.get(key)
    if (!clock) this.clocks.set(key, (clock = cron.createTask(source.schedule, () => undefined, { timezone: source.timezone })))
    return clock
  }
}

/**
 * Sources in the order a round should start them: the longest last fetch first, so the slow
 * sources' waiting overlaps everyone else's work instead of trailing it (a round of 2,000 sources
 * with 5 % taking 2 s ended with two seconds of idling on the ones reached last). Longest
 * processing time first is the classic rule for the shortest round on parallel slots. Sources
 * never polled, or equally quick, keep the configuration's order.
 */
function slowestFirst(sources: SourceConfig[], states: ReadonlyMap<string, SourceState>): SourceConfig[] {
  const step = (s: SourceConfig) => timeStep(states.get(s.id)?.lastFetchMs ?? 0)
  return [...sources].sort((a, b) => step(b) - step(a))
}

/** Fetch times this close count as equal: 3 ms against 5 ms is the machine's noise, not a slower source. */
const TIME_STEP_MS = 50

function timeStep(ms: number): number {
  return Math.floor(ms / TIME_STEP_MS)
}

/** Polls waiting for a turn: the one expected to take longest goes next, in arrival order among equals. */
class SlowestFirst {
  /** Ascending by expected time (`timeStep`); among equals the earliest is last, so pop() takes it. */
  private readonly queue: Array<{ step: number; release: () => void }> = []

  add(ms: number, release: () => void): void {
    const step = timeStep(ms)
    let lo = 0
    let hi = this.queue.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.queue[mid].step < step) lo = mid + 1
      else hi = mid
    }
    this.queue.splice(lo, 0, { step, release })
  }

  next(): (() => void) | undefined {
    return this.queue.pop()?.release
  }

  releaseAll(): void {
    for (const { release } of this.queue.splice(0)) release()
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
