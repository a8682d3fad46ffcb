import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type { CliIo } from '../../src/cli.js'

export interface Served {
  body: Uint8Array
  contentType: string
}

/**
 * A feed host on 127.0.0.1 serving fixture bytes with ETag/Last-Modified and 304s, like a real
 * site; `files` can be edited between polls. Counts requests per path.
 */
export async function startFeedServer(files: Map<string, Served>): Promise<{ url: string; server: Server; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>()
  const lastModified = new Date('2024-09-19T10:00:00Z').toUTCString()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const file = files.get(path)
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such feed')
      return
    }
    const etag = `"${createHash('sha1').update(file.body).digest('hex')}"`
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end()
      return
    }
    res.writeHead(200, { 'Content-Type': file.contentType, ETag: etag, 'Last-Modified': lastModified, 'Content-Length': file.body.length })
    res.end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, server, hits, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

export async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

/** Captures what the CLI prints. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk))
        cb()
      },
    })
  return {
    env,
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    out: () => out,
    err: () => err,
  }
}
