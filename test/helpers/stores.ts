import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Every backend a store test runs on: memory and SQLite always, Redis and PostgreSQL when the
 * environment names them (CI does). A missing one is a skipped test that says why.
 */
export function storeBackends(): Array<[name: string, url: string | undefined, why: string]> {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-store-'))
  return [
    ['memory', 'memory://', ''],
    ['sqlite', `sqlite://${join(dir, 'store.sqlite')}`, ''],
    ['redis', process.env.REDIS_URL, 'REDIS_URL is not set: Redis store tests skipped (CI sets it)'],
    ['postgres', process.env.DATABASE_URL, 'DATABASE_URL is not set: PostgreSQL store tests skipped (CI sets it)'],
  ]
}
