/**
 * One scheduled poll as both schedulers run it (node-cron in one process, BullMQ across workers):
 * the backoff check, the poll itself with the process's shutdown signal, and what became of it
 * for the scheduler to act on — done, handed back (shutdown), or failed for the deployment's own
 * reasons (store or commit lock unreachable), which must not count against the source.
 */
import type { SourceConfig, SourceState } from '../model.js'
import { AppError, StoreError } from '../errors.js'
import { LockError, type Lock } from '../store/lock.js'
import type { PollWrite, Store } from '../store/index.js'
import { refreshSource, type RefreshDeps, type RefreshResult } from '../refresh.js'

/** Everything a poll needs from its process; the scheduler adds the clock of its own cron. */
export type PollDeps = Omit<RefreshDeps, 'signal' | 'commitLock'> & { commitLock: Lock }

/** Why a poll's writes were refused: it was stopped by shutdown, and its job goes back to the queue. */
export class HandedBack extends AppError {}

export type PollRun =
  | { kind: 'done'; result: RefreshResult }
  /** Shutdown stopped it: nothing was recorded, the source keeps its state, the job returns to the queue. */
  | { kind: 'handed-back' }
  /** The store or the commit lock failed under it: nothing was recorded against the source. */
  | { kind: 'infrastructure'; error: StoreError | LockError; result: RefreshResult }

/**
 * A source that failed is polled again when its backoff says (SourceState.nextPoll, set by
 * refresh.ts from fetch/backoff.ts and never before the next scheduled run): ticks before then
 * are skipped, in both schedulers alike.
 */
export function isBackingOff(state: SourceState | undefined, now: Date): boolean {
  return !!state?.nextPoll && state.lastOutcome === 'error' && Date.parse(state.nextPoll) > now.getTime()
}

/** Runs one poll of `source`; `signal` is the process's (or the job's) stop. Never throws. */
export async function runPoll(source: SourceConfig, deps: PollDeps, signal: AbortSignal): Promise<PollRun> {
  const view = pollStore(deps.store, signal, {
    committed: (write) => deps.metrics?.recordMerged(source.id, mergedCount(write)),
    failed: () => deps.metrics?.storeErrors.inc({ where: 'poll' }),
  })
  const result = await refreshSource(source, {
    ...deps,
    store: view.store,
    signal,
    commitLock: { run: (fn) => deps.commitLock.run(fn, signal).catch((error) => view.failed(error)) },
  })
  if (signal.aborted) return { kind: 'handed-back' }
  if (view.failure) return { kind: 'infrastructure', error: view.failure, result }
  return { kind: 'done', result }
}

const WRITES = new Set<PropertyKey>(['putState', 'commit'])

/** New items of this poll (first seen now) that joined a story another item founded. */
function mergedCount(write: PollWrite): number {
  return write.upserts.filter((e) => e.firstSeen === write.state.lastAttempt && e.clusterId !== e.id).length
}

/**
 * The store as one poll sees it: it notes the first store or lock failure, and once the poll was
 * stopped or that happened it refuses the poll's writes, so refresh.ts records no "aborted" or
 * "store down" failure (and no backoff) against a source that did nothing wrong.
 */
function pollStore(store: Store, signal: AbortSignal, hooks: { committed(write: PollWrite): void; failed(): void }) {
  let failure: StoreError | LockError | undefined
  const seen = new WeakSet<object>()
  const failed = (error: unknown): never => {
    // A store error reaches here twice when it came from inside the commit lock.
    if (error instanceof StoreError && !seen.has(error)) seen.add(error), hooks.failed()
    if (!failure && (error instanceof StoreError || error instanceof LockError)) failure = error
    throw error
  }
  const view = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        if (WRITES.has(property) && (signal.aborted || failure)) {
          throw new HandedBack(signal.aborted ? 'scheduler: shutting down: the poll is handed back, nothing recorded' : `scheduler: not recorded: ${failure!.message}`)
        }
        const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch(failed)
        if (property === 'commit') hooks.committed(args[0] as PollWrite)
        return out
      }
    },
  })
  return {
    store: view,
    failed,
    get failure() {
      return failure
    },
  }
}

/** First wait after the store failed under a poll; a store restart takes seconds, not minutes. */
export const STORE_BACKOFF_BASE_MS = 1_000
/** Longest wait between tries while the store stays down: resumes within this long of its return. */
export const STORE_BACKOFF_CAP_MS = 15_000

/** Doubling waits while the store is down, reset by the first poll that gets through. */
export class StoreBackoff {
  private failures = 0
  until = 0

  /** One more failure: how long to wait from now. */
  failed(now: number): number {
    this.failures++
    const delay = Math.min(STORE_BACKOFF_CAP_MS, STORE_BACKOFF_BASE_MS * 2 ** (this.failures - 1))
    this.until = now + delay
    return delay
  }

  succeeded(): void {
    this.failures = 0
    this.until = 0
  }

  get active(): boolean {
    return this.failures > 0
  }
}
