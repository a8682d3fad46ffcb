/**
 * Signed image addresses (SPEC §8): `/img/{mac}/{payload}`, where the payload names the image, the
 * page to send as Referer and the source the image belongs to, and the MAC is an HMAC-SHA256 of it
 * under the server's secret. The proxy fetches only what this server signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a signed address stands for. */
export interface ImageRequest {
  /** The image, absolute http(s). */
  url: string
  /** The article that shows it: the Referer hotlink checks accept. */
  referer?: string
  /** The source whose item shows it: its configured host is the one the fetch may trust. */
  sourceId: string
}

/** Where the proxy answers. */
export const IMAGE_PATH = '/img/'

/** 128 of HMAC-SHA256's 256 bits: beyond guessing (RFC 2104 §5 allows truncation to half), shorter URLs. */
const MAC_BYTES = 16

/** Separates these MACs from any other use the secret may get. */
const PURPOSE = 'feedloom image v1\n'

export class ImageSigner {
  constructor(private readonly secret: string) {}

  /** The proxy path of an image. */
  path(request: ImageRequest): string {
    const payload = Buffer.from(JSON.stringify([request.sourceId, request.url, request.referer ?? '']), 'utf8').toString('base64url')
    return `${IMAGE_PATH}${this.mac(payload)}/${payload}`
  }

  /** The request a path's two parts stand for, or undefined when this server did not sign them. */
  open(mac: string, payload: string): ImageRequest | undefined {
    const expected = Buffer.from(this.mac(payload), 'base64url')
    const given = Buffer.from(mac, 'base64url')
    // Constant time, so a forger learns nothing from how long a wrong MAC took to refuse.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    const [sourceId, url, referer] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, string, string]
    return { sourceId, url, referer: referer || undefined }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(PURPOSE).update(payload).digest().subarray(0, MAC_BYTES).toString('base64url')
  }
}
