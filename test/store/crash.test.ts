import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { snapshot, violations, worldConfig } from './crash-world.js'
import { startRedis, type PrivateRedis } from '../helpers/redis-server.js'

/**
 * Issue 9 §2: a poll's commit is atomic on every backend. A real poller process (crash-child.ts)
 * is killed with SIGKILL at random instants inside its commits — it says when one starts — and
 * after every kill the store must be consistent (crash-world.ts `violations`); once it has caught
 * up, the store must equal that of a poller that was never killed: same items, ids, clusters and
 * first-seen times. The same when the store itself fails in the middle of a commit.
 */
const CHILD = join(import.meta.dirname, 'crash-child.ts')
const KILLS = 6

interface Run {
  /** Commits begun and finished, by number. */
  begun: number
  finished: number
  exit: number | null
  killedInside: boolean
  /** How long each finished commit took, as seen from here. */
  commitMs: number[]
  output: string
}

/**
 * Runs the poller until it finishes, or until `killAt` says so: called at each commit's start with
 * its number, it may return a delay after which the poller (or something else: `kill`) is killed.
 */
function runChild(url: string, dir: string, killAt?: (n: number) => number | undefined, kill?: () => Promise<void>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    const run: Run = { begun: 0, finished: 0, exit: null, killedInside: false, commitMs: [], output: '' }
    let killing = false
    let begunAt = 0
    let buffered = ''
    child.stderr.on('data', (d) => (run.output += d))
    child.stdout.on('data', (data) => {
      buffered += data
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [what, n] = line.split(' ')
        if (what === 'apply') {
          run.begun = Number(n)
          begunAt = performance.now()
          const delay = killing ? undefined : killAt?.(run.begun)
          if (delay === undefined) continue
          killing = true
          setTimeout(() => {
            run.killedInside = run.finished < run.begun
            if (kill) void kill().then(() => child.kill('SIGKILL'))
            else child.kill('SIGKILL')
          }, delay)
        } else if (what === 'done') {
          run.finished = Number(n)
          run.commitMs.push(performance.now() - begunAt)
        }
      }
    })
    child.on('exit', (code) => {
      run.exit = code
      resolve(run)
    })
  })
}

/** A random commit among the next few, and a random instant within the time a commit takes. */
function randomKill(commitMs: number): (n: number) => number | undefined {
  const target = 1 + Math.floor(Math.random() * 6)
  return (n) => (n >= target ? Math.random() * commitMs : undefined)
}

async function crashAndCompare(name: string, clean: string, crashed: string, options: { kill?: () => Promise<void>; afterKill?: () => Promise<void> } = {}): Promise<void> {
  const cleanDir = mkdtempSync(join(tmpdir(), `feedloom-crash-clean-${name}-`))
  const dir = mkdtempSync(join(tmpdir(), `feedloom-crash-${name}-`))
  const config = worldConfig(dir)

  const reference = await runChild(clean, cleanDir)
  expect(reference.exit, reference.output).toBe(0)
  const cleanStore = await openStore(clean)
  const expected = await snapshot(cleanStore, worldConfig(cleanDir))
  await cleanStore.close()
  expect(Object.values(expected).flat().length).toBeGreaterThan(100)
  // Kills are aimed within the time a commit takes on this backend and machine (Redis commits
  // take a millisecond or two; a fixed window of 8 ms let every kill of a run land between them).
  const commitMs = [...reference.commitMs].sort((a, b) => a - b)[Math.floor(reference.commitMs.length / 2)]

  let inside = 0
  let kill = 0
  // KILLS kills, and more (up to three times as many) until one has landed inside a commit.
  for (; kill < KILLS || (inside === 0 && kill < KILLS * 3); kill++) {
    // The first kill at once (the commit has just begun: sub-millisecond commits are otherwise easy to miss), the rest anywhere in one.
    const run = await runChild(crashed, dir, randomKill(kill === 0 ? 0 : commitMs), options.kill)
    if (run.killedInside) inside++
    await options.afterKill?.()
    const store = await openStore(crashed)
    try {
      expect(await violations(store, config), `after kill ${kill + 1} (commit ${run.begun}, ${run.killedInside ? 'inside it' : 'after it'})`).toEqual([])
    } finally {
      await store.close()
    }
  }
  const last = await runChild(crashed, dir)
  expect(last.exit, last.output).toBe(0)
  const store = await openStore(crashed)
  try {
    expect(await violations(store, config)).toEqual([])
    expect(await snapshot(store, config)).toEqual(expected)
  } finally {
    await store.close()
  }
  console.log(`${name}: ${kill} kills, ${inside} inside a commit (median commit ${commitMs.toFixed(1)} ms)`)
  // Kills land at random: most of them inside a commit (it is where the poller spends its time),
  // but the test only means something if some do.
  expect(inside).toBeGreaterThan(0)
}

describe('kill -9 during commits', { timeout: 300_000 }, () => {
  it('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feedloom-crash-sqlite-'))
    await crashAndCompare('sqlite', `sqlite://${join(dir, 'clean.sqlite')}`, `sqlite://${join(dir, 'crashed.sqlite')}`)
  })

  it('Redis', async () => {
    const redis = await startRedis()
    try {
      await crashAndCompare('redis', `${redis.url}/1`, `${redis.url}/2`)
    } finally {
      await redis.close()
    }
  })

  const postgres = process.env.DATABASE_URL
  const runPg = postgres ? it : it.skip
  if (!postgres) it.skip('DATABASE_URL is not set: PostgreSQL crash tests skipped (CI sets it)', () => {})
  runPg('PostgreSQL', async () => {
    await withSchemas(postgres!, 2, async ([clean, crashed]) => crashAndCompare('postgres', clean, crashed))
  })
})

describe('the store failing in the middle of a commit', { timeout: 300_000 }, () => {
  let redis: PrivateRedis | undefined
  afterAll(() => redis?.close())

  it('Redis killed with -9 (and started again from its append-only file) loses no commit and splits none', async () => {
    redis = await startRedis({ durable: true })
    const clean = await startRedis()
    try {
      // The server dies inside a commit; the poller, left without a store, is killed with it.
      await crashAndCompare('redis-server', `${clean.url}/0`, `${redis.url}/0`, { kill: () => redis!.kill(), afterKill: () => redis!.start() })
    } finally {
      await clean.close()
    }
  })

  const postgres = process.env.DATABASE_URL
  const runPg = postgres ? it : it.skip
  runPg('PostgreSQL connections cut by the server inside a commit', async () => {
    await withSchemas(postgres!, 2, async ([clean, crashed]) => {
      const admin = new pg.Client({ connectionString: postgres })
      await admin.connect()
      try {
        const app = new URL(crashed).searchParams.get('application_name')
        // The server ends the poller's sessions, as a failover or an administrator would.
        const cut = async () => void (await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]))
        await crashAndCompare('postgres-cut', clean, crashed, { kill: cut })
      } finally {
        await admin.end()
      }
    })
  })
})

/** Fresh schemas on the shared PostgreSQL (never its public tables), as store URLs that use them. */
async function withSchemas(url: string, count: number, fn: (urls: string[]) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const names = Array.from({ length: count }, (_, i) => `feedloom_crash_${Date.now().toString(36)}_${i}`)
  try {
    for (const name of names) await admin.query(`CREATE SCHEMA ${name}`)
    await fn(
      names.map((name) => {
        const u = new URL(url)
        u.searchParams.set('options', `-c search_path=${name}`)
        u.searchParams.set('application_name', name)
        return u.href
      }),
    )
  } finally {
    for (const name of names) await admin.query(`DROP SCHEMA ${name} CASCADE`).catch(() => undefined)
    await admin.end()
  }
}
