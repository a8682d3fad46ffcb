/**
 * Graceful shutdown with real processes (issue 12 §4, issue 11 §11): SIGTERM to `start`, `web`
 * and `worker`, to the process `npm start` and `npx feedloom` started, with a client that sent
 * half its headers and a fetch that never answers in flight: exit 0 within 10 s, polls handed
 * back (nothing recorded against the source; a BullMQ job back in the queue), a second signal ends
 * the process at once.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { freePort, ROOT, rss, SITE, spawnFeedloom, startRedis, until, writeConfig, type Feedloom, type PrivateRedis } from './procs.js'

/** SPEC-level promise: gone within 10 s of SIGTERM, whatever clients and sources do. */
const EXIT_WITHIN_MS = 10_000

let feeds: Server
let feedsUrl: string
const hits: string[] = []
/** Requests to /slow.xml are held until the test ends (a portal that accepts and never answers). */
const held: Array<() => void> = []
let slowAnswers = false

beforeAll(async () => {
  feeds = createServer((req, res) => {
    hits.push(req.url ?? '')
    if (req.url === '/slow.xml' && !slowAnswers) return void held.push(() => res.destroy())
    res.writeHead(200, { 'Content-Type': 'application/rss+xml' }).end(rss('t', [{ guid: 'g1', title: '慢新闻', text: '正文', at: Date.parse('2026-01-01T00:00:00Z') }]))
  })
  await new Promise<void>((resolve) => feeds.listen(0, '127.0.0.1', resolve))
  feedsUrl = `http://127.0.0.1:${(feeds.address() as { port: number }).port}`
})
afterAll(async () => {
  for (const release of held) release()
  feeds.closeAllConnections()
  await new Promise((resolve) => feeds.close(resolve))
})

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function slowConfig() {
  // Once a year: the only poll is the one at start (the source was never polled).
  const config = writeConfig({ ...SITE, sources: [{ id: 'slow', title: '慢', url: `${feedsUrl}/slow.xml`, categories: ['local'], schedule: '0 0 1 1 *' }] })
  cleanup.push(config.cleanup)
  return config
}

/** A client that sends half a request and then nothing, holding its connection open. */
async function halfRequest(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write('GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nAccept: applica')
  socket.on('error', () => undefined)
  cleanup.push(() => socket.destroy())
  return socket
}

/** An idle keep-alive client: one full request answered, connection left open. */
async function keepAlive(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
  await new Promise((resolve) => socket.once('data', resolve))
  socket.on('error', () => undefined)
  cleanup.push(() => socket.destroy())
  return socket
}

async function sigterm(p: Feedloom, signal: NodeJS.Signals = 'SIGTERM') {
  const sent = Date.now()
  p.kill(signal)
  const exit = await p.exited
  return { ...exit, tookMs: exit.at - sent }
}

async function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(false)))
    socket.once('error', () => resolve(true))
  })
}

describe('SIGTERM', () => {
  it('`start` with a fetch that never answers and a client that sent half its headers exits 0 within 10 s, recording nothing against the source', async () => {
    const config = slowConfig()
    const storeUrl = `sqlite://${join(config.dir, 'store.sqlite')}`
    const p = spawnFeedloom(['start', '--config', config.path, '--store', storeUrl, '--port', '0'])
    cleanup.push(() => p.kill('SIGKILL'))
    const port = await p.port()
    await until(() => hits.filter((h) => h === '/slow.xml').length > 0, 'the slow fetch to start')
    await halfRequest(port)
    await keepAlive(port)
    const exit = await sigterm(p)
    expect(exit.code).toBe(0)
    expect(exit.tookMs).toBeLessThan(EXIT_WITHIN_MS)
    expect(p.output()).toMatch(/"msg":"stopped"/)
    expect(await portClosed(port)).toBe(true)
    // The aborted poll is handed back, not a failure with a backoff.
    const store = await openStore(storeUrl)
    const state = await store.getState('slow')
    await store.close()
    expect(state?.lastOutcome).toBeUndefined()
    expect(state?.consecutiveFailures ?? 0).toBe(0)
  }, 60_000)

  it('`web` with half-sent and idle keep-alive clients exits 0 within 10 s', async () => {
    const config = slowConfig()
    const p = spawnFeedloom(['web', '--config', config.path, '--store', 'memory://', '--port', '0'])
    cleanup.push(() => p.kill('SIGKILL'))
    const port = await p.port()
    const half = await halfRequest(port)
    await keepAlive(port)
    const closed = new Promise((resolve) => half.once('close', resolve))
    const exit = await sigterm(p)
    expect(exit.code).toBe(0)
    expect(exit.tookMs).toBeLessThan(EXIT_WITHIN_MS)
    await closed
  }, 60_000)

  it('a second signal ends the process at once', async () => {
    const config = slowConfig()
    const p = spawnFeedloom(['web', '--config', config.path, '--store', 'memory://', '--port', '0'])
    cleanup.push(() => p.kill('SIGKILL'))
    const port = await p.port()
    await halfRequest(port) // holds the drain for its whole deadline
    p.kill('SIGTERM')
    await p.waitFor(/shutting down/)
    const exit = await sigterm(p, 'SIGINT')
    expect(exit.code).toBe(130)
    expect(exit.tookMs).toBeLessThan(1_000)
  }, 60_000)
})

describe('SIGTERM to a worker on BullMQ', () => {
  let redis: PrivateRedis
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis?.close())

  it('hands its in-flight poll back to the queue, where the next worker takes it', async () => {
    slowAnswers = false
    const config = slowConfig()
    const before = hits.length
    const first = spawnFeedloom(['worker', '--config', config.path, '--store', redis.url])
    cleanup.push(() => first.kill('SIGKILL'))
    await until(() => hits.slice(before).includes('/slow.xml'), 'the first worker to fetch')
    const exit = await sigterm(first)
    expect(exit.code).toBe(0)
    expect(exit.tookMs).toBeLessThan(EXIT_WITHIN_MS)

    slowAnswers = true
    const second = spawnFeedloom(['worker', '--config', config.path, '--store', redis.url])
    cleanup.push(() => second.kill('SIGKILL'))
    const store = await openStore(redis.url)
    cleanup.push(() => store.close())
    await until(async () => (await store.getState('slow'))?.lastOutcome === 'ok', 'the second worker to poll the handed-back job', 30_000, 200)
    expect((await store.getState('slow'))?.consecutiveFailures).toBe(0)
    expect((await sigterm(second)).code).toBe(0)
  }, 90_000)
})

/** A project that installed feedloom, as `npx feedloom` finds it: its bin linked into node_modules/.bin. */
function installedProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-npx-'))
  writeFileSync(join(dir, 'package.json'), '{"name":"portal","private":true}')
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true })
  symlinkSync(ROOT, join(dir, 'node_modules/feedloom'))
  symlinkSync(join(ROOT, 'bin/feedloom.js'), join(dir, 'node_modules/.bin/feedloom'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('the processes npm starts', () => {
  it.each([
    ['npm start', ['npm', 'start', '--ignore-scripts', '--'], () => ROOT],
    ['npx feedloom start', ['npx', '--no-install', 'feedloom', 'start'], installedProject],
  ])('SIGTERM to %s stops the server within 10 s', async (_name, command, cwd) => {
    const config = slowConfig()
    const port = await freePort()
    const npm = spawn(command[0], [...command.slice(1), '--config', config.path, '--store', 'memory://', '--port', String(port)], { cwd: cwd(), stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'info' } })
    cleanup.push(() => npm.kill('SIGKILL'))
    await until(async () => !(await portClosed(port)), 'the server to listen', 60_000, 200)
    const sent = Date.now()
    npm.kill('SIGTERM')
    await until(() => portClosed(port), 'the server to stop listening', EXIT_WITHIN_MS, 100)
    expect(Date.now() - sent).toBeLessThan(EXIT_WITHIN_MS)
    // Nothing of the tree is left serving: the port stays closed.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await portClosed(port)).toBe(true)
  }, 90_000)
})
