import type { SourceState } from '../model.js'
import type { ItemRef, Store } from '../store/index.js'

/** What a view needs to read its sources' lists: the store itself, or a {@link ListCache} over it. */
export interface ListReader {
  getLists(sourceIds: string[]): Promise<ItemRef[][]>
}

/**
 * Which version of a source's list the store holds. A list is written only by its own source's
 * poll, in the same commit as that source's state and before it (store `commit`), and every such
 * state has a new `lastAttempt`; so an unchanged state means an unchanged list.
 */
function listVersion(state: SourceState | undefined): string | undefined {
  return state && `${state.lastAttempt ?? ''}|${state.lastSuccess ?? ''}|${state.itemCount}`
}

/**
 * Item lists kept in process and re-read only for sources whose state changed. Deserializing
 * every list of a view costs time in proportion to everything stored (Keyv parses values with a
 * reviver); with this cache a render after a poll reads that poll's list and the sources' small
 * state records, so it costs the same whether the store holds a thousand items or a hundred thousand.
 */
export class ListCache implements ListReader {
  private readonly lists = new Map<string, { version: string | undefined; list: ItemRef[]; checked: string | undefined }>()

  /**
   * `revision`, when given, is the store revision as this process last saw it (the web layer's
   * RevWatcher): every commit moves it, so lists checked at the current revision are served
   * without reading the sources' states again (a view of 200 sources read 200 of them per render).
   */
  constructor(
    private readonly store: Store,
    private readonly revision?: () => string | undefined,
  ) {}

  async getLists(sourceIds: string[]): Promise<ItemRef[][]> {
    const rev = this.revision?.()
    if (rev !== undefined) {
      const known = sourceIds.map((id) => this.lists.get(id))
      if (known.every((e) => e?.checked === rev)) return known.map((e) => e!.list)
    }
    const states = await this.store.getStates(sourceIds)
    const versions = sourceIds.map((id) => listVersion(states.get(id)))
    const stale = sourceIds.filter((id, i) => versions[i] === undefined || this.lists.get(id)?.version !== versions[i])
    const fresh = stale.length > 0 ? await this.store.getLists(stale) : []
    const read = new Map(stale.map((id, i) => [id, fresh[i]]))
    return sourceIds.map((id, i) => {
      const list = read.get(id) ?? this.lists.get(id)!.list
      this.lists.set(id, { version: versions[i], list, checked: rev })
      return list
    })
  }
}
