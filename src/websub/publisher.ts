import type { Config } from '../model.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log.js'
import type { HubTransport } from './transport.js'

/** What the publisher needs to know about a poll: which source, and whether it stored anything. */
export interface PollChange {
  sourceId: string
  outcome: string
  newItems: number
  updatedItems: number
}

/**
 * Tells the configured hub (`site.websubHub`) that feeds changed, so subscribers get new items
 * within seconds instead of at their next poll. Fire-and-forget: a slow or broken hub is logged,
 * never waited for by the poll.
 */
export class HubPublisher {
  constructor(
    private readonly config: Config,
    private readonly deps: { transport: HubTransport; log: Logger; topics: (category: string) => string[] },
  ) {}

  /** Topics to announce after a poll: the feeds of every category of the source, and `all`. Empty when nothing was stored. */
  topicsFor(change: PollChange): string[] {
    if (!this.config.site.websubHub || change.outcome !== 'ok' || change.newItems + change.updatedItems === 0) return []
    const source = this.config.sources.find((s) => s.id === change.sourceId)
    if (!source) return []
    return ['all', ...source.categories].flatMap((category) => this.deps.topics(category))
  }

  /** Sends `hub.mode=publish` for each topic (the PubSubHubbub 0.4 publish ping hubs accept); resolves when all have answered or failed. */
  async publish(topics: string[]): Promise<void> {
    const hub = this.config.site.websubHub
    if (!hub || topics.length === 0) return
    await Promise.all(
      topics.map(async (topic) => {
        try {
          const { status } = await this.deps.transport(hub, new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }))
          if (status < 200 || status >= 300) this.deps.log.warn({ hub, topic, status }, `websub: hub answered ${status} to a publish notification`)
        } catch (error) {
          this.deps.log.warn({ hub, topic }, errorMessage(error))
        }
      }),
    )
  }

  /** After a poll: notify without making the caller wait. Returns the pending notification for tests. */
  changed(change: PollChange): Promise<void> {
    return this.publish(this.topicsFor(change))
  }
}
