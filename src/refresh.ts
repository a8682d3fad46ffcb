import { randomUUID } from 'node:crypto'
import type { Decoded, Entry, FetchResult, PollOutcome, RawFeed, SourceConfig, SourceState } from './model.js'
import { FetchError, errorMessage } from './errors.js'
import type { Fetcher } from './fetch/index.js'
import { backoffDelayMs } from './fetch/backoff.js'
import { decode } from './decode/index.js'
import { parseFeed } from './parse/index.js'
import { politeFetcher, politeFetchOptions, readPageSource, robotsGate, wantsArticles, withArticles } from './page/index.js'
import { normalizeFeed } from './normalize/index.js'
import { matchesFilters } from './normalize/filter.js'
import { bucketKeysOf, fingerprints, mergePoll, type Known } from './dedupe/index.js'
import { exactKeys, type ItemRef, type Store } from './store/index.js'
import { retain } from './store/retention.js'
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
  /** Shared by every poll of a process: the dedupe-and-commit section runs one poll at a time. */
  commitLock?: Lock
  /** Stops the poll's fetch (shutdown, or its job cancelled): the scheduler hands the job back. */
  signal?: AbortSignal
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
 * One poll of one source, start to finish: the only place that knows the order of the stages
 * (fetch → decode → parse → normalize → filter → dedupe → store), as miniflux's RefreshFeed.
 * Never throws: every failure becomes an `error` outcome recorded in the source's state, so one
 * broken source never stalls the others.
 */
export async function refreshSource(source: SourceConfig, deps: RefreshDeps): Promise<RefreshResult> {
  const started = deps.now()
  const startedMs = performance.now()
  let state: SourceState = initialState(source.id)
  let fetchMs: number | undefined
  const warnings: string[] = []
  try {
    state = { ...initialState(source.id), ...(await deps.store.getState(source.id)) }
    // A page source's list page waits its turn on the portal like its other pages, and asks
    // robots.txt first (RFC 9309); a feed is fetched as feed readers fetch it.
    const robotsWarnings = source.page ? await robotsGate(source, source.url, deps.fetcher) : []
    const fetched = source.page
      ? await politeFetcher(deps.fetcher).fetch(source.url, politeFetchOptions(source), state.validators)
      : await deps.fetcher.fetch(source.url, state.validators, { sourceId: source.id, signal: deps.signal })
    fetchMs = fetched.elapsedMs

    if (fetched.kind === 'not-modified') {
      for (const w of robotsWarnings) deps.log.warn({ source: source.id }, w)
      const next = succeeded(state, source, started, deps, 'not-modified', fetched.httpStatus)
      next.validators = fetched.validators
      await deps.store.putState(next)
      return finish(deps, source, { sourceId: source.id, outcome: 'not-modified', newItems: 0, updatedItems: 0, totalItems: next.itemCount, elapsedMs: performance.now() - startedMs, httpStatus: fetched.httpStatus, warnings }, fetchMs)
    }

    const articles = wantsArticles(source)
    // With article pages coming, include/exclude words wait for the article text.
    const read = await readEntries(source, fetched, started, state.ambiguousLinks, deps.fetcher, { filter: !articles })
    const { decoded, raw, ambiguous } = read
    warnings.push(...read.warnings)
    // Article pages (issue 6) are fetched before the commit lock: a slow portal never holds it.
    let fresh = read.fresh
    if (articles) {
      const storedIds = new Set((await deps.store.getList(source.id)).map(([id]) => id))
      const stored = (await deps.store.getItems(fresh.filter((e) => storedIds.has(e.id)).map((e) => e.id))).filter((e): e is Entry => !!e)
      const read = await withArticles(source, fresh, new Map(stored.map((e) => [e.id, e])), { fetcher: deps.fetcher, now: started })
      fresh = read.entries.filter((e) => matchesFilters(e, source.include, source.exclude))
      warnings.push(...read.warnings)
    }

    const lock = deps.commitLock ?? new Mutex()
    const { merged, list } = await lock.run(async () => {
      const known = await loadKnown(deps.store, source, fresh, ambiguous)
      const merged = mergePoll(source, fresh, known.known, ambiguous)
      const { list, dropped } = retain(known.list, merged.entries, source, started)
      const removed = dropped.length ? ((await deps.store.getItems(dropped)).filter(Boolean) as Entry[]) : []

      const next = succeeded(state, source, started, deps, 'ok', fetched.httpStatus)
      next.validators = fetched.validators
      next.itemCount = list.length
      next.ambiguousLinks = [...ambiguous].slice(-MAX_AMBIGUOUS_LINKS)
      next.feedTitle = raw.title
      next.feedLink = raw.link
      next.encoding = decoded.encoding
      next.hub = raw.hub
      next.finalUrl = fetched.finalUrl
      next.lastNewItems = merged.newCount

      await deps.store.commit(
        { sourceId: source.id, upserts: merged.upserts, list, keys: merged.keys, clusters: merged.clusters, nearRecords: merged.records, buckets: merged.buckets, removed, state: next },
        `${started.getTime()}-${randomUUID().slice(0, 8)}`,
      )
      return { merged, list }
    })
    for (const w of warnings) deps.log.warn({ source: source.id }, w)
    return finish(
      deps,
      source,
      { sourceId: source.id, outcome: 'ok', newItems: merged.newCount, updatedItems: merged.updatedCount, totalItems: list.length, elapsedMs: performance.now() - startedMs, httpStatus: fetched.httpStatus, warnings },
      fetchMs,
    )
  } catch (error) {
    const message = errorMessage(error)
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
      nextPoll: (scheduled && scheduled > retryAt ? scheduled : retryAt).toISOString(),
    }
    deps.log.error({ source: source.id, consecutive_failures: failures, retry_at: failed.nextPoll }, message)
    try {
      await deps.store.putState(failed)
    } catch (stateError) {
      deps.log.error({ source: source.id }, `could not record the failure: ${errorMessage(stateError)}`)
    }
    return finish(deps, source, { sourceId: source.id, outcome: 'error', newItems: 0, updatedItems: 0, totalItems: state.itemCount, elapsedMs: performance.now() - startedMs, httpStatus: failed.httpStatus, error: message, warnings }, fetchMs)
  }
}

export interface ReadEntries {
  decoded: Decoded
  raw: RawFeed
  /** Normalized entries that pass the source's include/exclude words (all of them with `filter: false`). */
  fresh: Entry[]
  /** Every link known to identify nothing: the stored ones plus those found in this body. */
  ambiguous: Set<string>
  warnings: string[]
}

/**
 * Bytes to clean entries: decode → parse → normalize → filter. Pure apart from the clock it is
 * given, except that a page source's further list pages are fetched through `fetcher`.
 */
export async function readEntries(
  source: SourceConfig,
  fetched: Extract<FetchResult, { kind: 'ok' }>,
  now: Date,
  knownAmbiguous: string[],
  fetcher?: Fetcher,
  options: { filter?: boolean } = {},
): Promise<ReadEntries> {
  const decoded = decode(fetched.body, { contentType: fetched.contentType, override: source.encoding, sourceId: source.id })
  // A page source's list pages are read by its selectors; `fetcher` follows `next` (issue 6).
  const raw = source.page
    ? await readPageSource(source, source.page, { text: decoded.text, url: fetched.finalUrl }, fetcher)
    : await parseFeed(decoded.text, { url: fetched.finalUrl, sourceId: source.id })
  const normalized = normalizeFeed(raw, { source, feedUrl: fetched.finalUrl, now, ambiguousLinks: new Set(knownAmbiguous) })
  const ambiguous = new Set([...knownAmbiguous, ...normalized.ambiguousLinks])
  const fresh = options.filter === false ? normalized.entries : normalized.entries.filter((e) => matchesFilters(e, source.include, source.exclude))
  return { decoded, raw, fresh, ambiguous, warnings: [...decoded.warnings, ...raw.warnings, ...normalized.warnings] }
}

function succeeded(state: SourceState, source: SourceConfig, started: Date, deps: RefreshDeps, outcome: PollOutcome, httpStatus: number): SourceState {
  return {
    ...state,
    lastAttempt: started.toISOString(),
    lastSuccess: started.toISOString(),
    lastOutcome: outcome,
    httpStatus,
    lastError: undefined,
    consecutiveFailures: 0,
    nextPoll: deps.nextRun?.(source, started)?.toISOString(),
  }
}

function finish(deps: RefreshDeps, source: SourceConfig, result: RefreshResult, fetchMs: number | undefined): RefreshResult {
  deps.metrics?.recordPoll(source.id, result.outcome, fetchMs, result.newItems, result.updatedItems, result.totalItems)
  return result
}

/**
 * Everything the merge needs from the store, in five rounds of batched reads whatever the store
 * holds: the source's list; its stored copies of this poll's items; the exact keys and LSH buckets
 * of the new ones; the items and fingerprints those point at; their clusters.
 */
async function loadKnown(store: Store, source: SourceConfig, fresh: Entry[], ambiguous: ReadonlySet<string>): Promise<{ list: ItemRef[]; known: Known }> {
  const list = await store.getList(source.id)
  const storedIds = new Set(list.map((ref) => ref[0]))
  const previousItems = await store.getItems(fresh.filter((e) => storedIds.has(e.id)).map((e) => e.id))
  const previous = new Map(previousItems.filter((e): e is Entry => !!e).map((e) => [e.id, e]))

  const added = fresh.filter((e) => !previous.has(e.id))
  const prints = fingerprints(added)
  const keys = [...new Set(added.flatMap((e) => exactKeys(e, ambiguous)))]
  const bucketKeys = bucketKeysOf(prints.values())
  const [ownerIds, bucketLists] = await Promise.all([store.lookupKeys(keys), store.lookupBuckets(bucketKeys)])
  const keyOwners = new Map<string, string>()
  keys.forEach((k, i) => ownerIds[i] !== undefined && keyOwners.set(k, ownerIds[i]!))
  const buckets = new Map<string, string[]>()
  bucketKeys.forEach((k, i) => bucketLists[i]?.length && buckets.set(k, bucketLists[i]!))

  const candidateIds = [...new Set([...buckets.values()].flat())]
  const [ownerItems, recordList] = await Promise.all([store.getItems([...new Set(keyOwners.values())]), store.getNearRecords(candidateIds)])
  const owners = new Map(ownerItems.filter((e): e is Entry => !!e).map((e) => [e.id, e]))
  const records = new Map(recordList.filter((r) => !!r).map((r) => [r!.itemId, r!]))

  const otherSources = [...records.values()].filter((r) => r.sourceId !== source.id)
  const clusterIds = [...new Set([...[...owners.values()].map((o) => o.clusterId), ...otherSources.map((r) => r.clusterId)])]
  const clusters = new Map((await store.getClusters(clusterIds)).filter((c) => !!c).map((c) => [c!.id, c!]))
  return { list, known: { previous, keyOwners, owners, clusters, prints, buckets, records } }
}
