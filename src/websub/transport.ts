import { AppError } from '../errors.js'
import { USER_AGENT } from '../fetch/policy.js'

/** How long a hub gets to answer one request: notifications are fire-and-forget and must never pile up. */
export const HUB_TIMEOUT_MS = 10_000

/** The one thing WebSub needs from HTTP: POST a form to a hub. Injected, so tests use a fake hub (STYLE.md rule 6). */
export type HubTransport = (url: string, form: URLSearchParams) => Promise<{ status: number }>

/** The real transport: `fetch` with a timeout, our User-Agent, and the body read so the socket is freed. */
export function fetchTransport(timeoutMs = HUB_TIMEOUT_MS): HubTransport {
  return async (url, form) => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        body: form,
        headers: { 'User-Agent': USER_AGENT },
        redirect: 'follow',
        signal: AbortSignal.timeout(timeoutMs),
      })
      await res.arrayBuffer().catch(() => undefined)
      return { status: res.status }
    } catch (error) {
      throw new AppError(`websub: hub ${url} did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
  }
}
