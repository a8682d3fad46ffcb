/**
 * SSRF (issue 12 §6): a redirect, or a URL someone else's page gave us, never reaches loopback,
 * private, CGNAT, link-local, unspecified or metadata addresses (IPv4-mapped IPv6 forms too),
 * unless its host is the source's own. Checked after DNS resolution (the resolver is injected),
 * per hop, with an error that names the address class and the source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFetcher, type Resolver } from '../../src/fetch/index.js'
import { forbiddenReason, pinnedLookup } from '../../src/fetch/address.js'
import { FetchError } from '../../src/errors.js'
import { startServer, type TestServer } from './server.js'
import { politeFetchOptions } from '../../src/page/index.js'

describe('forbiddenReason', () => {
  it.each([
    ['127.0.0.1', 'loopback address'],
    ['127.8.9.10', 'loopback address'],
    ['::1', 'loopback address'],
    ['0.0.0.0', 'unspecified address'],
    ['::', 'unspecified address'],
    ['10.1.2.3', 'private address'],
    ['172.16.0.1', 'private address'],
    ['172.31.255.254', 'private address'],
    ['192.168.1.1', 'private address'],
    ['fc00::1', 'private address'],
    ['fd12:3456::1', 'private address'],
    ['100.64.0.1', 'shared (CGNAT) address'],
    ['100.127.255.254', 'shared (CGNAT) address'],
    ['169.254.1.1', 'link-local address'],
    ['fe80::1', 'link-local address'],
    ['169.254.169.254', 'cloud metadata address'],
    ['fd00:ec2::254', 'cloud metadata address'],
    ['100.100.100.200', 'cloud metadata address'],
    ['168.63.129.16', 'cloud metadata address'],
    ['::ffff:127.0.0.1', 'loopback address'],
    ['::ffff:7f00:1', 'loopback address'],
    ['::ffff:169.254.169.254', 'cloud metadata address'],
    ['::ffff:10.0.0.1', 'private address'],
    ['64:ff9b::a00:1', 'private address'],
    ['2002:c0a8:101::1', 'private address'],
    ['224.0.0.1', 'reserved address'],
    ['255.255.255.255', 'reserved address'],
  ])('%s is a %s', (address, reason) => {
    expect(forbiddenReason(address)).toBe(reason)
  })
  it.each(['93.184.216.34', '172.32.0.1', '100.128.0.1', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('%s may be fetched', (address) => {
    expect(forbiddenReason(address)).toBeUndefined()
  })
})

let feed: TestServer
let redirector: TestServer
beforeAll(async () => {
  feed = await startServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/rss+xml' }).end('<rss version="2.0"><channel><title>t</title></channel></rss>'))
  redirector = await startServer((req, res) => res.writeHead(302, { Location: decodeURIComponent(req.url!.slice('/to/'.length)) }).end())
})
afterAll(async () => {
  await feed.close()
  await redirector.close()
})

/** A public-looking name for each test host, resolved to whatever the test says. */
function resolver(names: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = []
  const resolve = async (hostname: string) => {
    asked.push(hostname)
    const found = names[hostname]
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return found.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }))
  }
  return Object.assign(resolve, { asked })
}

async function failure(p: Promise<unknown>): Promise<FetchError> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError)
    return error as FetchError
  }
  throw new Error('expected the fetch to fail')
}

describe('redirects and foreign URLs', () => {
  it('refuses a redirect to the metadata address, naming it and the source', async () => {
    const error = await failure(createFetcher().fetch(redirector.url(`/to/${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`), {}, { sourceId: 'gjxw' }))
    expect(error.message).toBe('fetch: redirect to http://169.254.169.254/latest/meta-data/ refused: cloud metadata address (source gjxw)')
  })

  it('checks the resolved address of a redirect to a name: an intranet host is refused', async () => {
    const lookup = resolver({ 'intranet.example.com': ['10.0.0.7'] })
    const error = await failure(createFetcher({ lookup }).fetch(redirector.url(`/to/${encodeURIComponent('http://intranet.example.com/secret')}`), {}, { sourceId: 'x' }))
    expect(error.message).toBe('fetch: redirect to http://intranet.example.com/secret refused: private address 10.0.0.7 (source x)')
    expect(lookup.asked).toEqual(['intranet.example.com'])
  })

  it('refuses a name that resolves to a public and a private address', async () => {
    const lookup = resolver({ 'mixed.example.com': ['93.184.216.34', '192.168.0.10'] })
    const error = await failure(createFetcher({ lookup }).fetch(redirector.url(`/to/${encodeURIComponent('http://mixed.example.com/')}`), {}))
    expect(error.message).toContain('refused: private address 192.168.0.10')
  })

  it('refuses IPv4-mapped IPv6 loopback', async () => {
    const error = await failure(createFetcher().fetch(redirector.url(`/to/${encodeURIComponent('http://[::ffff:127.0.0.1]:1/')}`), {}))
    expect(error.message).toMatch(/^fetch: redirect to http:\/\/\[::ffff:7f00:1\]:1\/ refused: loopback address/)
  })

  it('follows a redirect on the source’s own host, loopback or not (an operator may aggregate intranet feeds)', async () => {
    const result = await createFetcher().fetch(redirector.url(`/to/${encodeURIComponent(feed.url('/feed.xml'))}`), {})
    expect(result).toMatchObject({ kind: 'ok', finalUrl: feed.url('/feed.xml') })
  })

  it('connects to the address it checked: the transport sees only the approved one (no second DNS answer)', async () => {
    // The name resolves to 127.0.0.1, which is trusted only as the source host; a link from a
    // page on another host to it must be refused before any connection.
    const lookup = resolver({ 'rebind.example.com': ['127.0.0.1'] })
    const error = await failure(createFetcher({ lookup }).fetch(`http://rebind.example.com:${new URL(feed.url('/')).port}/feed.xml`, {}, { trustedHost: 'portal.example.org', sourceId: 'p' }))
    expect(error.message).toMatch(/refused: loopback address 127\.0\.0\.1 \(source p\)$/)
    expect(feed.requests.some((r) => r.path === '/feed.xml' && r.headers.host?.startsWith('rebind'))).toBe(false)
  })

  it('pins the connection: the socket lookup answers the checked addresses, whatever name it is asked', async () => {
    const lookup = pinnedLookup([{ address: '93.184.216.34', family: 4 }, { address: '2606:2800::1', family: 6 }])
    const one = await new Promise((resolve) => lookup('evil.example.com', { family: 0 }, (_e, address, family) => resolve([address, family])))
    const all = await new Promise((resolve) => lookup('evil.example.com', { all: true }, (_e, addresses) => resolve(addresses)))
    expect(one).toEqual(['93.184.216.34', 4])
    expect(all).toEqual([{ address: '93.184.216.34', family: 4 }, { address: '2606:2800::1', family: 6 }])
  })

  it('a page source’s link to a local file is refused; the file source itself still reads its files', async () => {
    const error = await failure(createFetcher().fetch('file:///etc/passwd', {}, { trustedHost: 'portal.example.org', sourceId: 'p' }))
    expect(error.message).toBe('fetch: file:///etc/passwd refused: a local file, and the source is on portal.example.org (source p)')
  })
})

describe('page sources', () => {
  it('fetch their further pages and article links with the configured host as the only trusted one', () => {
    expect(politeFetchOptions({ id: 'ak', url: 'https://www.ankang.gov.cn/Node-1466.html' })).toMatchObject({ sourceId: 'ak', trustedHost: 'www.ankang.gov.cn' })
  })
})
