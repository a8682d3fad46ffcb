/**
 * One server under load, in its own process so the load generator never shares its event loop:
 *   feedloom  the production handler (`createHandler`, fast path and all) over a filled store;
 *             reports its port and the identity bytes and ETag of /feeds/all.rss
 *   baseline  a plain node:http server answering those same bytes from memory
 *   search    the production handler over the SQLite store at argv[3] (argv[4] sources), once its
 *             search index is built; reports its port, the build time and its RSS
 */
import { createServer, type RequestListener } from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createHandler } from '../src/http/app.js'
import { RevWatcher } from '../src/http/rev.js'
import { Metrics } from '../src/metrics.js'
import { silentLogger } from '../src/log.js'
import pino from 'pino'
import { openStore } from '../src/store/index.js'
import { benchConfig, fillStore } from './data.js'

/** Hot feed: 20 sources, the default 50 items of `all`. */
const HOT_SOURCES = 20
const HOT_PER_SOURCE = 20

async function listen(handler: RequestListener): Promise<number> {
  const server = createServer(handler)
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const role = process.argv[2]
if (role === 'feedloom') {
  const store = await fillStore('memory://', HOT_SOURCES, HOT_PER_SOURCE)
  const rev = new RevWatcher(store, silentLogger)
  await rev.refresh()
  const port = await listen(createHandler({ config: benchConfig(HOT_SOURCES), store, rev, metrics: new Metrics(), log: silentLogger }))
  const res = await fetch(`http://127.0.0.1:${port}/feeds/all.rss`, { headers: { 'Accept-Encoding': 'identity' } })
  const body = Buffer.from(await res.arrayBuffer())
  process.send!({ port, body: body.toString('base64'), etag: res.headers.get('etag'), type: res.headers.get('content-type') })
} else if (role === 'baseline') {
  process.once('message', async (message: { body: string; type: string }) => {
    const body = Buffer.from(message.body, 'base64')
    const port = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': message.type, 'Content-Length': body.length })
      res.end(body)
    })
    process.send!({ port })
  })
} else if (role === 'search') {
  // A web process over a filled SQLite store, as `feedloom web` runs: the index builds at start.
  const [, , , path, sources] = process.argv
  const store = await openStore(`sqlite://${path}`, { readMostly: true })
  const rev = new RevWatcher(store, silentLogger)
  await rev.refresh()
  const started = performance.now()
  let built!: () => void
  const ready = new Promise<void>((resolve) => (built = resolve))
  const log = pino({ level: 'info' }, { write: (line: string) => line.includes('search index:') && built() })
  const port = await listen(createHandler({ config: benchConfig(Number(sources)), store, rev, metrics: new Metrics(), log, buildSearchIndex: true }))
  await ready
  // Exits on SIGTERM rather than dying of it, so a profile asked for with BENCH_SEARCH_NODE_FLAGS is written.
  process.once('SIGTERM', () => process.exit(0))
  // RSS counts the pages of the store file read through its memory map (the kernel's page cache,
  // shared and given back under pressure); RssAnon is the process's own memory.
  const anonKb = Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN)
  process.send!({ port, buildMs: performance.now() - started, rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20), anonMb: Math.round(anonKb / 1024) })
} else {
  throw new Error(`bench/server: unknown role ${role}`)
}
