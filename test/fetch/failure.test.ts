import { describe, expect, it } from 'vitest'
import { FetchError } from '../../src/errors.js'
import { createFetcher } from '../../src/fetch/index.js'

/** Builds the error undici's fetch rejects with: a bare TypeError, the reason in `cause`. */
function undiciFailure(code: string | undefined, message: string, extra: Record<string, unknown> = {}): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), code ? { code } : {}, extra) })
}

const URL_ = 'https://example.invalid/feed.xml'

describe('network failures in words (undici cause codes unwrapped)', () => {
  it.each([
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND example.invalid', 'cannot resolve host example.invalid'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN example.invalid', 'cannot resolve host example.invalid (DNS lookup failed, may be temporary)'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 203.0.113.7:443', 'connection refused'],
    ['ECONNRESET', 'read ECONNRESET', 'connection reset by the server'],
    ['UND_ERR_SOCKET', 'other side closed', 'connection closed by the server before the response was complete'],
    ['UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error', 'connection timed out'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 203.0.113.7:443', 'connection timed out'],
    ['UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error', 'server sent no response headers in time'],
    ['UND_ERR_BODY_TIMEOUT', 'Body Timeout Error', 'server stopped sending the body'],
    ['EHOSTUNREACH', 'connect EHOSTUNREACH 203.0.113.7:443', 'host unreachable'],
    ['CERT_HAS_EXPIRED', 'certificate has expired', 'TLS certificate has expired'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', 'TLS certificate is self-signed'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', 'TLS certificate is not trusted'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", 'TLS certificate does not name example.invalid'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number', 'TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER)'],
    ['HPE_INVALID_CONSTANT', 'Expected HTTP/', 'malformed HTTP response'],
    ['Z_DATA_ERROR', 'incorrect header check', 'compressed body is corrupt'],
    ['EWHATEVER', 'something new', 'network error: something new (EWHATEVER)'],
    [undefined, 'no code at all', 'network error: no code at all'],
  ])('%s → %s', async (code, message, words) => {
    const fetcher = createFetcher({ fetch: () => Promise.reject(undiciFailure(code, message)) })
    const error = await fetcher.fetch(URL_, {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FetchError)
    expect((error as FetchError).message).toBe(`fetch: ${words} (${URL_})`)
    expect((error as FetchError).cause).toBeInstanceOf(TypeError)
  })

  it('finds the code inside the AggregateError of a connection tried on several addresses', async () => {
    // Node 20 tries IPv6 and IPv4 (autoSelectFamily) and reports one error per address.
    const attempts = [
      Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
    ]
    const fetcher = createFetcher({ fetch: () => Promise.reject(new TypeError('fetch failed', { cause: new AggregateError(attempts) })) })
    await expect(fetcher.fetch(URL_, {})).rejects.toThrow(`fetch: connection refused (${URL_})`)
  })
})
