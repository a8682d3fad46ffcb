import { FetchError } from '../errors.js'
import { redactUrls } from '../redact.js'

/** What a message names after what happened: the URL (or file) and the source, when known. */
export interface Where {
  url?: string
  sourceId?: string
}

/**
 * `fetch: <what> (<url>, source <id>)`, the one shape of every fetch/ error message. It reaches
 * logs and `/status`, so credentials in any URL it quotes are hidden.
 */
export function fetchError(
  what: string,
  where: Where,
  options: { cause?: unknown; httpStatus?: number; retryAfterMs?: number } = {},
): FetchError {
  const parts = [where.url, where.sourceId && `source ${where.sourceId}`].filter(Boolean)
  return new FetchError(redactUrls(`fetch: ${what}${parts.length ? ` (${parts.join(', ')})` : ''}`), options)
}

/**
 * Socket, DNS and TLS failures in words. undici rejects with a bare `TypeError: fetch failed`
 * and hides the reason in `cause` (sometimes an AggregateError of one try per address), so we
 * look for the first error code along that chain.
 */
export function describeNetworkFailure(error: unknown, hostname: string): string {
  const code = findCode(error)
  switch (code) {
    case 'ENOTFOUND':
      return `cannot resolve host ${hostname}`
    case 'EAI_AGAIN':
      return `cannot resolve host ${hostname} (DNS lookup failed, may be temporary)`
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
      return 'connection reset by the server'
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'connection closed by the server before the response was complete'
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out'
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'server sent no response headers in time'
    case 'UND_ERR_BODY_TIMEOUT':
      return 'server stopped sending the body'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable'
    case 'CERT_HAS_EXPIRED':
      return 'TLS certificate has expired'
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'TLS certificate is self-signed'
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'TLS certificate is not trusted'
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate does not name ${hostname}`
  }
  // zlib (gzip, deflate) reports Z_DATA_ERROR, Z_BUF_ERROR…; its brotli decoder ERR__ERROR_FORMAT_….
  if (code?.startsWith('Z_') || code?.startsWith('ERR__ERROR_')) return 'compressed body is corrupt'
  if (code?.startsWith('HPE_')) return 'malformed HTTP response'
  if (code?.startsWith('ERR_TLS_') || code?.startsWith('ERR_SSL_')) return `TLS handshake failed (${code})`
  return `network error: ${innermostMessage(error)}${code ? ` (${code})` : ''}`
}

function findCode(error: unknown, depth = 0): string | undefined {
  if (!(error instanceof Error) || depth > 5) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && code !== 'ABORT_ERR') return code
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = findCode(inner, depth + 1)
      if (found) return found
    }
  }
  return findCode(error.cause, depth + 1)
}

function innermostMessage(error: unknown): string {
  let current = error
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  return current instanceof Error ? current.message : String(current)
}
