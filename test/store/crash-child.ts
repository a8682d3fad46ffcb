/**
 * A poller for the crash tests, run as its own process and killed with SIGKILL by the parent:
 * it polls the crash world's rounds in order (each source, each round, with that round's clock)
 * into the store named by argv[2], from the round it was in when it was killed (`round` in the
 * world's folder, written after each round: a round cut short is polled again), and writes `apply <n>` to stdout, synchronously,
 * as each commit's atomic write starts and `done <n>` as it ends, so the parent can kill inside one.
 */
import { existsSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { parseStoreUrl, openBackend, Store } from '../../src/store/index.js'
import { createFetcher } from '../../src/fetch/index.js'
import { refreshSource } from '../../src/refresh.js'
import { silentLogger } from '../../src/log.js'
import { ROUNDS, roundClock, worldConfig, writeRound } from './crash-world.js'

const [url, dir] = process.argv.slice(2)
const location = parseStoreUrl(url)
const backend = await openBackend(location)
const apply = backend.apply.bind(backend)
let n = 0
backend.apply = async (batch) => {
  const at = ++n
  writeSync(1, `apply ${at}\n`)
  const seqs = await apply(batch)
  writeSync(1, `done ${at}\n`)
  return seqs
}
const store = new Store(backend, location)
const config = worldConfig(dir)
const fetcher = createFetcher()
const progress = join(dir, 'round')
const from = existsSync(progress) ? Number(readFileSync(progress, 'utf8')) : 0
for (let round = from; round < ROUNDS; round++) {
  writeRound(dir, round)
  for (const source of config.sources) {
    const result = await refreshSource(source, { store, fetcher, now: () => roundClock(round), log: silentLogger })
    if (result.outcome === 'error') {
      writeSync(2, `${source.id} round ${round}: ${result.error}\n`)
      process.exit(1)
    }
  }
  writeFileSync(progress, String(round + 1))
}
await store.close()
writeSync(1, 'finished\n')
