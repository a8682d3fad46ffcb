import type { Express, Request } from 'express'
import { HttpError } from '../errors.js'
import { DEFAULT_MAX_BODY_BYTES } from '../fetch/policy.js'
import type { Subscriber } from '../websub/index.js'
import { CALLBACK_PREFIX } from '../websub/index.js'

/** A pushed feed is a feed: the same cap as a fetched one. */
const MAX_PUSH_BYTES = DEFAULT_MAX_BODY_BYTES

/**
 * The WebSub callback `/websub/{sourceId}`: GET answers the hub's verification of intent (echo
 * `hub.challenge`, or 404 for a subscription we did not ask for); POST is a content distribution,
 * acknowledged with 2xx even when its signature is wrong (WebSub §8: "locally ignore" it), and 410
 * for a source we hold no subscription for, so the hub stops sending.
 */
export function websubRoutes(subscriber: Subscriber): (app: Express) => void {
  return (app) => {
    const path = `${CALLBACK_PREFIX}:sourceId`

    app.get(path, (req, res) => {
      const challenge = subscriber.verify(req.params.sourceId, req.query)
      if (challenge === undefined) throw new HttpError(404, 'websub: no such subscription request')
      res.setHeader('Cache-Control', 'no-store')
      res.status(200).type('text/plain').send(challenge)
    })

    app.post(path, async (req, res) => {
      const body = await readBody(req)
      const outcome = subscriber.deliver(req.params.sourceId, body, header(req, 'x-hub-signature'))
      res.setHeader('Cache-Control', 'no-store')
      res.status(outcome === 'unknown' ? 410 : 202).end()
    })
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

async function readBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_PUSH_BYTES) throw new HttpError(413, `websub: a pushed body is limited to ${MAX_PUSH_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
