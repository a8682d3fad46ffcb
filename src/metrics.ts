import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PollOutcome } from './model.js'

/** Prometheus metrics (SPEC §3 `/metrics`). One registry per app instance, so tests never share state. */
export class Metrics {
  readonly registry = new Registry()
  readonly polls = new Counter({ name: 'feedloom_polls_total', help: 'Source polls by outcome', labelNames: ['source', 'outcome'] as const, registers: [this.registry] })
  readonly fetchSeconds = new Histogram({
    name: 'feedloom_fetch_duration_seconds',
    help: 'Time to fetch a source, body included',
    labelNames: ['source'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })
  readonly itemsStored = new Counter({ name: 'feedloom_items_stored_total', help: 'Items written to the store (new or changed)', labelNames: ['source', 'kind'] as const, registers: [this.registry] })
  readonly sourceItems = new Gauge({ name: 'feedloom_source_items', help: 'Items currently kept per source', labelNames: ['source'] as const, registers: [this.registry] })
  readonly httpRequests = new Counter({ name: 'feedloom_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] })

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'feedloom_' })
  }

  recordPoll(source: string, outcome: PollOutcome, fetchMs: number | undefined, added: number, updated: number, total?: number): void {
    this.polls.inc({ source, outcome })
    if (fetchMs !== undefined) this.fetchSeconds.observe({ source }, fetchMs / 1000)
    if (added) this.itemsStored.inc({ source, kind: 'new' }, added)
    if (updated) this.itemsStored.inc({ source, kind: 'updated' }, updated)
    if (total !== undefined) this.sourceItems.set({ source }, total)
  }
}
