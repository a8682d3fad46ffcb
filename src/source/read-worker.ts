/** A reader thread of pool.ts: digests bodies, one at a time, and answers with the result or the error. */
import { parentPort } from 'node:worker_threads'
import { digest, type DigestInput } from './digest.js'
import { packDigest } from './transfer.js'

parentPort!.on('message', async ({ id, input }: { id: number; input: DigestInput }) => {
  try {
    const { packed, transfer } = packDigest(await digest(input))
    parentPort!.postMessage({ id, digest: packed }, transfer)
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    parentPort!.postMessage({ id, error: { name: e.name, message: e.message } })
  }
})
