import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PollOutcome } from './model.js'

/**
 * Prometheus metrics (SPEC §3 `/metrics`) for operators (issue 12 §8). One registry per app
 * instance, so tests never share state. Every process exposes its own: web processes on their
 * port, a `worker` on METRICS_PORT.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly polls = new Counter({ name: 'feedloom_polls_total', help: 'Source polls by outcome (ok, not-modified, error)', labelNames: ['source', 'outcome'] as const, registers: [this.registry] })
  readonly fetchSeconds = new Histogram({
    name: 'feedloom_fetch_duration_seconds',
    help: 'Time to fetch a source, body included',
    labelNames: ['source'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })
  readonly itemsStored = new Counter({
    name: 'feedloom_items_stored_total',
    help: 'Items written to the store: new, updated (edited), merged (new items that joined another source’s story)',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  })
  readonly sourceItems = new Gauge({ name: 'feedloom_source_items', help: 'Items currently kept per source', labelNames: ['source'] as const, registers: [this.registry] })
  readonly httpRequests = new Counter({ name: 'feedloom_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] })
  readonly renderCache = new Counter({ name: 'feedloom_render_cache_total', help: 'Render cache lookups by result (hit, miss)', labelNames: ['result'] as const, registers: [this.registry] })
  readonly renderCacheBytes = new Gauge({ name: 'feedloom_render_cache_bytes', help: 'Bytes held by the render cache (bodies and their compressed forms)', registers: [this.registry] })
  readonly storeErrors = new Counter({ name: 'feedloom_store_errors_total', help: 'Store calls that failed or timed out, by where (web, poll)', labelNames: ['where'] as const, registers: [this.registry] })
  readonly storeUp = new Gauge({ name: 'feedloom_store_up', help: '1 while the web process can reach the store, 0 while it serves from its cache only', registers: [this.registry] })
  readonly jobTakeovers = new Counter({ name: 'feedloom_job_takeovers_total', help: 'Poll jobs taken back from a worker that stopped answering (BullMQ stalled jobs)', registers: [this.registry] })
  private queueCounts?: () => Promise<Record<string, number>>
  readonly queueJobs = new Gauge({
    name: 'feedloom_queue_jobs',
    help: 'Poll jobs in the BullMQ queue by state (waiting, delayed, active, prioritized)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.queueCounts) return
      const counts = await this.queueCounts().catch(() => undefined)
      for (const [state, n] of Object.entries(counts ?? {})) this.queueJobs.set({ state }, n)
    },
  })

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

  recordMerged(source: string, merged: number): void {
    if (merged) this.itemsStored.inc({ source, kind: 'merged' }, merged)
  }

  /** Where the queue depth comes from, read at each scrape. */
  observeQueue(counts: () => Promise<Record<string, number>>): void {
    this.queueCounts = counts
  }
}
