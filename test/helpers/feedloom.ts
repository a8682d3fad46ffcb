import { main } from '../../src/cli.js'
import { loadConfig } from '../../src/config/index.js'
import type { Config } from '../../src/model.js'
import { createHandler } from '../../src/http/app.js'
import { RevWatcher } from '../../src/http/rev.js'
import { Metrics } from '../../src/metrics.js'
import { silentLogger } from '../../src/log.js'
import { openStore, type Store } from '../../src/store/index.js'
import { captureIo, listen } from './servers.js'

/** `feedloom ARGS --config C --store S` in process, as an operator runs it; what it printed, captured. */
export async function runCli(args: string[], configPath: string, storeUrl: string): Promise<{ code: number; out: string }> {
  const io = captureIo()
  const code = await main([...args, '--config', configPath, '--store', storeUrl], io)
  return { code, out: io.out() + io.err() }
}

export interface Web {
  /** http://127.0.0.1:PORT of feedloom itself. */
  base: string
  config: Config
  store: Store
  /** A request that sees everything stored so far (the revision is re-read first, as the web process's timer would). */
  get(path: string, headers?: Record<string, string>): Promise<{ res: Response; text: string }>
  /** A 200 JSON body, parsed. */
  json(path: string): Promise<any>
  close(): Promise<void>
}

/** The web server over a store the CLI filled: the production handler (fast path, then Express). */
export async function startWeb(configPath: string, storeUrl: string): Promise<Web> {
  const config = await loadConfig(configPath)
  const store = await openStore(storeUrl)
  const rev = new RevWatcher(store, silentLogger)
  await rev.refresh()
  const web = await listen(createHandler({ config, store, rev, metrics: new Metrics(), log: silentLogger }))
  const get = async (path: string, headers: Record<string, string> = {}) => {
    await rev.refresh()
    const res = await fetch(web.url + path, { headers })
    return { res, text: await res.text() }
  }
  return {
    base: web.url,
    config,
    store,
    get,
    async json(path) {
      const { res, text } = await get(path)
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`)
      return JSON.parse(text)
    },
    async close() {
      await web.close()
      await store.close()
    },
  }
}
