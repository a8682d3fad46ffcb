import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli.js'
import { captureIo, listen, startFeedServer } from '../helpers/servers.js'
import { assertWellFormedXml, validateJsonFeed } from '../helpers/validate.js'

const ROOT = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'feedloom-cli-'))
const rss = (title: string) =>
  `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>${title}</title><link>https://x.example/</link><description>d</description>` +
  `<item><title>${title} 一</title><link>https://x.example/${title}/1.html</link><pubDate>Thu, 19 Sep 2024 17:11:51 +0800</pubDate></item></channel></rss>`

let feeds: Awaited<ReturnType<typeof startFeedServer>>
function writeConfig(name: string, sources: Array<{ id: string; url: string }>): string {
  const path = join(dir, name)
  writeFileSync(
    path,
    JSON.stringify({
      site: { title: '测试', url: 'https://news.example.org' },
      disclaimer: { text: '本网只是转载。' },
      categories: { local: { title: '本地' } },
      sources: sources.map((s) => ({ ...s, title: `${s.id} 标题`, categories: ['local'] })),
    }),
  )
  return path
}

beforeAll(async () => {
  feeds = await startFeedServer(new Map([['/a.xml', { body: Buffer.from(rss('甲')), contentType: 'application/rss+xml' }], ['/b.xml', { body: Buffer.from(rss('乙')), contentType: 'application/rss+xml' }]]))
})
afterAll(() => feeds.close())

describe('feedloom check-config', () => {
  it('prints ok for a valid config', async () => {
    const io = captureIo()
    expect(await main(['check-config', '--config', join(ROOT, 'feeds.config.ts')], io)).toBe(0)
    expect(io.out()).toMatch(/ok — \d+ sources in \d+ categories/)
  })
  it('prints each error with its path and exits 1', async () => {
    const path = join(dir, 'bad.json')
    writeFileSync(path, JSON.stringify({ site: { title: 't', url: 'x' }, disclaimer: { text: 'd' }, categories: { a: { title: 'A' } }, sources: [{ id: 's', title: 'S', url: 'gopher://x', categories: ['b'] }] }))
    const io = captureIo()
    expect(await main(['check-config', '--config', path], io)).toBe(1)
    // Every problem in one pass, each with the value it found (issue 11 §7).
    expect(io.err()).toBe(
      `config: ${path}: 3 problems\n` +
        '  site.url: "x" is not an absolute http(s):// URL\n' +
        '  sources[0].categories[0]: unknown category "b" (known: a)\n' +
        '  sources[0].url: "gopher://x" is not an http(s):// or file:// URL\n',
    )
  })
  it('counts in words that agree with the numbers', async () => {
    const io = captureIo()
    expect(await main(['check-config', '--config', writeConfig('one.json', [{ id: 'a', url: `${feeds.url}/a.xml` }])], io)).toBe(0)
    expect(io.out()).toMatch(/: ok — 1 source in 1 category\n$/)
  })
  it('FEEDLOOM_CONFIG is used when --config is absent, and the flag wins over it', async () => {
    const good = writeConfig('env.json', [{ id: 'a', url: `${feeds.url}/a.xml` }])
    const io = captureIo({ FEEDLOOM_CONFIG: good })
    expect(await main(['check-config'], io)).toBe(0)
    const io2 = captureIo({ FEEDLOOM_CONFIG: join(dir, 'missing.json') })
    expect(await main(['check-config', '--config', good], io2)).toBe(0)
  })
})

describe('feedloom poll', () => {
  it('prints one line per source when not on a TTY, exits 1 when one failed', async () => {
    const path = writeConfig('poll.json', [
      { id: 'a', url: `${feeds.url}/a.xml` },
      { id: 'gone', url: `${feeds.url}/missing.xml` },
    ])
    const io = captureIo()
    expect(await main(['poll', '--config', path, '--store', 'memory://'], io)).toBe(1)
    expect(io.out()).toMatch(/^ok\s+a: 1 new, 0 updated, 1 kept/m)
    expect(io.out()).toMatch(/^FAILED\s+gone: fetch: HTTP 404/m)
    expect(io.out()).toMatch(/^polled 2 sources: 1 ok, 1 failed, 1 new item\n$/m)
    // Each failure once: no JSON log line repeating it (issue 11 §10).
    expect(io.out().match(/HTTP 404/g)).toHaveLength(1)
    expect(io.out()).not.toMatch(/"level"/)
  })
  it('prints the log records too when LOG_LEVEL asks for them', async () => {
    const path = writeConfig('poll-log.json', [{ id: 'gone', url: `${feeds.url}/missing.xml` }])
    const lines: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    // pino writes to the process's stdout, not to the CLI's io.
    process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write
    try {
      expect(await main(['poll', '--config', path, '--store', 'memory://'], captureIo({ LOG_LEVEL: 'error' }))).toBe(1)
    } finally {
      process.stdout.write = write
    }
    expect(lines.join('')).toMatch(/"level":50.*HTTP 404/)
  })
  it('says so in one line when every source failed', async () => {
    const closed = await listen(() => undefined)
    await closed.close()
    const path = writeConfig('all-down.json', [{ id: 'a', url: `${closed.url}/a.xml` }, { id: 'b', url: `${closed.url}/b.xml` }])
    const io = captureIo()
    expect(await main(['poll', '--config', path, '--store', 'memory://'], io)).toBe(1)
    expect(io.out().trimEnd().split('\n').at(-1)).toBe('every source failed; the most common error (2 sources): fetch: connection refused — is this machine offline, or behind a proxy?')
  })
  it('--source polls only the named sources and exits 0 when they succeed', async () => {
    const path = writeConfig('some.json', [
      { id: 'a', url: `${feeds.url}/a.xml` },
      { id: 'b', url: `${feeds.url}/b.xml` },
    ])
    const io = captureIo()
    expect(await main(['poll', '--source', 'b', '--config', path, '--store', 'memory://'], io)).toBe(0)
    expect(io.out()).not.toMatch(/\ba:/)
    expect(io.out()).toMatch(/ok\s+b:/)
    const bad = captureIo()
    expect(await main(['poll', '--source', 'zzz', '--config', path, '--store', 'memory://'], bad)).toBe(1)
    expect(bad.err()).toContain('--source: unknown source id "zzz"')
  })
  it('draws a progress bar on a TTY', async () => {
    const path = writeConfig('tty.json', [{ id: 'a', url: `${feeds.url}/a.xml` }])
    let err = ''
    const io = captureIo()
    const stderr = Object.assign(new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) }), { isTTY: true, columns: 80 })
    expect(await main(['poll', '--config', path, '--store', 'memory://'], { ...io, stderr })).toBe(0)
    expect(err).toMatch(/\r\x1b\[2K\[#+\] 1\/1 a/)
  })
})

describe('feedloom preview and options', () => {
  it('names the command once in its errors', async () => {
    const io = captureIo()
    expect(await main(['preview', '--config', writeConfig('preview.json', [{ id: 'a', url: `${feeds.url}/a.xml` }])], io)).toBe(1)
    expect(io.err()).toBe('feedloom preview: name exactly one source with --source ID\n')
  })
  it('prints what a source yields, counting in agreeing words', async () => {
    const io = captureIo()
    expect(await main(['preview', '--source', 'a', '--config', writeConfig('preview1.json', [{ id: 'a', url: `${feeds.url}/a.xml` }])], io)).toBe(0)
    expect(io.out()).toMatch(/ · 1 item\n/)
  })
  it('refuses a FEEDLOOM_SECRET too short to keep image addresses unguessable', async () => {
    const io = captureIo({ FEEDLOOM_SECRET: 'short' })
    expect(await main(['check-config'], io)).toBe(2)
    expect(io.err()).toMatch(/^FEEDLOOM_SECRET: must be at least 16 characters, got 5\n/)
  })
})

// opml export and import: test/cli/opml.test.ts

describe('feedloom start with every source unreachable', () => {
  it('starts, serves empty-but-valid feeds, and /status says why each source failed', async () => {
    const closed = await listen(() => undefined)
    await closed.close() // a port that was just free: nothing listens there now
    const path = writeConfig('offline.json', [
      { id: 'refused', url: `${closed.url}/feed.xml` },
      { id: 'nofile', url: 'file:///nonexistent/feed.xml' },
    ])
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/bin.ts'), 'start', '--config', path, '--store', 'memory://', '--port', '0'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' } })
    try {
      let out = ''
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d
          const m = /"port":(\d+)/.exec(out)
          if (m) resolve(Number(m[1]))
        })
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
      })
      const base = `http://127.0.0.1:${port}`
      type Status = { sources: Array<{ id: string; health: string; lastError?: string }> }
      const allFailing = (s: Status) => s.sources.length === 2 && s.sources.every((r) => r.health === 'failing')
      let status: Status = await (await fetch(`${base}/status.json`)).json()
      // the first polls run in the background right after start; wait for them (bounded)
      for (let i = 0; i < 100 && !allFailing(status); i++) {
        await new Promise((r) => setTimeout(r, 100))
        status = await (await fetch(`${base}/status.json`)).json()
      }
      const byId = Object.fromEntries(status.sources.map((s) => [s.id, s.lastError]))
      expect(byId.refused).toMatch(/^fetch: connection refused/)
      expect(byId.nofile).toMatch(/^fetch: no such file/)
      // One line on top says that nothing works, and the most common reason (issue 11 §6).
      const page = await (await fetch(`${base}/status`)).text()
      expect(page).toMatch(/<p class="notice" role="alert"><strong>全部 2 个来源都抓取失败。<\/strong>/)
      // …and the log says it once at start-up, rather than only one error per source.
      for (let i = 0; i < 50 && !out.includes('every source failed'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(out.match(/every source failed; the most common error \([^)]*\): fetch: [^"]*/g)).toHaveLength(1)
      const feed = await (await fetch(`${base}/feeds/all.json`)).json()
      expect(feed.items).toEqual([])
      expect(validateJsonFeed(feed)).toEqual([])
      assertWellFormedXml(await (await fetch(`${base}/feeds/all.rss`)).text())
      assertWellFormedXml(await (await fetch(`${base}/feeds/local.atom`)).text())
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
