/**
 * An optional per-client rate limit on public routes (`site.rateLimit`, issue 12 §7): a token
 * bucket per client address, refilled at `perMinute` a minute up to `burst`. Per web process:
 * behind N processes a client gets up to N times the limit, which still stops one client from
 * taking a process for itself. Operators' routes (/healthz, /metrics) and hubs' deliveries are
 * never limited.
 */
import type { IncomingMessage } from 'node:http'
import type { RateLimitConfig } from '../model.js'

/** Clients remembered at most; the least recently seen are forgotten first (they come back with a full bucket). */
export const RATE_LIMIT_CLIENTS = 100_000

/** Paths no client limit applies to: load balancers, Prometheus and WebSub hubs call them. */
const UNLIMITED = /^\/(healthz|metrics|websub\/)/

interface Bucket {
  tokens: number
  at: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly burst: number
  private readonly perMs: number

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = config.burst ?? config.perMinute
    this.perMs = config.perMinute / 60_000
  }

  /** 0 when `req` may go ahead (and it is counted), else the seconds until it may. */
  retryAfter(req: IncomingMessage): number {
    if (UNLIMITED.test(req.url ?? '')) return 0
    const client = this.client(req)
    const now = this.now()
    const bucket = this.buckets.get(client) ?? { tokens: this.burst, at: now }
    this.buckets.delete(client)
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs)
    bucket.at = now
    this.buckets.set(client, bucket)
    if (this.buckets.size > RATE_LIMIT_CLIENTS) this.buckets.delete(this.buckets.keys().next().value!)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000))
  }

  /** The socket's address, or behind a trusted proxy the address it saw (the last one it appended). */
  private client(req: IncomingMessage): string {
    if (this.config.trustProxy) {
      const forwarded = req.headers['x-forwarded-for']
      const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim()
      if (last) return last
    }
    return req.socket.remoteAddress ?? 'unknown'
  }
}
