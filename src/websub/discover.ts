import type { SourceConfig } from '../model.js'
import type { Fetcher } from '../fetch/index.js'
import type { Store } from '../store/index.js'
import { readerFor } from '../source/index.js'
import type { Discovered } from './subscriber.js'

/**
 * WebSub discovery (§4): fetch the topic and read the hub it advertises (`RawFeed.hub`, from
 * `<atom:link rel="hub">`, `<link rel="hub">` or JSON Feed `hubs`), through the same fetch, decode
 * and parse stages a poll uses. Runs once per source at start and at each lease renewal.
 */
export function discoverHub(fetcher: Fetcher, now: () => Date, store?: Pick<Store, 'getState'>): (source: SourceConfig) => Promise<Discovered | undefined> {
  return async (source) => {
    // A successful poll remembers the hub the feed advertises: no extra fetch needed.
    const state = await store?.getState(source.id).catch(() => undefined)
    if (state?.lastSuccess) return state.hub ? { hub: state.hub, topic: state.finalUrl ?? source.url } : undefined
    const reader = readerFor(source, fetcher)
    const { fetched } = await reader.fetch({})
    if (fetched.kind !== 'ok') return undefined
    const { raw } = await reader.read(fetched, { now: now(), knownAmbiguous: [] })
    return raw.hub ? { hub: raw.hub, topic: fetched.finalUrl } : undefined
  }
}
