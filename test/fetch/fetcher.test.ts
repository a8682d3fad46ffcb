import { getEventListeners } from 'node:events'
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { FetchError } from '../../src/errors.js'
import { createFetcher } from '../../src/fetch/index.js'
import type { FetchResult } from '../../src/model.js'
import { closedPort, startServer, type TestServer } from './server.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/fetch/${name}`, import.meta.url))
const RSS = fixture('rss20.xml')

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  server = await startServer(handler)
  return server
}

function okBody(result: FetchResult): Buffer {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.kind}`)
  return Buffer.from(result.body)
}

/** The rejection of `promise`, which must be a FetchError. */
async function failure(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(FetchError)
  return error as FetchError
}

describe('request headers and a plain 200', () => {
  it.each([
    ['rss20.xml', 'application/rss+xml'],
    ['atom10.xml', 'application/atom+xml; charset=utf-8'],
    ['gb2312.xml', 'text/xml; charset=gb2312'],
  ])('%s served as %s: bytes, content type and validators handed on untouched', async (name, contentType) => {
    const bytes = fixture(name)
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': contentType, etag: '"v1"', 'last-modified': 'Thu, 19 Sep 2024 09:11:51 GMT' })
      res.end(bytes)
    })
    const result = await createFetcher().fetch(s.url(`/${name}`), {})

    expect(result).toMatchObject({
      kind: 'ok',
      url: s.url(`/${name}`),
      finalUrl: s.url(`/${name}`),
      httpStatus: 200,
      contentType,
      validators: { etag: '"v1"', lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' },
    })
    expect(okBody(result).equals(bytes)).toBe(true)
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0)
  })

  it('asks for feeds, compression and names itself; sends no validators it does not have', async () => {
    const s = await serve((_req, res) => res.end(RSS))
    await createFetcher().fetch(s.url('/feed'), {})
    expect(s.requests[0].headers).toMatchObject({
      accept: 'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8',
      'accept-encoding': 'gzip, deflate, br',
      'user-agent': 'feedloom/0.1 (+https://github.com/feedloom/feedloom)',
    })
    expect(s.requests[0].headers).not.toHaveProperty('if-none-match')
    expect(s.requests[0].headers).not.toHaveProperty('if-modified-since')
  })

  it('uses a configured User-Agent', async () => {
    const s = await serve((_req, res) => res.end(RSS))
    await createFetcher({ userAgent: 'test-agent/1' }).fetch(s.url('/feed'), {})
    expect(s.requests[0].headers['user-agent']).toBe('test-agent/1')
  })

  it('drops validators the server no longer sends, and blank ones', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'last-modified': '' })
      res.end(RSS)
    })
    const result = await createFetcher().fetch(s.url('/feed'), { etag: '"old"', lastModified: 'Mon, 03 Apr 2023 01:02:03 GMT' })
    expect(result.validators).toStrictEqual({})
  })

  it('fails on a 200 with an empty body', async () => {
    const s = await serve((_req, res) => res.end())
    const error = await failure(createFetcher().fetch(s.url('/empty'), {}))
    expect(error.message).toBe(`fetch: HTTP 200 with an empty body (${s.url('/empty')})`)
  })
})

describe('conditional GET (RFC 9110 §13)', () => {
  /** A server that keeps one version of the feed and answers conditional requests like nginx. */
  async function versionedServer(opts: { etag: string; lastModified: string; repeatOn304: Record<string, string> }) {
    return serve((req, res) => {
      const fresh = req.headers['if-none-match'] === opts.etag || req.headers['if-modified-since'] === opts.lastModified
      if (fresh) {
        res.writeHead(304, opts.repeatOn304)
        res.end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/rss+xml', etag: opts.etag, 'last-modified': opts.lastModified })
      res.end(RSS)
    })
  }

  it('sends the stored validators and reports not-modified on 304', async () => {
    const stored = { etag: 'W/"abc"', lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' }
    const s = await versionedServer({ ...stored, repeatOn304: { etag: stored.etag } })
    const fetcher = createFetcher()

    const first = await fetcher.fetch(s.url('/feed'), {})
    expect(first).toMatchObject({ kind: 'ok', validators: stored })

    const second = await fetcher.fetch(s.url('/feed'), first.validators)
    expect(s.requests[1].headers).toMatchObject({ 'if-none-match': 'W/"abc"', 'if-modified-since': stored.lastModified })
    expect(second).toMatchObject({ kind: 'not-modified', httpStatus: 304, validators: stored, finalUrl: s.url('/feed') })
    expect(second).not.toHaveProperty('body')
  })

  it.each([
    ['304 repeats nothing: both old validators kept', {}, { etag: '"1"', lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' }],
    ['304 repeats a new ETag: taken, Last-Modified kept', { etag: '"2"' }, { etag: '"2"', lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' }],
    [
      '304 repeats both',
      { etag: '"3"', 'last-modified': 'Fri, 20 Sep 2024 00:00:00 GMT' },
      { etag: '"3"', lastModified: 'Fri, 20 Sep 2024 00:00:00 GMT' },
    ],
  ])('%s', async (_name, headers, expected) => {
    const s = await serve((_req, res) => {
      res.writeHead(304, headers)
      res.end()
    })
    const result = await createFetcher().fetch(s.url('/feed'), { etag: '"1"', lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' })
    expect(result).toMatchObject({ kind: 'not-modified', validators: expected })
  })
})

describe('timeout over the whole exchange', () => {
  it('gives up on a server that never answers, within the configured time', async () => {
    const s = await serve(() => {}) // reads the request, never answers
    const started = performance.now()
    const error = await failure(createFetcher({ timeoutMs: 200 }).fetch(s.url('/silent'), {}))
    expect(error.message).toBe(`fetch: timed out after 200 ms (${s.url('/silent')})`)
    expect(error.httpStatus).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('counts the body too: headers on time, then a stall', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      res.write(RSS.subarray(0, 100)) // and never the rest
    })
    const error = await failure(createFetcher({ timeoutMs: 200 }).fetch(s.url('/stall'), {}))
    expect(error.message).toBe(`fetch: timed out after 200 ms (${s.url('/stall')})`)
  })

  it('stops when the caller aborts, and says so rather than "timed out"', async () => {
    const controller = new AbortController()
    const s = await serve(() => controller.abort()) // the request is on the wire: now cancel it
    const error = await failure(createFetcher().fetch(s.url('/slow'), {}, { signal: controller.signal, sourceId: 'gjxw' }))
    expect(error.message).toBe(`fetch: aborted (${s.url('/slow')}, source gjxw)`)
  })
  it("leaves no listener on the caller's long-lived signal", async () => {
    const shutdown = new AbortController()
    const s = await serve((_req, res) => res.end(RSS))
    const fetcher = createFetcher()
    for (let i = 0; i < 3; i++) await fetcher.fetch(s.url('/feed'), {}, { signal: shutdown.signal })
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0)
  })
})

describe('body size cap, counted while streaming', () => {
  /** Chunked (no Content-Length), 64 KiB at a time, for as long as the client keeps reading. */
  function endlessServer(closed: () => void) {
    const chunk = Buffer.alloc(64 * 1024, 'x')
    return serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      let open = true
      res.on('close', () => {
        open = false
        closed()
      })
      const pump = () => {
        while (open && res.write(chunk));
        if (open) res.once('drain', pump)
      }
      pump()
    })
  }

  it('aborts a chunked response that never ends once it passes the cap, and drops the connection', async () => {
    let serverSawClose!: () => void
    const dropped = new Promise<void>((resolve) => (serverSawClose = resolve))
    const s = await endlessServer(() => serverSawClose())
    // The timeout is far away: only counting while reading can end this fetch.
    const fetcher = createFetcher({ maxBodyBytes: 256 * 1024, timeoutMs: 5_000 })
    const error = await failure(fetcher.fetch(s.url('/endless'), {}))
    expect(s.requests[0].headers).not.toHaveProperty('content-length')
    expect(error.message).toBe(`fetch: body larger than 256 KiB limit (${s.url('/endless')})`)
    await dropped
  })

  it.each([
    ['exactly at the cap is accepted', 1000, 'ok'],
    ['one byte over is refused', 1001, 'refused'],
  ])('chunked body %s', async (_name, size, outcome) => {
    const body = Buffer.alloc(size, 'a')
    const s = await serve((_req, res) => {
      res.write(body.subarray(0, 600)) // two writes: chunked, no Content-Length
      res.end(body.subarray(600))
    })
    const fetching = createFetcher({ maxBodyBytes: 1000 }).fetch(s.url('/feed'), {})
    if (outcome === 'ok') expect(okBody(await fetching).length).toBe(size)
    else expect((await failure(fetching)).message).toBe(`fetch: body larger than 1000 bytes limit (${s.url('/feed')})`)
  })

  it('refuses a declared Content-Length over the default 15 MiB before reading any of it', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(16 * 1024 * 1024) })
      res.flushHeaders() // and never a byte of body
    })
    const error = await failure(createFetcher({ timeoutMs: 5_000 }).fetch(s.url('/huge.xml'), {}))
    expect(error.message).toBe(`fetch: body larger than 15 MiB limit (${s.url('/huge.xml')})`)
  })
})

describe('redirects, followed by hand', () => {
  /** /hop/N redirects towards /hop/0 (the feed), with each kind of Location. */
  async function hopServer(status = 302) {
    const s = await serve((req, res) => {
      const n = Number(req.url?.split('/')[2])
      if (n === 0) return res.end(RSS)
      // absolute URL, absolute path and relative path all occur in the wild
      const location = [`${s.url(`/hop/${n - 1}`)}`, `/hop/${n - 1}`, `${n - 1}`][n % 3]
      res.writeHead(status, { location })
      res.end()
    })
    return s
  }

  it('follows a chain of 3 with absolute, path and relative Locations; finalUrl is the end', async () => {
    const s = await hopServer()
    const result = await createFetcher().fetch(s.url('/hop/3'), { etag: '"x"' })
    expect(s.requests.map((r) => r.path)).toEqual(['/hop/3', '/hop/2', '/hop/1', '/hop/0'])
    expect(result).toMatchObject({ kind: 'ok', url: s.url('/hop/3'), finalUrl: s.url('/hop/0'), httpStatus: 200 })
    expect(okBody(result).equals(RSS)).toBe(true)
    // the validators belong to the feed, wherever it now lives
    expect(s.requests.map((r) => r.headers['if-none-match'])).toEqual(['"x"', '"x"', '"x"', '"x"'])
  })

  it.each([301, 303, 307, 308])('follows %i', async (status) => {
    const s = await hopServer(status)
    expect(await createFetcher().fetch(s.url('/hop/1'), {})).toMatchObject({ kind: 'ok', finalUrl: s.url('/hop/0') })
  })

  it('follows 5, the limit', async () => {
    const s = await hopServer()
    expect(await createFetcher().fetch(s.url('/hop/5'), {})).toMatchObject({ kind: 'ok', finalUrl: s.url('/hop/0') })
  })

  it('rejects 6', async () => {
    const s = await hopServer()
    const error = await failure(createFetcher().fetch(s.url('/hop/6'), {}))
    expect(error.message).toBe(`fetch: too many redirects: more than 5 (${s.url('/hop/6')})`)
    expect(s.requests).toHaveLength(6) // the sixth Location is never requested
  })

  it('honours a configured maxRedirects', async () => {
    const s = await hopServer()
    const error = await failure(createFetcher({ maxRedirects: 1 }).fetch(s.url('/hop/2'), {}))
    expect(error.message).toBe(`fetch: too many redirects: more than 1 (${s.url('/hop/2')})`)
  })

  it('rejects a loop as soon as it comes back', async () => {
    const s = await serve((req, res) => {
      res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' })
      res.end()
    })
    const error = await failure(createFetcher().fetch(s.url('/a'), {}))
    expect(error.message).toBe(`fetch: too many redirects: loop back to ${s.url('/a')} (${s.url('/a')})`)
    expect(s.requests.map((r) => r.path)).toEqual(['/a', '/b'])
  })

  it.each(['file:///etc/passwd', 'ftp://127.0.0.1/feed.xml'])('never follows a redirect to %s', async (location) => {
    const s = await serve((_req, res) => {
      res.writeHead(301, { location })
      res.end()
    })
    const error = await failure(createFetcher().fetch(s.url('/moved'), {}))
    expect(error.message).toBe(`fetch: redirect to unsupported URL scheme ${new URL(location).protocol} (${s.url('/moved')})`)
  })

  it('treats a 302 without Location as an HTTP error', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(302)
      res.end()
    })
    const error = await failure(createFetcher().fetch(s.url('/nowhere'), {}))
    expect(error.message).toBe(`fetch: HTTP 302 Found (${s.url('/nowhere')})`)
    expect(error.httpStatus).toBe(302)
  })
})

describe('per-host concurrency cap', () => {
  /**
   * Counts requests in flight on the wire and holds each one until every request the fetcher has
   * sent so far has arrived: whatever the fetcher lets through at once is then in flight here at
   * once, so a cap that leaks shows up in `max` without depending on timing. The transport is
   * wrapped only to count what was sent.
   */
  async function countingServer() {
    const seen = { sent: 0, arrived: 0, active: 0, max: 0 }
    const held: ServerResponse[] = []
    const s = await serve((_req, res) => {
      seen.arrived++
      seen.max = Math.max(seen.max, ++seen.active)
      res.on('finish', () => seen.active--)
      held.push(res)
      if (seen.arrived === seen.sent) held.splice(0).forEach((r) => r.end(RSS))
    })
    const transport: typeof fetch = (input, init) => {
      seen.sent++
      return fetch(input, init)
    }
    return { s, seen, transport }
  }

  it.each([1, 2, 3, 10])('cap %i: 10 fetches to one host, never more than the cap in flight', async (cap) => {
    const { s, seen, transport } = await countingServer()
    const fetcher = createFetcher({ fetch: transport, perHostConcurrency: cap })
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => fetcher.fetch(s.url(`/feed/${i}`), {}, { sourceId: `s${i}` })))
    expect(results.every((r) => r.kind === 'ok')).toBe(true)
    expect(seen.arrived).toBe(10)
    expect(seen.max).toBe(cap)
  })

  it('reports the time on the network, not the wait for a slot on the host', async () => {
    const s = await serve((req, res) => void setTimeout(() => res.end(RSS), req.url === '/slow' ? 300 : 0))
    const fetcher = createFetcher({ perHostConcurrency: 1 })
    const [slow, quick] = await Promise.all([fetcher.fetch(s.url('/slow'), {}), fetcher.fetch(s.url('/quick'), {})])
    // The quick one waited for the slow one's slot, but was itself quick.
    expect(slow.elapsedMs).toBeGreaterThanOrEqual(295)
    expect(quick.elapsedMs).toBeLessThan(150)
  })

  it('the default cap is 2', async () => {
    const { s, seen, transport } = await countingServer()
    const fetcher = createFetcher({ fetch: transport })
    await Promise.all(Array.from({ length: 10 }, () => fetcher.fetch(s.url('/feed'), {})))
    expect(seen.max).toBe(2)
  })
})

describe('HTTP errors', () => {
  it.each([
    [404, 'Not Found'],
    [410, 'Gone'],
    [500, 'Internal Server Error'],
    [502, 'Bad Gateway'],
  ])('%i → FetchError with the status in words', async (status, text) => {
    const s = await serve((_req, res) => {
      res.writeHead(status)
      res.end('<html>error page</html>')
    })
    const error = await failure(createFetcher().fetch(s.url('/feed.xml'), {}))
    expect(error.message).toBe(`fetch: HTTP ${status} ${text} (${s.url('/feed.xml')})`)
    expect(error.httpStatus).toBe(status)
    expect(error.retryAfterMs).toBeUndefined()
  })

  it('names the source when told it', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(404)
      res.end()
    })
    const error = await failure(createFetcher().fetch(s.url('/feed.xml'), {}, { sourceId: 'gjxw' }))
    expect(error.message).toBe(`fetch: HTTP 404 Not Found (${s.url('/feed.xml')}, source gjxw)`)
  })

  const now = new Date('2024-09-19T09:11:51Z')
  it.each([
    ['503 with delta-seconds', 503, '120', 120_000],
    ['429 with an HTTP-date an hour ahead', 429, 'Thu, 19 Sep 2024 10:11:51 GMT', 3_600_000],
    ['429 with a date already past', 429, 'Thu, 19 Sep 2024 08:00:00 GMT', 0],
    ['503 with garbage', 503, 'later', undefined],
    ['500 is no "come back later": its Retry-After is ignored', 500, '120', undefined],
  ])('Retry-After: %s', async (_name, status, retryAfter, expected) => {
    const s = await serve((_req, res) => {
      res.writeHead(status, { 'retry-after': retryAfter })
      res.end()
    })
    const error = await failure(createFetcher({ now: () => now }).fetch(s.url('/feed'), {}))
    expect(error.httpStatus).toBe(status)
    expect(error.retryAfterMs).toBe(expected)
  })
})

describe('network failures', () => {
  it('connection refused on a closed port', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/feed.xml`
    const error = await failure(createFetcher().fetch(url, {}))
    expect(error.message).toBe(`fetch: connection refused (${url})`)
    expect(error.httpStatus).toBeUndefined()
    expect(error.cause).toBeInstanceOf(TypeError) // undici's, kept for the logs
  })

  it('connection dropped before any answer', async () => {
    const s = await serve((req) => req.socket.destroy())
    const error = await failure(createFetcher().fetch(s.url('/feed'), {}))
    expect(error.message).toBe(`fetch: connection closed by the server before the response was complete (${s.url('/feed')})`)
  })

  it('connection dropped in the middle of the body', async () => {
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-length': String(RSS.length) })
      res.write(RSS.subarray(0, 100), () => req.socket.destroy())
    })
    const error = await failure(createFetcher().fetch(s.url('/feed'), {}))
    expect(error.message).toBe(`fetch: connection closed by the server before the response was complete (${s.url('/feed')})`)
  })
})

describe('compressed responses', () => {
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('%s body is decompressed to the original bytes', async (encoding, compress) => {
    const compressed = compress(RSS)
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': encoding, 'content-type': 'application/rss+xml', 'content-length': compressed.length })
      res.end(compressed)
    })
    const result = await createFetcher().fetch(s.url('/feed'), {})
    expect(compressed.length).toBeLessThan(RSS.length)
    expect(okBody(result).equals(RSS)).toBe(true)
  })

  it('counts the cap on the decompressed bytes (a small gzip of a big body is refused)', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, ' '))
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length })
      res.end(bomb)
    })
    expect(bomb.length).toBeLessThan(64 * 1024)
    const error = await failure(createFetcher({ maxBodyBytes: 1024 * 1024 }).fetch(s.url('/bomb'), {}))
    expect(error.message).toBe(`fetch: body larger than 1 MiB limit (${s.url('/bomb')})`)
  })

  it('a corrupt gzip body fails in words', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' })
      res.end(RSS) // claims gzip, is plain XML
    })
    const error = await failure(createFetcher().fetch(s.url('/feed'), {}))
    expect(error.message).toBe(`fetch: compressed body is corrupt (${s.url('/feed')})`)
  })
})

describe('URLs we do not fetch', () => {
  it.each([
    ['not a URL', 'feeds/local.xml', 'fetch: invalid URL "feeds/local.xml" (source x)'],
    ['another scheme', 'ftp://127.0.0.1/feed.xml', 'fetch: unsupported URL scheme ftp: (ftp://127.0.0.1/feed.xml, source x)'],
  ])('%s', async (_name, url, message) => {
    const error = await failure(createFetcher().fetch(url, {}, { sourceId: 'x' }))
    expect(error.message).toBe(message)
  })
})
