import { createHmac, timingSafeEqual } from 'node:crypto'

/** The digests WebSub §8 lets a hub sign with (`X-Hub-Signature: method=signature`). */
export const SIGNATURE_METHODS: ReadonlySet<string> = new Set(['sha1', 'sha256', 'sha384', 'sha512'])

/** `sha256=…` over `body` with `secret`, as a hub writes it. */
export function signBody(body: Uint8Array, secret: string, method = 'sha256'): string {
  return `${method}=${createHmac(method, secret).update(body).digest('hex')}`
}

/**
 * Whether `header` is a valid HMAC of `body` under `secret` (WebSub §8): compared in constant time,
 * so a forger learns nothing from how long a wrong guess takes.
 */
export function verifySignature(header: string | undefined, body: Uint8Array, secret: string): boolean {
  if (!header) return false
  const [method, hex] = header.trim().split('=', 2)
  const algorithm = method?.toLowerCase()
  if (!algorithm || !SIGNATURE_METHODS.has(algorithm) || !hex || !/^[0-9a-fA-F]+$/.test(hex)) return false
  const expected = createHmac(algorithm, secret).update(body).digest()
  const given = Buffer.from(hex, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
