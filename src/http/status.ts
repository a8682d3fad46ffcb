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
  httpStatus?: number
  lastError?: string
  consecutiveFailures: number
  items: number
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
        httpStatus: state?.httpStatus,
        lastError: state?.lastError,
        consecutiveFailures: state?.consecutiveFailures ?? 0,
        items: state?.itemCount ?? 0,
        nextPoll: state?.nextPoll,
        encoding: state?.encoding,
      }
    })
    .sort((a, b) => HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health] || b.consecutiveFailures - a.consecutiveFailures || a.id.localeCompare(b.id))
}
