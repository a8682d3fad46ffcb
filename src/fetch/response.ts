import { STATUS_CODES } from 'node:http'
import { bodyTooLarge, readCapped, streamChunks } from './body.js'
import { parseRetryAfter } from './backoff.js'
import { fetchError, type Where } from './failure.js'
import { RETRY_AFTER_STATUSES } from './policy.js'
import type { FetchError } from '../errors.js'
import type { Validators } from '../model.js'

/** 3xx codes that mean "look over there" (RFC 9110 §15.4); 300 and 304 do not. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/**
 * One HTTP response asked named questions (miniflux `fetcher/response_handler.go`), so nothing
 * outside fetch/ ever holds a raw `Response`.
 */
export class ResponseHandler {
  constructor(
    private readonly response: Response,
    /** The URL this response answers, for resolving Location. */
    private readonly url: URL,
    private readonly where: Where,
  ) {}

  get status(): number {
    return this.response.status
  }

  /** RFC 9110 §15.4.5: 304 means our cached copy is still current. */
  isModified(): boolean {
    return this.response.status !== 304
  }

  isSuccess(): boolean {
    return this.response.status >= 200 && this.response.status < 300
  }

  /** Where a redirect points, resolved against this URL (Location may be relative, RFC 9110 §10.2.2); undefined when this is no redirect. */
  redirectTarget(): URL | undefined {
    const location = this.response.headers.get('location')
    if (!REDIRECT_STATUSES.has(this.response.status) || location === null) return undefined
    try {
      return new URL(location, this.url)
    } catch (cause) {
      throw fetchError(`HTTP ${this.status} redirect to an invalid Location "${location}"`, this.where, { cause, httpStatus: this.status })
    }
  }

  etag(): string | undefined {
    return this.header('etag')
  }

  lastModified(): string | undefined {
    return this.header('last-modified')
  }

  /** The validators this response carries, absent ones left out (so spreading it over old ones keeps those). */
  validators(): Validators {
    const etag = this.etag()
    const lastModified = this.lastModified()
    return { ...(etag && { etag }), ...(lastModified && { lastModified }) }
  }

  contentType(): string | undefined {
    return this.header('content-type')
  }

  /** How long the server asked us to stay away, for the statuses where that is meant (RETRY_AFTER_STATUSES). */
  retryDelayMs(now: Date): number | undefined {
    if (!RETRY_AFTER_STATUSES.has(this.response.status)) return undefined
    return parseRetryAfter(this.response.headers.get('retry-after'), now)
  }

  /** `HTTP 404 Not Found` as an error, with the status and any Retry-After attached. */
  statusError(now: Date): FetchError {
    const text = this.response.statusText || STATUS_CODES[this.status] || ''
    return fetchError(`HTTP ${this.status}${text ? ` ${text}` : ''}`, this.where, {
      httpStatus: this.status,
      retryAfterMs: this.retryDelayMs(now),
    })
  }

  /** The whole body, failing before reading when Content-Length already passes `maxBytes`, and while reading otherwise. */
  async readBody(maxBytes: number): Promise<Uint8Array> {
    const declared = Number(this.response.headers.get('content-length') ?? Number.NaN)
    if (declared > maxBytes) {
      await this.discard()
      throw bodyTooLarge(maxBytes, this.where)
    }
    if (!this.response.body) return new Uint8Array(0)
    return readCapped(streamChunks(this.response.body), maxBytes, this.where)
  }

  /** Drops the body unread, so the connection is freed rather than left waiting for us. */
  async discard(): Promise<void> {
    await this.response.body?.cancel().catch(() => undefined)
  }

  /** A header's value, or undefined when missing or blank (a blank Last-Modified is no validator). */
  private header(name: string): string | undefined {
    return this.response.headers.get(name)?.trim() || undefined
  }
}
