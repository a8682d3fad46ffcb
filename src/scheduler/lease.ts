import { randomUUID } from 'node:crypto'
import type { StoreLocation } from '../store/url.js'
import { AppError, errorMessage } from '../errors.js'

/**
 * Named, expiring leases shared by every worker of a deployment (DESIGN.md "One machine, then
 * many"): a source is polled by one worker at a time, and a dead worker's sources are taken over
 * when its lease expires. Holders renew while they work.
 */
export interface Leases {
  /** Takes the lease when it is free or expired; true when `holder` now has it. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>
  /** Extends a lease this holder still has; false when it was lost (expired and taken). */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>
  release(name: string, holder: string): Promise<void>
  close(): Promise<void>
}

/** How long a poll lease lasts without renewal: longer than any one fetch (30 s) with room to spare. */
export const POLL_LEASE_MS = 120_000
/** How long the commit lock lasts without renewal; commits take milliseconds. */
export const COMMIT_LEASE_MS = 30_000
/** How often a waiting worker retries a held commit lock. */
const COMMIT_RETRY_MS = 25

/** One process: a map is enough (memory:// and sqlite:// stores). */
export class LocalLeases implements Leases {
  private readonly held = new Map<string, { holder: string; until: number }>()
  constructor(private readonly clock: () => number = Date.now) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.held.get(name)
    if (current && current.holder !== holder && current.until > this.clock()) return false
    this.held.set(name, { holder, until: this.clock() + ttlMs })
    return true
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.held.get(name)
    if (!current || current.holder !== holder) return false
    current.until = this.clock() + ttlMs
    return true
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.held.get(name)?.holder === holder) this.held.delete(name)
  }

  async close(): Promise<void> {}
}

// Compare-and-act scripts: only the holder may extend or drop its lease.
const RENEW_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

/** Redis: `SET key holder NX PX ttl`, renewed and released by compare-and-set scripts. */
export class RedisLeases implements Leases {
  private constructor(private readonly client: import('@redis/client').RedisClientType) {}

  static async connect(url: string): Promise<RedisLeases> {
    const { createClient } = await import('@redis/client')
    const client = createClient({ url, socket: { connectTimeout: 10_000 } }) as import('@redis/client').RedisClientType
    client.on('error', () => undefined) // reconnects on its own; calls fail with their own errors
    await client.connect()
    return new RedisLeases(client)
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(`feedloom:lease:${name}`, holder, { NX: true, PX: ttlMs })) === 'OK'
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return Number(await this.client.eval(RENEW_SCRIPT, { keys: [`feedloom:lease:${name}`], arguments: [holder, String(ttlMs)] })) === 1
  }

  async release(name: string, holder: string): Promise<void> {
    await this.client.eval(RELEASE_SCRIPT, { keys: [`feedloom:lease:${name}`], arguments: [holder] })
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => undefined)
  }
}

/** PostgreSQL: one row per lease; taking it is an upsert that only wins over an expired row. */
export class PostgresLeases implements Leases {
  private constructor(private readonly pool: import('pg').Pool) {}

  static async connect(url: string): Promise<PostgresLeases> {
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 })
    await pool.query('CREATE TABLE IF NOT EXISTS feedloom_leases (name text PRIMARY KEY, holder text NOT NULL, expires timestamptz NOT NULL)')
    return new PostgresLeases(pool)
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO feedloom_leases (name, holder, expires) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires = EXCLUDED.expires
       WHERE feedloom_leases.expires < now() OR feedloom_leases.holder = EXCLUDED.holder`,
      [name, holder, ttlMs],
    )
    return rowCount === 1
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE feedloom_leases SET expires = now() + $3 * interval '1 millisecond' WHERE name = $1 AND holder = $2`, [name, holder, ttlMs])
    return rowCount === 1
  }

  async release(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM feedloom_leases WHERE name = $1 AND holder = $2', [name, holder])
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined)
  }
}

/** The lease backend that matches the store: shared stores get shared leases. */
export async function openLeases(location: StoreLocation): Promise<Leases> {
  try {
    if (location.kind === 'redis') return await RedisLeases.connect(location.url)
    if (location.kind === 'postgres') return await PostgresLeases.connect(location.url)
  } catch (error) {
    throw new AppError(`lease: cannot connect to ${location.kind}: ${errorMessage(error)}`, { cause: error })
  }
  return new LocalLeases()
}

/** A unique name for this process among the workers of a deployment. */
export function holderId(): string {
  return `${process.pid}-${randomUUID().slice(0, 8)}`
}

/**
 * Runs `fn` while holding the lease, renewing it every third of its life. Resolves to `undefined`
 * without running when another holder has it.
 */
export async function withLease<T>(leases: Leases, name: string, holder: string, ttlMs: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  if (!(await leases.acquire(name, holder, ttlMs))) return { ran: false }
  const timer = setInterval(() => void leases.renew(name, holder, ttlMs).catch(() => undefined), Math.max(10, ttlMs / 3))
  timer.unref()
  try {
    return { ran: true, value: await fn() }
  } finally {
    clearInterval(timer)
    await leases.release(name, holder).catch(() => undefined)
  }
}

/** A lock across processes built on leases: waits its turn (bounded), for the short commit section. */
export class LeaseLock {
  constructor(
    private readonly leases: Leases,
    private readonly holder: string,
    private readonly name = 'commit',
    private readonly ttlMs = COMMIT_LEASE_MS,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.ttlMs * 2
    for (;;) {
      const result = await withLease(this.leases, this.name, this.holder, this.ttlMs, fn)
      if (result.ran) return result.value
      if (Date.now() > deadline) throw new AppError(`lease: the ${this.name} lock stayed busy for ${(this.ttlMs * 2) / 1000} s`)
      await this.sleep(COMMIT_RETRY_MS)
    }
  }
}
