/**
 * The heap budget the `feedloom` command ships (bin/feedloom.js's `#!` line): every way a user
 * starts it — the installed bin, `npm start`, the Procfile — runs that file, so gets those flags,
 * and they reach node and the reader threads.
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
    expect(procfile).toEqual(['web: ./bin/feedloom.js web', 'worker: ./bin/feedloom.js worker'])
  })

  it('runs with those limits on the main thread and in its threads', async () => {
    // A module preloaded into the real command reports the heap limits of each thread it starts in.
    const dir = mkdtempSync(join(tmpdir(), 'feedloom-entry-'))
    const probe = join(dir, 'probe.cjs')
    writeFileSync(
      probe,
      `const v8 = require('v8'), { isMainThread, Worker } = require('worker_threads')
const report = (who) => process.stderr.write(who + ' ' + JSON.stringify({ limit: v8.getHeapStatistics().heap_size_limit, semi: v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space') }) + '\\n')
if (isMainThread) { report('main'); new Worker('require("v8"); 0', { eval: true }).on('exit', () => {}) } else report('thread')
`,
    )
    const { stdout, stderr } = await promisify(execFile)(BIN, ['--help'], { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } })
    expect(stdout).toContain('feedloom')
    const reports = Object.fromEntries(stderr.trim().split('\n').map((line) => [line.split(' ')[0], JSON.parse(line.slice(line.indexOf(' ') + 1))]))
    expect(Object.keys(reports).sort()).toEqual(['main', 'thread'])
    for (const r of Object.values(reports) as Array<{ limit: number }>) {
      // The limit is the old generation's 1 GiB plus the young generation's few MiB (node's default here is ~4 GiB).
      expect(r.limit).toBeGreaterThanOrEqual(1024 * 2 ** 20)
      expect(r.limit).toBeLessThan(1100 * 2 ** 20)
    }
  })
})
