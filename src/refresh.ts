import { randomUUID } from 'node:crypto'
import type { Entry, FetchResult, ItemRef, PollOutcome, SourceConfig, SourceState } from './model.js'
import { FetchError, errorMessage } from './errors.js'
import type { Fetcher } from './fetch/index.js'
import { backoffDelayMs } from './fetch/backoff.js'
import { readerFor, type Read, type ReadPool } from './source/index.js'
import { fingerprints, mergePoll, type Known } from './dedupe/index.js'
import type { Fingerprint } from './dedupe/near.js'
import { exactKeys, type Store } from './store/index.js'
import { retain } from './store/retention.js'
import { forgetStrippedTexts } from './normalize/boilerplate.js'
import type { Metrics } from './metrics.js'
import { Mutex, type Lock } from './store/lock.js'
import type { Logger } from './log.js'

export interface RefreshDeps {
  store: Store
  fetcher: Fetcher
  now: () => Date
  log: Logger
  metrics?: Metrics
  /** Next scheduled run of the source's cron expression after a date (the scheduler knows it). */
  nextRun?: (source: SourceConfig, after: Date) => Date | undefined
  random?: () => number
  /** Shared by every poll of a process (and of the deployment, on shared stores): the dedupe-and-commit section runs one poll at a time. */
  commitLock?: Lock
  /** Stops the poll's fetch (shutdown, or its job cancelled): the scheduler hands the job back. */
  signal?: AbortSignal
  /** Reader threads for the CPU-bound part of reading feeds (source/pool.ts); absent: this thread. */
  readPool?: ReadPool
}

export interface RefreshResult {
  sourceId: string
  outcome: PollOutcome
  newItems: number
  updatedItems: number
  totalItems: number
  elapsedMs: number
  httpStatus?: number
  error?: string
  warnings: string[]
}

/** Links that identified nothing are remembered per source; the oldest are forgotten past this many. */
const MAX_AMBIGUOUS_LINKS = 500

export function initialState(id: string): SourceState {
  return { id, consecutiveFailures: 0, validators: {}, itemCount: 0, ambiguousLinks: [] }
}

/**
 * New entries merged and committed at most this many at a time, each batch atomic: a batch holds
 * the commit lock (and, on SQLite, the process) for tens of milliseconds, so one source's first
 * poll of thousands of items never holds up the others' commits longer than that (issue 12 §5).
 */
export const COMMIT_BATCH = 1_000

/**
 * One poll of one source, start to finish, the same for every kind of source (issue 9 §5):
 * fetch → read → merge → commit, as miniflux's RefreshFeed. Never throws: every failure becomes an
 * `error` outcome recorded in the source's state, so one broken source never stalls the others.
 */
export async function refreshSource(source: SourceConfig, deps: RefreshDeps): Promise<RefreshResult> {
  const started = deps.now()
  const startedMs = performance.now()
  let state: SourceState = initialState(source.id)
  let fetchMs: number | undefined
  const warnings: string[] = []
  const result = (outcome: PollOutcome, fields: Partial<RefreshResult>): RefreshResult =>
    finish(deps, source, { sourceId: source.id, outcome, newItems: 0, updatedItems: 0, totalItems: state.itemCount, elapsedMs: performance.now() - startedMs, warnings, ...fields }, fetchMs)
  try {
    state = { ...initialState(source.id), ...(await deps.store.getState(source.id)) }
    const reader = readerFor(source, deps.fetcher)
    const { fetched, warnings: fetchWarnings } = await reader.fetch(state.validators, deps.signal)
    fetchMs = fetched.elapsedMs

    if (fetched.kind === 'not-modified') {
      for (const w of fetchWarnings) deps.log.warn({ source: source.id }, w)
      state = { ...succeeded(state, source, started, deps, 'not-modified', fetched.httpStatus, fetched.elapsedMs), validators: fetched.validators }
      await deps.store.putState(state)
      return result('not-modified', { httpStatus: fetched.httpStatus })
    }

    // Only this source's polls write its list, and one runs at a time: it can be read before the lock.
    const list = await deps.store.getList(source.id)
    const storedIds = new Set(list.map(([id]) => id))
    const stored = (ids: string[]) => loadItems(deps.store, ids.filter((id) => storedIds.has(id)))
    const read = await reader.read(fetched, { now: started, knownAmbiguous: state.ambiguousLinks, stored, storedIds: [...storedIds], ...(deps.readPool && { pool: deps.readPool }) })
    warnings.push(...read.warnings)
    const previous = await stored(read.entries.map((e) => e.id))
    const committed = await commit(source, read, fetched, list, previous, state, started, deps, (next) => (state = next))
    for (const w of warnings) deps.log.warn({ source: source.id }, w)
    return result('ok', { ...committed, httpStatus: fetched.httpStatus })
  } catch (error) {
    const message = errorMessage(error)
    // Stopped (shutdown, or the job handed back): nothing happened to the source, so nothing is recorded.
    if (deps.signal?.aborted) return result('error', { error: `stopped: ${message}` })
    const failures = state.consecutiveFailures + 1
    const retryAfterMs = error instanceof FetchError ? error.retryAfterMs : undefined
    const retryAt = new Date(started.getTime() + backoffDelayMs(failures, { retryAfterMs, random: deps.random }))
    const scheduled = deps.nextRun?.(source, started)
    const failed: SourceState = {
      ...state,
      lastAttempt: started.toISOString(),
      lastOutcome: 'error',
      httpStatus: error instanceof FetchError ? error.httpStatus : undefined,
      lastError: message,
      consecutiveFailures: failures,
      // A fetch that failed took its time too (a timeout, its whole length), queueing included.
      lastFetchMs: error instanceof FetchError ? Math.round(performance.now() - startedMs) : state.lastFetchMs,
      nextPoll: (scheduled && scheduled > retryAt ? scheduled : retryAt).toISOString(),
    }
    deps.log.error({ source: source.id, consecutive_failures: failures, retry_at: failed.nextPoll }, message)
    try {
      await deps.store.putState(failed)
    } catch (stateError) {
      deps.log.error({ source: source.id }, `could not record the failure: ${errorMessage(stateError)}`)
    }
    return result('error', { httpStatus: failed.httpStatus, error: message })
  }
}

/**
 * The merge and commit of one read, in batches of COMMIT_BATCH entries. Fingerprints are made
 * before any lock is taken; under the lock a batch costs three rounds of batched reads, the merge
 * and one atomic commit. Every batch leaves a consistent store (its items listed, indexed and
 * clustered); only the last saves the validators, so a poll cut short is read in full next time.
 */
async function commit(
  source: SourceConfig,
  read: Read,
  fetched: Extract<FetchResult, { kind: 'ok' }>,
  storedList: ItemRef[],
  previous: ReadonlyMap<string, Entry>,
  before: SourceState,
  started: Date,
  deps: RefreshDeps,
  onState: (state: SourceState) => void,
): Promise<Pick<RefreshResult, 'newItems' | 'updatedItems' | 'totalItems'>> {
  const { entries, ambiguous } = read
  const prints = read.prints ?? printsOfNew(entries, previous)
  const inFeed = new Set(entries.map((e) => e.id))
  const lock = deps.commitLock ?? new Mutex()
  let list = storedList
  let newItems = 0
  let updatedItems = 0
  for (let from = 0; from === 0 || from < entries.length; from += COMMIT_BATCH) {
    const batch = entries.slice(from, from + COMMIT_BATCH)
    const last = from + COMMIT_BATCH >= entries.length
    await lock.run(async () => {
      const known = await loadKnown(deps.store, source, batch, previous, prints, ambiguous)
      const merged = mergePoll(source, batch, known, ambiguous)
      const kept = retain(list, merged.entries, source, started, inFeed)
      const removed = kept.dropped.length ? [...(await loadItems(deps.store, kept.dropped)).values()] : []
      const state: SourceState = last
        ? {
            ...succeeded(before, source, started, deps, 'ok', fetched.httpStatus, fetched.elapsedMs),
            validators: fetched.validators,
            itemCount: kept.list.length,
            ambiguousLinks: [...ambiguous].slice(-MAX_AMBIGUOUS_LINKS),
            feedTitle: read.raw.title,
            feedLink: read.raw.link,
            encoding: read.decoded.encoding,
            hub: read.raw.hub,
            finalUrl: fetched.finalUrl,
            lastNewItems: newItems + merged.newCount,
            skippedItems: read.skipped,
          }
        : { ...before, itemCount: kept.list.length }
      await deps.store.commit(
        { sourceId: source.id, upserts: merged.upserts, list: kept.list, keys: merged.keys, clusters: merged.clusters, nearRecords: merged.records, removed, state },
        `${started.getTime()}-${randomUUID().slice(0, 8)}`,
      )
      list = kept.list
      newItems += merged.newCount
      updatedItems += merged.updatedCount
      onState(state)
    })
  }
  return { newItems, updatedItems, totalItems: list.length }
}

/** Fingerprints of a read that was not made in a reader (a page source's): the stripped texts it kept are done with after. */
function printsOfNew(entries: readonly Entry[], previous: ReadonlyMap<string, Entry>): Map<string, Fingerprint> {
  try {
    return fingerprints(entries.filter((e) => !previous.has(e.id)))
  } finally {
    forgetStrippedTexts()
  }
}

async function loadItems(store: Store, ids: string[]): Promise<Map<string, Entry>> {
  if (ids.length === 0) return new Map()
  return new Map((await store.getItems(ids)).filter((e): e is Entry => !!e).map((e) => [e.id, e]))
}

function succeeded(state: SourceState, source: SourceConfig, started: Date, deps: RefreshDeps, outcome: PollOutcome, httpStatus: number, fetchMs: number): SourceState {
  return {
    ...state,
    lastAttempt: started.toISOString(),
    lastSuccess: started.toISOString(),
    lastOutcome: outcome,
    httpStatus,
    lastError: undefined,
    consecutiveFailures: 0,
    lastFetchMs: fetchMs,
    nextPoll: deps.nextRun?.(source, started)?.toISOString(),
  }
}

function finish(deps: RefreshDeps, source: SourceConfig, result: RefreshResult, fetchMs: number | undefined): RefreshResult {
  deps.metrics?.recordPoll(source.id, result.outcome, fetchMs, result.newItems, result.updatedItems, result.totalItems)
  return result
}


/**
 * Everything the merge of one batch needs from the store, in three rounds of batched reads whatever
 * the store holds: the exact keys of the new entries and their near-duplicate candidates (ranked
 * in memory, only the ranked ones read); the items the keys point at; their clusters and the
 * candidates'.
 */
async function loadKnown(store: Store, source: Pick<SourceConfig, 'id'>, batch: Entry[], previous: ReadonlyMap<string, Entry>, allPrints: ReadonlyMap<string, Fingerprint>, ambiguous: ReadonlySet<string>): Promise<Known> {
  const added = batch.filter((e) => !previous.has(e.id))
  const prints = new Map<string, Fingerprint>()
  for (const e of added) {
    const print = allPrints.get(e.id)
    if (print) prints.set(e.id, print)
  }
  const keys = [...new Set(added.flatMap((e) => exactKeys(e, ambiguous)))]
  const [ownerIds, candidates] = await Promise.all([store.lookupKeys(keys), store.nearCandidates(prints, source.id)])
  const keyOwners = new Map<string, string>()
  keys.forEach((k, i) => ownerIds[i] !== undefined && keyOwners.set(k, ownerIds[i]!))
  const owners = await loadItems(store, [...new Set(keyOwners.values())])
  const clusterIds = new Set<string>()
  for (const owner of owners.values()) clusterIds.add(owner.clusterId)
  for (const records of candidates.values()) for (const record of records) clusterIds.add(record.clusterId)
  const clusters = new Map((await store.getClusters([...clusterIds])).filter((c): c is NonNullable<typeof c> => !!c).map((c) => [c.id, c]))
  return { previous, keyOwners, owners, clusters, prints, candidates }
}
