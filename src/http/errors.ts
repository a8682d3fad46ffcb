/**
 * How the web layer answers what it cannot serve (SPEC §7): HTML routes with a page in the site's
 * language that names the problem and links home; feed, JSON and asset routes with short plain
 * text; other methods than GET and HEAD with 405 and `Allow`; requests too long to parse with a
 * status and a line of text instead of an empty 431.
 */
import { maxHeaderSize as NODE_MAX_HEADER_SIZE, type Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express'
import { AppError, errorMessage } from '../errors.js'
import type { HttpContext } from './context.js'
import { htmlHeaders } from './headers.js'
import { isBrowserNavigation } from './conditional.js'
import { PageError, resolveLanguage, type Language } from './pages.js'

/** An Express handler for an HTML route: a 4xx it throws becomes an error page, anything else goes on to the app's handler. */
export function htmlRoute(ctx: HttpContext, handler: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await handler(req, res)
    } catch (error) {
      const status = error instanceof AppError ? error.status : undefined
      if (status !== undefined && status < 500 && !res.headersSent) sendErrorPage(ctx, req, res, error as AppError)
      else next(error)
    }
  }
}

/** The language an error page speaks: the reader's valid `?lang=`, else the site's. */
function errorLanguage(ctx: HttpContext, req: Request): Language {
  try {
    return resolveLanguage(req.query.lang, ctx.config)
  } catch {
    return resolveLanguage(undefined, ctx.config)
  }
}

function sendErrorPage(ctx: HttpContext, req: Request, res: Response, error: AppError): void {
  const status = error.status ?? 500
  const lang = errorLanguage(ctx, req)
  const words = error instanceof PageError ? error.words[lang.key] : undefined
  res.status(status)
  res.set(htmlHeaders(ctx.config))
  // An error is about this request, now: never kept by a cache.
  res.setHeader('Cache-Control', 'no-store')
  res.type('html').send(ctx.pages.error({ status, words, detail: errorMessage(error) }, lang))
}

/** The last route: a page for a browser that followed a dead link, a line of text for anything else. */
export function notFound(ctx: HttpContext): RequestHandler {
  return (req, res) => {
    const error = new PageError(404, `no such page ${req.path}`, { zh: '没有这个页面，可能是链接有误或已失效。', en: 'There is no such page: the link may be wrong or out of date.' })
    if ((req.method === 'GET' || req.method === 'HEAD') && isBrowserNavigation(req.headers.accept)) sendErrorPage(ctx, req, res, error)
    else res.status(404).type('text/plain').send('not found')
  }
}

/** The methods every read-only route answers. */
const READ_METHODS = 'GET, HEAD'

/**
 * Every other method on these paths: 405 with `Allow` (RFC 9110 §15.5.6), OPTIONS 204 with
 * `Allow` (§9.3.7); registered after the paths' GET routes, which Express also runs for HEAD.
 */
export function readOnly(app: Express, paths: string[]): void {
  app.all(paths, (req, res) => {
    res.setHeader('Allow', READ_METHODS)
    if (req.method === 'OPTIONS') res.status(204).end()
    else res.status(405).type('text/plain').send(`method ${req.method} not allowed here (use ${READ_METHODS})`)
  })
}

/** Node's own answers to the other parse errors (lib/_http_server.js `socketOnError`), now with a line of text. */
const CLIENT_ERROR_STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Content Too Large',
}

/**
 * Node answers a request line or header block longer than its limit (16 KiB) with a bare 431 and
 * no body (issue 11 §9). Say which it was, in words: a URL that long is 414 URI Too Long
 * (RFC 9110 §15.5.15), long header fields 431 (RFC 6585 §5). Any other error that stops a request
 * from parsing gets Node's usual status, also with a line of text.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (socket.writable && socket.bytesWritten === 0) {
      const limit = (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? NODE_MAX_HEADER_SIZE
      const [status, text] = clientErrorAnswer(error, limit)
      socket.write(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`)
    }
    socket.destroy(error)
  })
}

function clientErrorAnswer(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, limit: number): [status: string, text: string] {
  const kib = `${Math.floor(limit / 1024)} KiB`
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The request line is the first line of what arrived; with no line end yet, it alone passed the limit.
    const lineEnd = error.rawPacket?.indexOf('\r\n') ?? -1
    if (lineEnd < 0 || lineEnd > limit / 2) return ['414 URI Too Long', `the address is too long: a request line and its headers may take ${kib}; shorten the query\n`]
    return ['431 Request Header Fields Too Large', `the request headers are too large: they may take ${kib}\n`]
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request'
  return [status, `${status.slice(4).toLowerCase()}: the request could not be read\n`]
}
