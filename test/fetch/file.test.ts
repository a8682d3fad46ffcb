import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { FetchError } from '../../src/errors.js'
import { createFetcher } from '../../src/fetch/index.js'

const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/fetch/${name}`, import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'feedloom-fetch-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const fetcher = createFetcher()

describe('file:// sources', () => {
  it.each(['rss20.xml', 'atom10.xml', 'gb2312.xml'])('%s: bytes as on disk, mtime as Last-Modified', async (name) => {
    const path = fixturePath(name)
    const url = pathToFileURL(path).href
    const result = await fetcher.fetch(url, {})
    expect(result).toMatchObject({
      kind: 'ok',
      url,
      finalUrl: url,
      httpStatus: 200,
      validators: { lastModified: statSync(path).mtime.toUTCString() },
    })
    expect(result.kind === 'ok' && Buffer.from(result.body).equals(readFileSync(path))).toBe(true)
  })

  it('answers not-modified while the file is unchanged, and ok again once it changes', async () => {
    const path = join(dir, '陕南 新闻.xml') // spaces and CJK: percent-encoded in the URL
    copyFileSync(fixturePath('rss20.xml'), path)
    utimesSync(path, new Date('2024-09-19T09:11:51Z'), new Date('2024-09-19T09:11:51Z'))
    const url = pathToFileURL(path).href
    expect(url).toContain('%20')

    const first = await fetcher.fetch(url, {})
    expect(first).toMatchObject({ kind: 'ok', validators: { lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' } })

    const second = await fetcher.fetch(url, first.validators)
    expect(second).toEqual({
      kind: 'not-modified',
      url,
      finalUrl: url,
      httpStatus: 304,
      validators: { etag: expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+"$/), lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' },
      elapsedMs: expect.any(Number),
    })
    // A store written before file ETags has Last-Modified only, and it still answers 304.
    expect((await fetcher.fetch(url, { lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' })).kind).toBe('not-modified')

    // rewritten within the same second (Last-Modified alike): a change, told by the ETag
    writeFileSync(path, readFileSync(fixturePath('rss20.xml'), 'utf8').replace('</channel>', '<!-- edited --></channel>'))
    utimesSync(path, new Date('2024-09-19T09:11:51.5Z'), new Date('2024-09-19T09:11:51.5Z'))
    const edited = await fetcher.fetch(url, first.validators)
    expect(edited).toMatchObject({ kind: 'ok', validators: { lastModified: 'Thu, 19 Sep 2024 09:11:51 GMT' } })
    copyFileSync(fixturePath('rss20.xml'), path)
    utimesSync(path, new Date('2024-09-19T09:11:51Z'), new Date('2024-09-19T09:11:51Z'))

    // an older mtime (restored from a backup) is a change too
    utimesSync(path, new Date('2024-09-18T00:00:00Z'), new Date('2024-09-18T00:00:00Z'))
    const third = await fetcher.fetch(url, first.validators)
    expect(third).toMatchObject({ kind: 'ok', validators: { lastModified: 'Wed, 18 Sep 2024 00:00:00 GMT' } })
  })

  it('a missing file says which', async () => {
    const path = join(dir, 'missing.xml')
    const error = await fetcher.fetch(pathToFileURL(path).href, {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FetchError)
    expect((error as FetchError).message).toBe(`fetch: no such file ${path}`)
  })

  it('a directory is no feed', async () => {
    const path = join(dir, 'feeds')
    mkdirSync(path)
    await expect(fetcher.fetch(pathToFileURL(path).href, {}, { sourceId: 'local' })).rejects.toThrow(`fetch: not a regular file ${path} (source local)`)
  })

  it('is capped like HTTP', async () => {
    const path = fixturePath('rss20.xml')
    await expect(createFetcher({ maxBodyBytes: 1024 }).fetch(pathToFileURL(path).href, {})).rejects.toThrow(
      `fetch: body larger than 1 KiB limit (${path})`,
    )
  })

  it('refuses a file URL naming another host', async () => {
    await expect(fetcher.fetch('file://fileserver/share/feed.xml', {})).rejects.toThrow(
      'fetch: not a local file URL (file://fileserver/share/feed.xml)',
    )
  })
})
