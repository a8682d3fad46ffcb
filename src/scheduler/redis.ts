/**
 * The Redis connections a deployment coordinates through (issue 12 §1): BullMQ's queue, the
 * commit lock and the per-host gates. Their Redis is FEEDLOOM_QUEUE, or the store's own when the
 * store is redis:// (see `queueUrl` in cli.ts).
 */
import { Redis } from 'ioredis'
import { AppError, errorMessage } from '../errors.js'
import { redactUrl } from '../redact.js'

/** A first connection that takes longer than this is a wrong address, not a slow server. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * `queue`: BullMQ's, which waits out a Redis restart (its commands queue up, as BullMQ requires).
 * `locks`: the commit lock and host gates, which must fail at once while Redis is away so a poll
 * gives up (lock) or goes ahead on this process's limits (gates) instead of hanging.
 */
export async function connectRedis(url: string, purpose: 'queue' | 'locks', onError: (error: Error) => void): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...(purpose === 'queue' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, enableOfflineQueue: false }),
  })
  // ioredis reconnects by itself; an 'error' event without a listener would end the process.
  client.on('error', onError)
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw new AppError(`queue: cannot connect to ${redactUrl(url)}: ${errorMessage(error)}`, { cause: error })
  }
  return client
}
