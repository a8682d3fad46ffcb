/**
 * How page sources fetch the pages beyond the first (further list pages, article pages): one
 * request at a time per host, a pause between two of them, and robots.txt honoured (issue 6).
 * A portal is one small server; a poll that opens twenty article pages at once looks like an attack.
 */
import type { CrawlQueue, Fetcher } from '../fetch/index.js'
import { RobotsDisallowedError, RobotsTxt } from '../fetch/robots.js'
import type { FetchResult, SourceConfig, Validators } from '../model.js'

/** Pause between two requests to one host when neither the source nor robots.txt sets one. */
export const DEFAULT_CRAWL_DELAY_MS = 1000

export interface PoliteOptions {
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface PoliteFetch {
  sourceId?: string
  /** Skip robots.txt (the source's `ignoreRobots`). */
  ignoreRobots?: boolean
  /** The source's own pause between requests (`crawlDelay`), in milliseconds. */
  delayMs?: number
  /** The source's configured host: the only one links on its pages may reach on a private address (FetchOptions.trustedHost). */
  trustedHost?: string
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Per-host serial queue: each request starts no sooner than `delay` after the previous one to that host ended. */
class HostQueue implements CrawlQueue {
  private readonly tails = new Map<string, Promise<unknown>>()
  private readonly lastEnded = new Map<string, number>()

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  run<T>(host: string, delayMs: number, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(host) ?? Promise.resolve()
    const result = previous.then(async () => {
      const last = this.lastEnded.get(host)
      const wait = last === undefined ? 0 : last + delayMs - this.now()
      if (wait > 0) await this.sleep(wait)
      try {
        return await task()
      } finally {
        this.lastEnded.set(host, this.now())
      }
    })
    const tail = result.catch(() => undefined)
    this.tails.set(host, tail)
    void tail.then(() => this.tails.get(host) === tail && this.tails.delete(host))
    return result
  }
}

export class PoliteFetcher {
  readonly robots: RobotsTxt
  private readonly queue: CrawlQueue

  constructor(
    private readonly fetcher: Fetcher,
    options: PoliteOptions = {},
  ) {
    // A Fetcher built for a deployment brings the queue its workers share (fetch/redis-hosts).
    this.queue = fetcher.crawlQueue ?? new HostQueue(options.now ?? Date.now, options.sleep ?? realSleep)
    // robots.txt itself waits its turn like any other request to the host.
    this.robots = new RobotsTxt({ fetch: (url, validators, opts) => this.queued(url, DEFAULT_CRAWL_DELAY_MS, () => fetcher.fetch(url, validators, opts)) }, { now: () => new Date((options.now ?? Date.now)()) })
  }

  /**
   * GET `url` unless robots.txt forbids it (then RobotsDisallowedError), after the host's pause;
   * conditional when validators from an earlier fetch of the same page are given.
   */
  async fetch(url: string, opts: PoliteFetch = {}, validators: Validators = {}): Promise<FetchResult> {
    let delayMs = opts.delayMs ?? DEFAULT_CRAWL_DELAY_MS
    if (!opts.ignoreRobots) {
      const verdict = await this.robots.check(url, opts.sourceId, opts.trustedHost)
      if (!verdict.allowed) throw new RobotsDisallowedError(verdict, url, opts.sourceId)
      delayMs = Math.max(delayMs, verdict.crawlDelayMs ?? 0)
    }
    // Later list pages and article pages pass none: nothing stored says what they held before.
    return this.queued(url, delayMs, () => this.fetcher.fetch(url, validators, { sourceId: opts.sourceId, trustedHost: opts.trustedHost }))
  }

  private queued<T>(url: string, delayMs: number, task: () => Promise<T>): Promise<T> {
    const target = new URL(url)
    if (target.protocol === 'file:') return task()
    return this.queue.run(target.host, delayMs, task)
  }
}

const shared = new WeakMap<Fetcher, PoliteFetcher>()

/** The PoliteFetcher of a Fetcher: one per process, so every source of a host shares its queue and robots.txt. */
export function politeFetcher(fetcher: Fetcher): PoliteFetcher {
  let polite = shared.get(fetcher)
  if (!polite) shared.set(fetcher, (polite = new PoliteFetcher(fetcher)))
  return polite
}

/** The politeness settings a source asks for. */
export function politeFetchOptions(source: Pick<SourceConfig, 'id' | 'url' | 'ignoreRobots' | 'crawlDelay'>): PoliteFetch {
  return {
    sourceId: source.id,
    trustedHost: new URL(source.url).hostname,
    ignoreRobots: source.ignoreRobots === true,
    ...(source.crawlDelay !== undefined && { delayMs: source.crawlDelay * 1000 }),
  }
}
