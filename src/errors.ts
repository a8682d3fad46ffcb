/**
 * One error base for the whole project (STYLE.md rule 5). Messages start with their stage
 * (`"decode: unknown charset x-foo (source gjxw)"`); callers choose handling with `instanceof`.
 */
export class AppError extends Error {
  /** HTTP status to answer with when this error reaches the web layer. */
  readonly status?: number

  constructor(message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.status = options.status
  }
}

export class ConfigError extends AppError {
  /** One line per bad field: `sources[3].url: must be an http(s):// or file:// URL`. */
  readonly issues: string[]

  constructor(issues: string[], where?: string) {
    super(`config: ${where ? `${where}: ` : ''}${issues.length} problem${issues.length === 1 ? '' : 's'}\n  ${issues.join('\n  ')}`)
    this.issues = issues
  }
}

export class FetchError extends AppError {
  /** The HTTP status the server answered with, when there was an answer. */
  readonly httpStatus?: number
  /** Milliseconds the server asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs?: number

  constructor(message: string, options: { cause?: unknown; httpStatus?: number; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause })
    this.httpStatus = options.httpStatus
    this.retryAfterMs = options.retryAfterMs
  }
}

export class DecodeError extends AppError {}
export class ParseError extends AppError {}
export class StoreError extends AppError {}

/** Bad request parameters on the HTTP side: always a 4xx. */
export class HttpError extends AppError {
  constructor(status: number, message: string) {
    super(message, { status })
  }
}

/** The message of anything thrown, for logs and the status page. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
