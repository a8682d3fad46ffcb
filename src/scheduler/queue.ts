/**
 * Polling across workers on BullMQ (issue 12 §1; DESIGN.md "One machine, then many"): one job
 * scheduler per source (its cron pattern in its zone) upserted from the config when a worker
 * starts and removed when the source leaves it; workers with a concurrency; a job a dead worker
 * held is taken over once its lock expires (BullMQ's stalled-job check); retries of a job that
 * failed for the deployment's own reasons on fetch/backoff.ts's policy. A failing *source* is
 * not a failed job: refresh.ts records its error and backoff in the source's state, and the ticks
 * before its next poll are skipped, exactly as with node-cron in one process.
 */
import { CronExpressionParser } from 'cron-parser'
import { Queue, WaitingError, Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Config, SourceConfig } from '../model.js'
import { errorMessage, StoreError } from '../errors.js'
import { backoffDelayMs } from '../fetch/backoff.js'
import type { Metrics } from '../metrics.js'
import type { RefreshResult } from '../refresh.js'
import { isBackingOff, runPoll, StoreBackoff, type PollDeps, type PollRun } from './poll.js'
import { TAKEOVER_MS, type Poller } from './index.js'
import { stopController } from '../abort.js'

/** BullMQ's queue of polls; its keys start with the deployment's prefix. */
export const QUEUE_NAME = 'polls'
/** A job that failed for the deployment's reasons (commit lock unreachable, a bug) is tried this many times in all. */
export const JOB_ATTEMPTS = 3
/** A repeated queue error is logged again after this long. */
const QUEUE_WARNING_MS = 10_000
/** Finished jobs kept for inspection: enough to see the last rounds, bounded whatever the uptime. */
const KEEP_COMPLETED = { count: 1_000 }
const KEEP_FAILED = { age: 24 * 3600, count: 1_000 }

export interface QueueSettings {
  /** Key prefix of the queue, the commit lock and the host gates. */
  prefix: string
  concurrency: number
  takeoverMs?: number
}

export interface QueuePollerDeps extends Omit<PollDeps, 'nextRun'> {
  metrics?: Metrics
  onResult?: (result: RefreshResult) => void
}

interface PollJob {
  sourceId: string
}

export class QueuePoller implements Poller {
  private readonly queue: Queue<PollJob>
  private worker?: Worker<PollJob>
  private readonly sources: Map<string, SourceConfig>
  private readonly storeBackoff = new StoreBackoff()
  private readonly stopping = stopController()
  /** Polls this process runs outside the queue (WebSub pushes), joined per source. */
  private readonly direct = new Map<string, Promise<RefreshResult | undefined>>()

  constructor(
    private readonly config: Config,
    private readonly deps: QueuePollerDeps,
    private readonly connection: Redis,
    private readonly settings: QueueSettings,
  ) {
    this.sources = new Map(config.sources.map((s) => [s.id, s]))
    this.queue = new Queue<PollJob>(QUEUE_NAME, { connection, prefix: settings.prefix })
    this.queue.on('error', this.warnOnce)
    deps.metrics?.observeQueue(() => this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized'))
  }

  private readonly warned = new Map<string, number>()
  /** BullMQ's connection errors, each distinct one logged once per QUEUE_WARNING_MS (a Redis restart repeats them per connection and retry). */
  private readonly warnOnce = (error: Error): void => {
    const message = `queue: ${errorMessage(error)}`
    const now = Date.now()
    if ((this.warned.get(message) ?? 0) > now - QUEUE_WARNING_MS) return
    if (this.warned.size > 100) this.warned.clear()
    this.warned.set(message, now)
    this.deps.log.warn(message)
  }

  /** The next tick of the source's pattern in its zone, as BullMQ computes it (the same cron-parser). */
  nextRun = (source: SourceConfig, after: Date = new Date()): Date | undefined => {
    try {
      return CronExpressionParser.parse(source.schedule, { currentDate: after, tz: source.timezone }).next().toDate()
    } catch {
      return undefined
    }
  }

  /** Upserts one job scheduler per source, removes those of sources no longer configured, queues due sources, starts the worker. */
  async start(): Promise<void> {
    for (const source of this.config.sources) {
      await this.queue.upsertJobScheduler(
        source.id,
        { pattern: source.schedule, tz: source.timezone },
        { name: 'poll', data: { sourceId: source.id }, opts: { attempts: JOB_ATTEMPTS, backoff: { type: 'feedloom' }, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } },
      )
    }
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      if (!this.sources.has(scheduler.key)) {
        await this.queue.removeJobScheduler(scheduler.key)
        this.deps.log.info({ source: scheduler.key }, 'queue: removed the job scheduler of a source no longer in the config')
      }
    }
    await this.queueDueSources()

    const takeoverMs = this.settings.takeoverMs ?? TAKEOVER_MS
    this.worker = new Worker<PollJob>(QUEUE_NAME, (job, token, signal) => this.process(job, token, signal), {
      connection: this.connection,
      prefix: this.settings.prefix,
      concurrency: this.settings.concurrency,
      lockDuration: takeoverMs,
      stalledInterval: takeoverMs,
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelayMs(attemptsMade) },
    })
    this.worker.on('error', this.warnOnce)
    this.worker.on('stalled', (jobId) => {
      this.deps.metrics?.jobTakeovers.inc()
      this.deps.log.warn({ job: jobId }, 'queue: a worker stopped answering for a poll; it goes back to the queue for another')
    })
    this.worker.on('failed', (job, error) => this.deps.log.warn({ source: job?.data.sourceId, attempts: job?.attemptsMade }, `queue: poll job failed: ${errorMessage(error)}`))
  }

  /**
   * Sources never polled or overdue get a job now rather than at their next tick. The job id is
   * the source's last attempt, so workers starting together queue it once.
   */
  private async queueDueSources(): Promise<void> {
    const states = await this.deps.store.getStates(this.config.sources.map((s) => s.id)).catch(() => new Map())
    const now = this.deps.now().getTime()
    for (const source of this.config.sources) {
      const state = states.get(source.id)
      if (state?.nextPoll && Date.parse(state.nextPoll) > now) continue
      const jobId = `due-${source.id}-${state?.lastAttempt ? Date.parse(state.lastAttempt) : 'never'}`
      await this.queue.add('poll', { sourceId: source.id }, { jobId, attempts: JOB_ATTEMPTS, backoff: { type: 'feedloom' }, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED })
    }
  }

  /**
   * One job: skip a source that backs off, poll it, and then — shutdown: back to the queue at
   * once for another worker; store down: back to the queue, and the queue waits (growing waits,
   * StoreBackoff) before handing out the next job; commit lock down: fail, BullMQ retries.
   */
  private async process(job: Job<PollJob>, token: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const source = this.sources.get(job.data.sourceId)
    if (!source) return `skipped: ${job.data.sourceId} is not in this worker's config`
    // BullMQ aborts a job's signal when stop() cancels every job (AbortSignal.any on a long-lived signal leaks on Node 20).
    const stop = signal ?? this.stopping.signal
    let run: PollRun
    try {
      const state = await this.deps.store.getState(source.id)
      if (isBackingOff(state, this.deps.now())) return 'skipped: backing off'
      // A job whose tick a later-started poll already covered (a takeover that came late, a
      // retry) would poll the source twice for one tick.
      const tick = job.opts.prevMillis // the scheduled time of a job scheduler's job
      if (tick !== undefined && state?.lastAttempt && Date.parse(state.lastAttempt) >= tick) return 'skipped: polled for this tick already'
      run = await runPoll(source, { ...this.deps, nextRun: this.nextRun }, stop)
    } catch (error) {
      if (!(error instanceof StoreError)) throw error
      run = { kind: 'infrastructure', error, result: { sourceId: source.id, outcome: 'error', newItems: 0, updatedItems: 0, totalItems: 0, elapsedMs: 0, error: error.message, warnings: [] } }
    }
    if (run.kind === 'handed-back') {
      await job.moveToWait(token)
      throw new WaitingError()
    }
    if (run.kind === 'infrastructure') {
      if (run.error instanceof StoreError) {
        const delay = this.storeBackoff.failed(Date.now())
        this.deps.log.warn({ source: source.id, retry_in_ms: delay }, `queue: the store failed under a poll; the queue waits before the next: ${run.error.message}`)
        await this.queue.rateLimit(delay).catch(() => undefined)
        throw Worker.RateLimitError()
      }
      throw run.error
    }
    this.storeBackoff.succeeded()
    this.deps.onResult?.(run.result)
    this.deps.log.debug({ source: source.id, outcome: run.result.outcome, late_ms: Date.now() - run.result.elapsedMs - (job.timestamp + (job.delay ?? 0)), took_ms: Math.round(run.result.elapsedMs) }, 'queue: polled')
    return run.result.outcome
  }

  /** A poll now, in this process (a WebSub push); under the same commit lock as the workers'. */
  poll(source: SourceConfig): Promise<RefreshResult | undefined> {
    const current = this.direct.get(source.id)
    if (current) return current
    const job = runPoll(source, { ...this.deps, nextRun: this.nextRun }, this.stopping.signal).then((run) => {
      if (run.kind === 'handed-back') return undefined
      this.deps.onResult?.(run.result)
      return run.result
    })
    this.direct.set(source.id, job)
    return job.finally(() => this.direct.delete(source.id))
  }

  /** Stops taking jobs, stops the ones in flight (each goes back to the queue) and closes BullMQ's connections. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('queue: shutting down'))
    this.worker?.cancelAllJobs('shutting down')
    await this.worker?.close()
    await Promise.allSettled(this.direct.values())
    await this.queue.close()
  }
}
