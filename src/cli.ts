import type { RequestListener, Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import type { Redis } from 'ioredis'
import type { Config, SourceConfig } from './model.js'
import { AppError, ConfigError, errorMessage } from './errors.js'
import { loadConfig } from './config/index.js'
import { DEFAULT_STORE_URL, openStore, describeLocation, type Store } from './store/index.js'
import { createFetcher, PER_HOST_CONCURRENCY, type FetcherOptions } from './fetch/index.js'
import { Metrics } from './metrics.js'
import { createLogger, type Logger } from './log.js'
import { POLL_CONCURRENCY, Scheduler, TAKEOVER_MS, type Poller } from './scheduler/index.js'
import type { QueuePoller } from './scheduler/queue.js'
import { Mutex, type Lock } from './store/lock.js'
import { RevWatcher } from './http/rev.js'
import type { Fetcher } from './fetch/index.js'
import type { RefreshResult } from './refresh.js'
import { ReadPool } from './source/index.js'
import { statusSummary } from './http/status.js'
import { counted } from './plural.js'
import { stopController } from './abort.js'

const USAGE = `feedloom — feed aggregator and syndication server

Usage:
  feedloom start                      web server + scheduler in one process
  feedloom web                        web server only
  feedloom worker                     scheduler/poller only
  feedloom poll [--source ID]…        poll every (or the named) source once, store, exit 1 if any failed
  feedloom preview --source ID        show what a source yields now, without storing
  feedloom suggest URL                propose page selectors for an HTML list page
  feedloom check-config               validate the config, print each error with its path
  feedloom opml export                sources as OPML 2.0 on stdout
  feedloom opml import FILE           OPML into a feeds.config.ts skeleton on stdout

Options (flag wins over environment):
  --config PATH       FEEDLOOM_CONFIG       default ./feeds.config.ts (.ts, .mts, .js, .mjs, .json)
  --store URL         FEEDLOOM_STORE        default ${DEFAULT_STORE_URL}; memory://, redis://HOST:PORT[/DB], postgres://…
  --port N            PORT                  default 3000
  --queue URL         FEEDLOOM_QUEUE        redis://… for BullMQ across workers; default: the store's, when it is redis://
  --concurrency N     FEEDLOOM_CONCURRENCY  polls at once per process, default ${POLL_CONCURRENCY}
  --metrics-port N    METRICS_PORT          \`worker\` serves /metrics and /healthz there (default: none)
                      FEEDLOOM_TAKEOVER_MS  a dead worker's polls are taken over after this long, default ${TAKEOVER_MS}
                      LOG_LEVEL             default info
                      FEEDLOOM_SECRET       the image proxy's signing key (16+ characters); default: one kept in the store
`

export interface CliIo {
  env: NodeJS.ProcessEnv
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
}

interface Options {
  config: string
  store: string
  port: number
  queue?: string
  concurrency: number
  metricsPort?: number
  takeoverMs: number
  sources: string[]
  positionals: string[]
  /** LOG_LEVEL as set, undefined when not: `poll` then prints its own lines only. */
  logLevel?: string
  /** FEEDLOOM_SECRET: signs image proxy addresses (SPEC §8). */
  secret?: string
  /** Started by npm (`npm start`, `npx feedloom`): npm's shell may die on SIGTERM and leave us behind. */
  underNpm: boolean
}

/** Shorter is guessable; 16 characters of a passphrase or 22 of base64 carry 128 bits or near it. */
const MIN_SECRET_LENGTH = 16

/** The CLI entry: the only module that reads `process.env` (STYLE.md rule 4). Resolves to the exit code. */
export async function main(argv: string[], io: CliIo = { env: process.env, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let options: Options
  try {
    options = parseOptions(argv, io.env)
  } catch (error) {
    io.stderr.write(`${errorMessage(error)}\n\n${USAGE}`)
    return 2
  }
  const [command, ...rest] = options.positionals
  const log = createLogger(options.logLevel ?? 'info', Boolean(io.stdout.isTTY))
  try {
    switch (command) {
      case 'start':
      case 'web':
      case 'worker':
        return await serve(command, options, log)
      case 'poll':
        return await poll(options, io, log)
      case 'check-config': {
        const config = await loadConfig(options.config)
        io.stdout.write(`${options.config}: ok — ${counted(config.sources.length, 'source')} in ${counted(Object.keys(config.categories).length, 'category', 'categories')}\n`)
        return 0
      }
      case 'preview':
        return await preview(options, io, log)
      case 'suggest':
        return await suggest(rest, options, io)
      case 'opml':
        return await opml(rest, options, io)
      case undefined:
      case 'help':
        io.stdout.write(USAGE)
        return command ? 0 : 2
      default:
        io.stderr.write(`unknown command "${command}"\n\n${USAGE}`)
        return 2
    }
  } catch (error) {
    const message = errorMessage(error)
    if (error instanceof ConfigError) io.stderr.write(`${message}\n`)
    // `preview: name exactly one source…` already says which command it is.
    else io.stderr.write(`feedloom ${message.startsWith(`${command}: `) || message.startsWith(`${command} `) ? '' : `${command}: `}${message}\n`)
    return 1
  }
}

/** A whole number in [min, max] from a flag or variable, or an error naming it. */
function whole(name: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) throw new AppError(`${name}: "${text}" is not a whole number from ${min} to ${max}`)
  return n
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      store: { type: 'string' },
      port: { type: 'string' },
      queue: { type: 'string' },
      concurrency: { type: 'string' },
      'metrics-port': { type: 'string' },
      source: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const secret = env.FEEDLOOM_SECRET
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) throw new AppError(`FEEDLOOM_SECRET: must be at least ${MIN_SECRET_LENGTH} characters, got ${secret.length}`)
  const metricsPort = values['metrics-port'] ?? env.METRICS_PORT
  return {
    config: values.config ?? env.FEEDLOOM_CONFIG ?? './feeds.config.ts',
    store: values.store ?? env.FEEDLOOM_STORE ?? DEFAULT_STORE_URL,
    port: whole('--port', values.port ?? env.PORT ?? '3000', 0, 65535),
    queue: values.queue ?? env.FEEDLOOM_QUEUE,
    concurrency: whole('--concurrency', values.concurrency ?? env.FEEDLOOM_CONCURRENCY ?? String(POLL_CONCURRENCY), 1, 1000),
    metricsPort: metricsPort === undefined ? undefined : whole('--metrics-port', metricsPort, 0, 65535),
    takeoverMs: whole('FEEDLOOM_TAKEOVER_MS', env.FEEDLOOM_TAKEOVER_MS ?? String(TAKEOVER_MS), 1000, 3_600_000),
    sources: (values.source ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    positionals: values.help ? ['help'] : positionals,
    logLevel: env.LOG_LEVEL,
    secret,
    underNpm: env.npm_command !== undefined,
  }
}

/** Key prefix of everything the deployment coordinates through in Redis: BullMQ's queue, the commit lock, the host gates. */
const COORDINATION_PREFIX = 'feedloom-queue'
/** SIGTERM to exit: whatever clients and sources do, the process is gone within 10 s (issue 12 §4). */
const SHUTDOWN_DEADLINE_MS = 9_000
/** Requests in flight get this long to finish before their connections are closed. */
const DRAIN_MS = 5_000
/** How often a process npm started looks whether npm's shell is still its parent. */
const ORPHAN_CHECK_MS = 500

/**
 * Where the deployment coordinates (DESIGN.md "One machine, then many"): FEEDLOOM_QUEUE, or the
 * store's own Redis. A postgres:// store with several workers needs FEEDLOOM_QUEUE; without one,
 * a process polls alone on node-cron with an in-process commit lock.
 */
function queueUrl(options: Options, store: Store): string | undefined {
  return options.queue ?? (store.location.kind === 'redis' ? store.location.url : undefined)
}

interface Coordination {
  /** BullMQ's connection: waits out a Redis restart. */
  queue: Redis
  /** The commit lock's and host gates': fails at once while Redis is away. */
  locks: Redis
  /** Loaded only by a process that coordinates: BullMQ and ioredis cost ~0.2 s of start-up. */
  QueuePoller: typeof QueuePoller
}

interface Runtime {
  config: Config
  store: Store
  metrics: Metrics
  rev: RevWatcher
  fetcher: Fetcher
  commitLock: Lock
  /** Reader threads for the CPU-bound part of polls; started on the first feed read. */
  readPool: ReadPool
  coordination?: Coordination
  /** Aborted at shutdown: every fetch of the process stops. */
  stopping: AbortController
  close(): Promise<void>
}

async function runtime(options: Options, log: Logger, polls: boolean): Promise<Runtime> {
  // A process that polls starts its reader threads first: their start-up (loading the parsers) runs
  // on the other cores while this one loads the config and opens the store.
  const readPool = new ReadPool()
  if (polls) readPool.warm()
  const closingReaders = async (error: unknown): Promise<never> => {
    await readPool.close()
    throw error
  }
  const config = await loadConfig(options.config).catch(closingReaders)
  const store = await openStore(options.store, { readMostly: !polls }).catch(closingReaders)
  const metrics = new Metrics({ defaultMetrics: true })
  const rev = new RevWatcher(store, log, metrics)
  const url = polls ? queueUrl(options, store) : undefined
  let coordination: Coordination | undefined
  const stopping = stopController()
  const fetcherOptions: FetcherOptions = { signal: stopping.signal }
  // One commit at a time in this process, and across workers when they coordinate through Redis.
  let commitLock: Lock = new Mutex()
  if (url) {
    const [{ connectRedis }, { RedisCrawlQueue, RedisHostSlots }, { nested, RedisLock }, { QueuePoller }] = await Promise.all([import('./scheduler/redis.js'), import('./fetch/redis-hosts.js'), import('./store/lock.js'), import('./scheduler/queue.js')])
    const onError = (role: string) => (error: Error) => log.debug({ role }, `queue: redis: ${error.message}`)
    coordination = { queue: await connectRedis(url, 'queue', onError('queue')), locks: await connectRedis(url, 'locks', onError('locks')), QueuePoller }
    const gates = { prefix: COORDINATION_PREFIX, onUnavailable: (error: unknown) => log.warn(`fetch: the per-host limits of other workers cannot be checked, going ahead on this process's: ${errorMessage(error)}`) }
    fetcherOptions.hostSlots = new RedisHostSlots(coordination.locks, PER_HOST_CONCURRENCY, gates)
    fetcherOptions.crawlQueue = new RedisCrawlQueue(coordination.locks, gates)
    commitLock = nested(new Mutex(), new RedisLock(coordination.locks, `${COORDINATION_PREFIX}:commit`, log))
  }
  return {
    config,
    store,
    metrics,
    rev,
    fetcher: createFetcher(fetcherOptions),
    commitLock,
    readPool,
    coordination,
    stopping,
    async close() {
      rev.stop()
      await readPool.close()
      coordination?.queue.disconnect()
      coordination?.locks.disconnect()
      await store.close()
    },
  }
}

/** The poller of a `start` or `worker`: BullMQ when the deployment coordinates through Redis, node-cron otherwise. */
function poller(rt: Runtime, options: Options, log: Logger, onResult: (result: RefreshResult) => void): Poller {
  const deps = { store: rt.store, fetcher: rt.fetcher, readPool: rt.readPool, now: () => new Date(), log, metrics: rt.metrics, commitLock: rt.commitLock, onResult }
  if (!rt.coordination) return new Scheduler(rt.config, { ...deps, concurrency: options.concurrency })
  return new rt.coordination.QueuePoller(rt.config, deps, rt.coordination.queue, { prefix: COORDINATION_PREFIX, concurrency: options.concurrency, takeoverMs: options.takeoverMs })
}

/**
 * Resolves at the first SIGTERM or SIGINT; a second one ends the process at once (128 + signal,
 * as a shell reports it), and SHUTDOWN_DEADLINE_MS after the first it ends anyway, with 0.
 */
function shutdownSignal(log: Logger, underNpm: boolean): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined
    // npm forwards SIGTERM to the shell it ran us in, and that shell (dash) dies without passing it
    // on (issue 11 §11). `npm start` execs us, so the signal is ours; `npx feedloom` cannot, so a
    // process npm started also stops when its parent goes away.
    if (underNpm) {
      const parent = process.ppid
      setInterval(() => process.ppid !== parent && !received && onSignal('SIGHUP'), ORPHAN_CHECK_MS).unref()
    }
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        log.warn({ signal }, 'second signal: exiting now')
        process.exit(signal === 'SIGINT' ? 130 : 143)
      }
      received = signal
      setTimeout(() => {
        log.warn({ deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long: exiting now')
        process.exit(0)
      }, SHUTDOWN_DEADLINE_MS).unref()
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new AppError(`web: cannot listen on port ${port}: ${errorMessage(e)}`, { cause: e })))
    server.listen(port, resolve)
  })
  return (server.address() as AddressInfo).port
}

async function serve(mode: 'start' | 'web' | 'worker', options: Options, log: Logger): Promise<number> {
  // The web stack loads for the commands that serve; `poll` starts without it.
  const [{ createHandler, createWebServer, drain }, { feedTopics }, { websubRoutes }, { discoverHub, fetchTransport, HubPublisher, isPublicUrl, Subscriber }] = await Promise.all([
    import('./http/app.js'),
    import('./http/feeds.js'),
    import('./http/websub.js'),
    import('./websub/index.js'),
  ])
  const stop = shutdownSignal(log, options.underNpm)
  const rt = await runtime(options, log, mode !== 'web')
  // Our hub hears of a change once this process serves it (rev refreshed), so its fetch gets the new items.
  const publisher = rt.config.site.websubHub
    ? new HubPublisher(rt.config, { transport: fetchTransport(), log, topics: (category) => feedTopics(rt.config.site.url.replace(/\/+$/, ''), category) })
    : undefined
  const firstRound = firstRoundWatch(rt.config.sources, log)
  const polls = mode === 'web' ? undefined : poller(rt, options, log, (result) => {
    firstRound(result)
    void rt.rev.refresh().then(() => publisher?.changed(result))
  })
  // A pushed update is polled at once, so subscribing needs the poller in this process, and a public site.url hubs can reach.
  const subscriber =
    mode === 'start' && polls && isPublicUrl(rt.config.site.url)
      ? new Subscriber(rt.config, { transport: fetchTransport(), discover: discoverHub(rt.fetcher, () => new Date(), rt.store), onContent: (source) => void polls.poll(source), now: () => new Date(), log })
      : undefined
  let server: Server | undefined
  if (mode !== 'worker') {
    await rt.rev.start()
    server = createWebServer(createHandler({ config: rt.config, store: rt.store, rev: rt.rev, metrics: rt.metrics, log, fetcher: rt.fetcher, imageSecret: options.secret, buildSearchIndex: true }, subscriber && websubRoutes(subscriber)))
    const port = await listen(server, options.port)
    log.info({ port, store: describeLocation(rt.store.location) }, `feedloom ${mode}: serving ${rt.config.site.title} on http://localhost:${port}/`)
  } else if (options.metricsPort !== undefined) {
    server = createWebServer(metricsHandler(rt.metrics))
    const port = await listen(server, options.metricsPort)
    log.info({ metrics_port: port }, `feedloom worker: metrics on http://localhost:${port}/metrics`)
  }
  if (polls) {
    await polls.start()
    log.info({ sources: rt.config.sources.length, queue: rt.coordination ? 'bullmq' : 'node-cron', concurrency: options.concurrency }, `feedloom ${mode}: polling started`)
  }
  void subscriber?.start()

  const signal = await stop
  log.info({ signal }, 'shutting down: no new polls, in-flight polls handed back, HTTP drained')
  rt.stopping.abort(new Error('shutting down'))
  subscriber?.stop()
  await Promise.all([server && drain(server, DRAIN_MS), polls?.stop()])
  await rt.close()
  log.info('stopped')
  return 0
}

/** `/metrics` and `/healthz` of a worker, which serves nothing else. */
function metricsHandler(metrics: Metrics): RequestListener {
  return (req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok')
    if (req.url !== '/metrics') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      (error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(errorMessage(error)),
    )
  }
}

async function poll(options: Options, io: CliIo, log: Logger): Promise<number> {
  // Every failure and warning is in poll's own lines; log records say it again only when LOG_LEVEL asks for them.
  const quiet = options.logLevel === undefined ? log.child({}, { level: 'silent' }) : log
  const rt = await runtime(options, quiet, true)
  const scheduler = new Scheduler(rt.config, { store: rt.store, fetcher: rt.fetcher, readPool: rt.readPool, now: () => new Date(), log: quiet, metrics: rt.metrics, commitLock: rt.commitLock, concurrency: options.concurrency })
  try {
    const sources = pickSources(rt.config, options.sources)
    const progress = io.stderr.isTTY ? new ProgressBar(io.stderr, sources.length) : undefined
    const results = await scheduler.pollAll(sources, (result) => {
      if (progress) progress.tick(result)
      else io.stdout.write(`${formatResult(result)}\n`)
    })
    progress?.done()
    if (progress) for (const result of results) io.stdout.write(`${formatResult(result)}\n`)
    const failed = results.filter((r) => r.outcome === 'error')
    const added = results.reduce((n, r) => n + r.newItems, 0)
    io.stdout.write(`polled ${counted(results.length, 'source')}: ${results.length - failed.length} ok, ${failed.length} failed, ${counted(added, 'new item')}\n`)
    if (failed.length > 1 && failed.length === results.length) io.stdout.write(`${everyPollFailed(sources, failed)}\n`)
    return failed.length ? 1 : 0
  } finally {
    await scheduler.stop()
    await rt.close()
  }
}

/**
 * Says so in one line when the first poll of every source failed (issue 11 §6): a new user
 * offline otherwise sees one error per source and no summary.
 */
function firstRoundWatch(sources: SourceConfig[], log: Logger): (result: RefreshResult) => void {
  const first = new Map<string, RefreshResult>()
  return (result) => {
    if (first.size === sources.length || first.has(result.sourceId)) return
    first.set(result.sourceId, result)
    const failed = [...first.values()].filter((r) => r.outcome === 'error')
    if (first.size === sources.length && sources.length > 1 && failed.length === first.size) log.warn(everyPollFailed(sources, failed))
  }
}

/** One line for a poll where nothing worked (issue 11 §6): usually the machine is offline, not every site broken. */
function everyPollFailed(sources: SourceConfig[], failed: RefreshResult[]): string {
  const url = new Map(sources.map((s) => [s.id, s.url]))
  const rows = failed.map((r) => ({ id: r.sourceId, title: r.sourceId, url: url.get(r.sourceId)!, categories: [], health: 'failing' as const, lastError: r.error, consecutiveFailures: 1, items: 0, skipped: 0 }))
  const summary = statusSummary(rows)
  const { error, count, network } = summary.allFailing!
  return `every source failed; the most common error (${counted(count, 'source')}): ${error}${network ? ' — is this machine offline, or behind a proxy?' : ''}`
}

function pickSources(config: Config, ids: string[]): SourceConfig[] {
  if (!ids.length) return config.sources
  const unknown = ids.filter((id) => !config.sources.some((s) => s.id === id))
  if (unknown.length) throw new AppError(`--source: unknown source id ${unknown.map((id) => `"${id}"`).join(', ')} (known: ${config.sources.map((s) => s.id).join(', ')})`)
  return config.sources.filter((s) => ids.includes(s.id))
}

/** One line per source, then its warnings indented under it (the log records are silent in `poll`). */
export function formatResult(r: RefreshResult): string {
  const time = `${Math.round(r.elapsedMs)} ms`
  const warnings = r.warnings.map((w) => `\n              warning: ${w}`).join('')
  switch (r.outcome) {
    case 'ok':
      return `ok            ${r.sourceId}: ${r.newItems} new, ${r.updatedItems} updated, ${r.totalItems} kept (${time})${warnings}`
    case 'not-modified':
      return `not modified  ${r.sourceId}: ${r.totalItems} kept (${time})${warnings}`
    case 'error':
      return `FAILED        ${r.sourceId}: ${r.error}${warnings}`
  }
}

/** A one-line progress bar on a TTY: `[#####-----] 5/10 gjxw`. */
class ProgressBar {
  private done_ = 0
  constructor(
    private readonly out: CliIo['stderr'],
    private readonly total: number,
  ) {
    this.draw('')
  }
  tick(result: RefreshResult): void {
    this.done_++
    this.draw(result.sourceId)
  }
  done(): void {
    this.out.write('\r\x1b[2K')
  }
  private draw(label: string): void {
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 30))
    const filled = this.total ? Math.round((this.done_ / this.total) * width) : width
    this.out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done_}/${this.total} ${label}`)
  }
}

async function preview(options: Options, io: CliIo, log: Logger): Promise<number> {
  const config = await loadConfig(options.config)
  if (options.sources.length !== 1) throw new AppError('preview: name exactly one source with --source ID')
  const [source] = pickSources(config, options.sources)
  const { previewSource } = await import('./preview.js')
  const result = await previewSource(source, { fetcher: createFetcher(), now: new Date(), log })
  io.stdout.write(result)
  return 0
}

/** Zone `suggest` reads dates in when no config is at hand: the config's own default (SPEC §2). */
const SUGGEST_DEFAULT_ZONE = 'Asia/Shanghai'

async function suggest(args: string[], options: Options, io: CliIo): Promise<number> {
  const [url] = args
  if (!url) throw new AppError('suggest: give the URL of a list page (feedloom suggest https://…)')
  // The operator's zone when their config loads; suggest works without one too.
  const zone = await loadConfig(options.config).then((c) => c.defaults.timezone, () => SUGGEST_DEFAULT_ZONE)
  const { suggestSource } = await import('./preview.js')
  io.stdout.write(await suggestSource(url, { fetcher: createFetcher(), now: new Date(), zone }))
  return 0
}

async function opml(args: string[], options: Options, io: CliIo): Promise<number> {
  const [sub, file] = args
  if (sub === 'export') {
    const config = await loadConfig(options.config)
    const [{ renderOpml }, { configToOpml }] = await Promise.all([import('./render/opml.js'), import('./opml.js')])
    io.stdout.write(renderOpml(configToOpml(config)))
    return 0
  }
  if (sub === 'import') {
    if (!file) throw new AppError('opml import: give the OPML file to read')
    const { opmlToConfig } = await import('./opml.js')
    io.stdout.write(opmlToConfig(await readFile(file, 'utf8'), file))
    return 0
  }
  throw new AppError('opml: use "opml export" or "opml import FILE"')
}
