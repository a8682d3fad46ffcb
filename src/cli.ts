import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import type { Config, SourceConfig } from './model.js'
import { AppError, ConfigError, errorMessage } from './errors.js'
import { loadConfig } from './config/index.js'
import { DEFAULT_STORE_URL, openStore, describeLocation, type Store } from './store/index.js'
import { createFetcher } from './fetch/index.js'
import { Metrics } from './metrics.js'
import { createLogger, type Logger } from './log.js'
import { Scheduler } from './scheduler/index.js'
import { openLeases, type Leases } from './scheduler/lease.js'
import { createHandler } from './http/app.js'
import { feedTopics } from './http/feeds.js'
import { RevWatcher } from './http/rev.js'
import { websubRoutes } from './http/websub.js'
import { discoverHub, fetchTransport, HubPublisher, isPublicUrl, Subscriber } from './websub/index.js'
import type { Fetcher } from './fetch/index.js'
import type { RefreshResult } from './refresh.js'
import { previewSource, suggestSource } from './preview.js'
import { ReadPool } from './source/index.js'
import { statusSummary } from './http/status.js'
import { renderOpml } from './render/opml.js'
import { configToOpml, opmlToConfig } from './opml.js'
import { answerClientErrors } from './http/errors.js'
import { counted } from './plural.js'

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
  --config PATH   FEEDLOOM_CONFIG   default ./feeds.config.ts (.ts, .mts, .js, .mjs, .json)
  --store URL     FEEDLOOM_STORE    default ${DEFAULT_STORE_URL}; memory://, redis://HOST:PORT[/DB], postgres://…
  --port N        PORT              default 3000
                  LOG_LEVEL         default info
                  FEEDLOOM_SECRET   the image proxy's signing key (16+ characters); default: one kept in the store
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
  sources: string[]
  positionals: string[]
  /** LOG_LEVEL as set, undefined when not: `poll` then prints its own lines only. */
  logLevel?: string
  /** FEEDLOOM_SECRET: signs image proxy addresses (SPEC §8). */
  secret?: string
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

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      store: { type: 'string' },
      port: { type: 'string' },
      source: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const portText = values.port ?? env.PORT ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) throw new AppError(`--port: "${portText}" is not a port number`)
  const secret = env.FEEDLOOM_SECRET
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) throw new AppError(`FEEDLOOM_SECRET: must be at least ${MIN_SECRET_LENGTH} characters, got ${secret.length}`)
  return {
    config: values.config ?? env.FEEDLOOM_CONFIG ?? './feeds.config.ts',
    store: values.store ?? env.FEEDLOOM_STORE ?? DEFAULT_STORE_URL,
    port,
    sources: (values.source ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    positionals: values.help ? ['help'] : positionals,
    logLevel: env.LOG_LEVEL,
    secret,
  }
}

interface Runtime {
  config: Config
  store: Store
  metrics: Metrics
  scheduler: Scheduler
  rev: RevWatcher
  leases: Leases
  fetcher: Fetcher
  readPool: ReadPool
}

async function runtime(options: Options, log: Logger): Promise<Runtime> {
  const config = await loadConfig(options.config)
  const store = await openStore(options.store)
  const metrics = new Metrics({ defaultMetrics: true })
  const rev = new RevWatcher(store, log)
  const leases = await openLeases(store.location)
  const fetcher = createFetcher()
  const readPool = new ReadPool()
  // Our hub hears of a change once this process serves it (rev refreshed), so its fetch gets the new items.
  const publisher = config.site.websubHub
    ? new HubPublisher(config, { transport: fetchTransport(), log, topics: (category) => feedTopics(config.site.url.replace(/\/+$/, ''), category) })
    : undefined
  const scheduler = new Scheduler(config, {
    leases,
    store,
    fetcher,
    readPool,
    now: () => new Date(),
    log,
    metrics,
    onResult: (result) => void rev.refresh().then(() => publisher?.changed(result)),
  })
  return { config, store, metrics, scheduler, rev, leases, fetcher, readPool }
}

async function serve(mode: 'start' | 'web' | 'worker', options: Options, log: Logger): Promise<number> {
  const rt = await runtime(options, log)
  let server: Server | undefined
  // A pushed update is polled at once, so subscribing needs the scheduler in this process, and a public site.url hubs can reach.
  const subscriber =
    mode === 'start' && isPublicUrl(rt.config.site.url)
      ? new Subscriber(rt.config, { transport: fetchTransport(), discover: discoverHub(rt.fetcher, () => new Date(), rt.store), onContent: (source) => void rt.scheduler.poll(source), now: () => new Date(), log })
      : undefined
  if (mode !== 'worker') {
    await rt.rev.start()
    server = createServer(createHandler({ config: rt.config, store: rt.store, rev: rt.rev, metrics: rt.metrics, log, fetcher: rt.fetcher, imageSecret: options.secret }, subscriber && websubRoutes(subscriber)))
    answerClientErrors(server)
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (e) => reject(new AppError(`web: cannot listen on port ${options.port}: ${errorMessage(e)}`, { cause: e })))
      server!.listen(options.port, resolve)
    })
    const port = (server.address() as AddressInfo).port
    log.info({ port, store: describeLocation(rt.store.location) }, `feedloom ${mode}: serving ${rt.config.site.title} on http://localhost:${port}/`)
  }
  if (mode !== 'web') {
    await rt.scheduler.start()
    log.info({ sources: rt.config.sources.length }, `feedloom ${mode}: scheduler started`)
  }
  void subscriber?.start()
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  log.info('shutting down')
  server?.close()
  subscriber?.stop()
  await rt.scheduler.stop()
  rt.rev.stop()
  await rt.readPool.close()
  await rt.leases.close()
  await rt.store.close()
  return 0
}

async function poll(options: Options, io: CliIo, log: Logger): Promise<number> {
  // Every failure and warning is in poll's own lines; log records say it again only when LOG_LEVEL asks for them.
  const rt = await runtime(options, options.logLevel === undefined ? log.child({}, { level: 'silent' }) : log)
  try {
    const sources = pickSources(rt.config, options.sources)
    const progress = io.stderr.isTTY ? new ProgressBar(io.stderr, sources.length) : undefined
    const results = await rt.scheduler.pollAll(sources, (result) => {
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
    await rt.scheduler.stop()
    await rt.readPool.close()
    await rt.leases.close()
    await rt.store.close()
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
  io.stdout.write(await suggestSource(url, { fetcher: createFetcher(), now: new Date(), zone }))
  return 0
}

async function opml(args: string[], options: Options, io: CliIo): Promise<number> {
  const [sub, file] = args
  if (sub === 'export') {
    const config = await loadConfig(options.config)
    io.stdout.write(renderOpml(configToOpml(config)))
    return 0
  }
  if (sub === 'import') {
    if (!file) throw new AppError('opml import: give the OPML file to read')
    io.stdout.write(opmlToConfig(await readFile(file, 'utf8'), file))
    return 0
  }
  throw new AppError('opml: use "opml export" or "opml import FILE"')
}
