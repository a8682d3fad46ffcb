/** A reader thread of pool.ts: digests bodies, one at a time, and answers with the result or the error. */
import { parentPort } from 'node:worker_threads'
import { digest, type DigestInput } from './digest.js'

parentPort!.on('message', async ({ id, input }: { id: number; input: DigestInput }) => {
  try {
    parentPort!.postMessage({ id, digest: await digest(input) })
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    parentPort!.postMessage({ id, error: { name: e.name, message: e.message } })
  }
})
