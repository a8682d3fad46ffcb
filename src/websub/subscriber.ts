import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import type { Config, SourceConfig } from '../model.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log.js'
import type { HubTransport } from './transport.js'
import { verifySignature } from './signature.js'

/** Lease we ask for (WebSub §5.1 `hub.lease_seconds`); the hub decides, and tells us in its verification. */
export const REQUESTED_LEASE_SECONDS = 10 * 24 * 3600
/** Renew once this share of a lease has passed, leaving a tenth for a slow hub or a missed check. */
export const RENEW_AT_LEASE_SHARE = 0.9
/** How often leases are checked for renewal; far below any real lease. */
export const RENEW_CHECK_MS = 10 * 60 * 1000
/** Where hubs call us back: `/websub/{sourceId}`. */
export const CALLBACK_PREFIX = '/websub/'

export interface Discovered {
  hub: string
  /** The topic URL to subscribe to (the feed's own URL). */
  topic: string
}

export interface SubscriberDeps {
  transport: HubTransport
  /** The hub a source advertises (`RawFeed.hub`) and its topic, or undefined when it advertises none. */
  discover: (source: SourceConfig) => Promise<Discovered | undefined>
  /** A hub delivered new content for the source (signature checked): refresh it now. */
  onContent: (source: SourceConfig) => void
  now: () => Date
  log: Logger
  /** Secrets for `hub.secret`; random by default. */
  secret?: () => string
}

type SubscriptionState = 'pending' | 'active' | 'denied'

interface Subscription {
  source: SourceConfig
  hub: string
  topic: string
  secret: string
  /** The secret of the lease being renewed: the hub signs with it until it verifies the renewal. */
  previousSecret?: string
  state: SubscriptionState
  /** When the current lease ends (ms), once the hub has verified it. */
  expiresMs?: number
  renewAtMs?: number
}

export type Delivery = 'accepted' | 'bad-signature' | 'unknown'

/** Hosts a hub on the internet can never reach: subscribing from them would only make hubs fail. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const singleLabel = !host.includes('.') && isIP(host) === 0
  if (singleLabel || ['.localhost', '.local', '.internal', '.lan'].some((suffix) => host.endsWith(suffix))) return true
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number)
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  }
  if (isIP(host) === 6) return host === '::1' || host === '::' || /^f[cd]/.test(host) || host.startsWith('fe80')
  return false
}

/** Whether hubs can call `site.url` back: http(s) on a public host name or address. */
export function isPublicUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && !isPrivateHost(parsed.hostname)
  } catch {
    return false
  }
}

/**
 * WebSub subscriber (W3C WebSub §5–§8) for sources that advertise a hub: subscribes with a secret,
 * answers the hub's verification of intent, checks the signature of every delivery and turns a
 * good one into an immediate poll of that source, and renews leases before they end. Polling
 * stays on for every source: a push only comes earlier, it never replaces the schedule.
 */
export class Subscriber {
  private readonly subscriptions = new Map<string, Subscription>()
  private timer?: NodeJS.Timeout
  private readonly base: string

  constructor(
    private readonly config: Config,
    private readonly deps: SubscriberDeps,
  ) {
    this.base = config.site.url.replace(/\/+$/, '')
  }

  /** Only a public `site.url` can be called back by a hub on the internet. */
  get enabled(): boolean {
    return isPublicUrl(this.config.site.url)
  }

  callbackUrl(sourceId: string): string {
    return `${this.base}${CALLBACK_PREFIX}${encodeURIComponent(sourceId)}`
  }

  /** Discovers each feed source's hub and subscribes to those that have one. */
  async subscribeAll(): Promise<void> {
    if (!this.enabled) return
    await Promise.all(this.config.sources.filter((s) => !s.page).map((source) => this.discoverAndSubscribe(source)))
  }

  private async discoverAndSubscribe(source: SourceConfig): Promise<void> {
    try {
      const found = await this.deps.discover(source)
      if (found) await this.subscribe(source, found)
    } catch (error) {
      this.deps.log.warn({ source: source.id }, `websub: ${errorMessage(error)}`)
    }
  }

  /** Asks the hub for a subscription (WebSub §5.1); it becomes active when the hub verifies it. */
  async subscribe(source: SourceConfig, { hub, topic }: Discovered): Promise<void> {
    const secret = this.deps.secret?.() ?? randomBytes(32).toString('hex')
    const previous = this.subscriptions.get(source.id)
    // Until the hub verifies the new request, deliveries under the old secret still count.
    this.subscriptions.set(source.id, { ...previous, source, hub, topic, secret, previousSecret: previous?.secret, state: previous?.state === 'active' ? 'active' : 'pending' })
    const form = new URLSearchParams({
      'hub.mode': 'subscribe',
      'hub.topic': topic,
      'hub.callback': this.callbackUrl(source.id),
      'hub.secret': secret,
      'hub.lease_seconds': String(REQUESTED_LEASE_SECONDS),
    })
    const { status } = await this.deps.transport(hub, form)
    // 202 Accepted is the norm (§5.1.2); some hubs verify synchronously and answer 204.
    if (status < 200 || status >= 300) throw new Error(`hub ${hub} refused the subscription to ${topic} with status ${status}`)
    this.deps.log.info({ source: source.id, hub, topic }, 'websub: subscription requested')
  }

  /**
   * The hub's verification of intent (WebSub §5.3): the challenge to echo when we asked for exactly
   * this, undefined (→ 404) when we did not. `denied` (§5.2) is noted; polling goes on.
   */
  verify(sourceId: string, params: Record<string, unknown>): string | undefined {
    const sub = this.subscriptions.get(sourceId)
    const mode = params['hub.mode']
    const topic = params['hub.topic']
    if (!sub || typeof topic !== 'string' || topic !== sub.topic) return undefined
    if (mode === 'denied') {
      sub.state = 'denied'
      this.deps.log.warn({ source: sourceId, hub: sub.hub, reason: params['hub.reason'] }, 'websub: the hub denied the subscription; polling continues')
      return ''
    }
    const challenge = params['hub.challenge']
    if (mode !== 'subscribe' || typeof challenge !== 'string' || challenge === '') return undefined
    const leaseText = params['hub.lease_seconds']
    const lease = typeof leaseText === 'string' && /^\d{1,10}$/.test(leaseText) ? Number(leaseText) : REQUESTED_LEASE_SECONDS
    const now = this.deps.now().getTime()
    sub.state = 'active'
    sub.previousSecret = undefined
    sub.expiresMs = now + lease * 1000
    sub.renewAtMs = now + lease * 1000 * RENEW_AT_LEASE_SHARE
    return challenge
  }

  /** A content distribution (WebSub §7): polled at once when signed with our secret; ignored otherwise. */
  deliver(sourceId: string, body: Uint8Array, signature: string | undefined): Delivery {
    const sub = this.subscriptions.get(sourceId)
    if (!sub || sub.state !== 'active') return 'unknown'
    const secrets = [sub.secret, sub.previousSecret].filter((s): s is string => s !== undefined)
    if (!secrets.some((secret) => verifySignature(signature, body, secret))) {
      this.deps.log.warn({ source: sourceId, hub: sub.hub }, 'websub: ignored a delivery with a missing or wrong signature')
      return 'bad-signature'
    }
    this.deps.onContent(sub.source)
    return 'accepted'
  }

  /** Renews every active lease past its renewal time; returns the sources renewed. */
  async renewDue(now = this.deps.now()): Promise<string[]> {
    const due = [...this.subscriptions.values()].filter((sub) => sub.state === 'active' && sub.renewAtMs !== undefined && sub.renewAtMs <= now.getTime())
    await Promise.all(due.map((sub) => this.discoverAndSubscribe(sub.source)))
    return due.map((sub) => sub.source.id)
  }

  /** What the status of one source's subscription is, for tests and logs. */
  state(sourceId: string): { state: SubscriptionState; hub: string; topic: string; expires?: string } | undefined {
    const sub = this.subscriptions.get(sourceId)
    return sub && { state: sub.state, hub: sub.hub, topic: sub.topic, expires: sub.expiresMs === undefined ? undefined : new Date(sub.expiresMs).toISOString() }
  }

  async start(): Promise<void> {
    if (!this.enabled) return
    await this.subscribeAll()
    this.timer = setInterval(() => void this.renewDue(), RENEW_CHECK_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }
}
