/**
 * The heap budget the `feedloom` command ships (bin/feedloom.js's `#!` line): every way a user
 * starts it — the installed bin, `npm start`, the Procfile's worker — runs that file, so gets those
 * flags, and they reach node and the reader threads. The Procfile's web process (it polls nothing)
 * runs the same file under node flags of its own: a young generation eight times as large.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/feedloom.js')
const shebang = readFileSync(BIN, 'utf8').split('\n')[0]

describe('the feedloom command', () => {
  it('names its node flags on its #! line, and npm start and the Procfile run that file', () => {
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node --max-semi-space-size=2 --max-old-space-size=1024$/)
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.bin.feedloom).toBe('bin/feedloom.js')
    expect(pkg.scripts.start).toBe('exec ./bin/feedloom.js start')
    const procfile = readFileSync(join(ROOT, 'Procfile'), 'utf8').trim().split('\n')
    // A web process polls nothing, so the round's memory budget is not its own: node runs that file with V8's default young generation.
    expect(procfile).toEqual(['web: node --max-semi-space-size=16 --max-old-space-size=1024 bin/feedloom.js web', 'worker: ./bin/feedloom.js worker'])
  })

  it('runs with those limits on the main thread and in its threads', async () => {
    const reports = await heapLimits()
    expect(Object.keys(reports).sort()).toEqual(['main', 'thread'])
    for (const r of Object.values(reports) as Array<{ limit: number }>) {
      // The limit is the old generation's 1 GiB plus the young generation's few MiB (node's default here is ~4 GiB).
      expect(r.limit).toBeGreaterThanOrEqual(1024 * 2 ** 20)
      expect(r.limit).toBeLessThan(1100 * 2 ** 20)
    }
  })

  it("runs the Procfile's web process with the same old generation and a young generation eight times as large", async () => {
    const web = readFileSync(join(ROOT, 'Procfile'), 'utf8').split('\n').find((l) => l.startsWith('web: '))!.slice('web: '.length).split(' ')
    expect(web[0]).toBe('node')
    const [main, poll] = [(await heapLimits(web.slice(1, -2))).main, (await heapLimits()).main]
    // heap_size_limit is the old generation's limit plus three semi-spaces' worth (two and the large-object share): 3 × (16 − 2) MiB more.
    expect(main.limit - poll.limit).toBe(3 * 14 * 2 ** 20)
  })
})

/** The heap limits the feedloom command (`--help`) runs with in its main thread and in a thread it starts: run as itself, or as `node ...nodeFlags bin/feedloom.js`. */
async function heapLimits(nodeFlags?: string[]): Promise<Record<string, { limit: number }>> {
  // A module preloaded into the real command reports the heap limits of each thread it starts in.
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-entry-'))
  const probe = join(dir, 'probe.cjs')
  writeFileSync(
    probe,
    `const v8 = require('v8'), { isMainThread, Worker } = require('worker_threads')
const report = (who) => process.stderr.write(who + ' ' + JSON.stringify({ limit: v8.getHeapStatistics().heap_size_limit }) + '\\n')
if (isMainThread) { report('main'); new Worker('require("v8"); 0', { eval: true }).on('exit', () => {}) } else report('thread')
`,
  )
  const [command, args] = nodeFlags ? [process.execPath, [...nodeFlags, BIN, '--help']] : [BIN, ['--help']]
  const { stdout, stderr } = await promisify(execFile)(command, args, { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } })
  expect(stdout).toContain('feedloom')
  return Object.fromEntries(stderr.trim().split('\n').map((line) => [line.split(' ')[0], JSON.parse(line.slice(line.indexOf(' ') + 1))]))
}
