import type { Config, SourceState } from '../model.js'
import { redactUrl } from '../redact.js'

export type Health = 'failing' | 'pending' | 'ok'

export interface StatusRow {
  id: string
  title: string
  url: string
  categories: string[]
  health: Health
  lastOutcome?: string
  lastAttempt?: string
  lastSuccess?: string
  /** The last answer's HTTP status; none for a `file://` source, which has no HTTP. */
  httpStatus?: number
  lastError?: string
  consecutiveFailures: number
  items: number
  /** Entries of the last poll skipped for having neither title, text, link nor enclosure (issue 10). */
  skipped: number
  nextPoll?: string
  encoding?: string
}

const HEALTH_ORDER: Record<Health, number> = { failing: 0, pending: 1, ok: 2 }

/** One row per configured source, problem sources first (SPEC §3 `/status`). */
export function statusRows(config: Config, states: ReadonlyMap<string, SourceState>): StatusRow[] {
  return config.sources
    .map((source): StatusRow => {
      const state = states.get(source.id)
      const health: Health = !state?.lastAttempt ? 'pending' : state.lastOutcome === 'error' ? 'failing' : 'ok'
      return {
        id: source.id,
        title: source.title,
        url: redactUrl(source.url),
        categories: source.categories,
        health,
        lastOutcome: state?.lastOutcome,
        lastAttempt: state?.lastAttempt,
        lastSuccess: state?.lastSuccess,
        // fetch/ reports a file's "unchanged" as 304 so conditional polling works alike; it is no HTTP answer.
        httpStatus: /^https?:/i.test(source.url) ? state?.httpStatus : undefined,
        lastError: state?.lastError,
        consecutiveFailures: state?.consecutiveFailures ?? 0,
        items: state?.itemCount ?? 0,
        skipped: state?.skippedItems ?? 0,
        nextPoll: state?.nextPoll,
        encoding: state?.encoding,
      }
    })
    .sort((a, b) => HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health] || b.consecutiveFailures - a.consecutiveFailures || a.id.localeCompare(b.id))
}

/**
 * The error as the status page shows it, in its row: without the trailing `(URL, source ID)` that
 * fetch/ errors end with, since the row names both already (issue 11 §6). Any other detail in those
 * parentheses (a redirect target, an article's address) stays.
 */
export function errorInRow(row: Pick<StatusRow, 'id' | 'url' | 'lastError'>): string | undefined {
  const message = row.lastError
  if (message === undefined) return undefined
  const match = /\s*\(([^()]*)\)$/.exec(message)
  if (!match) return message
  const rest = match[1].split(', ').filter((part) => part !== row.url && part !== `source ${row.id}`)
  return message.slice(0, match.index) + (rest.length ? ` (${rest.join(', ')})` : '')
}

/** Errors that say the machine could not reach the network at all, rather than that one site is broken. */
const NETWORK_FAILURE = /^fetch: (cannot resolve host|connection (refused|timed out|reset)|host unreachable|network error|timed out after)/

export interface StatusSummary {
  total: number
  failing: number
  /** Set when every polled source failed (issue 11 §6): the most common error and how many sources share it. */
  allFailing?: { error: string; count: number; network: boolean }
}

/**
 * What the top of the status page says in one line. A new operator offline sees every source fail
 * with the same error; one sentence saying so beats twelve identical rows.
 */
export function statusSummary(rows: StatusRow[]): StatusSummary {
  const failing = rows.filter((r) => r.health === 'failing')
  const summary: StatusSummary = { total: rows.length, failing: failing.length }
  if (failing.length === 0 || rows.some((r) => r.health === 'ok')) return summary
  const counts = new Map<string, number>()
  // Host names differ per source; the kind of failure is what they share.
  for (const row of failing) {
    const kind = errorInRow(row)!.replace(/\bhost \S+/g, 'host …')
    counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  const [error, count] = [...counts].sort((a, b) => b[1] - a[1])[0]
  summary.allFailing = { error, count, network: failing.every((r) => NETWORK_FAILURE.test(r.lastError ?? '')) }
  return summary
}
