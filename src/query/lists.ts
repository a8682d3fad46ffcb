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
  private readonly lists = new Map<string, { version: string; list: ItemRef[] }>()

  constructor(private readonly store: Store) {}

  async getLists(sourceIds: string[]): Promise<ItemRef[][]> {
    const states = await this.store.getStates(sourceIds)
    const versions = sourceIds.map((id) => listVersion(states.get(id)))
    const stale = sourceIds.filter((id, i) => versions[i] === undefined || this.lists.get(id)?.version !== versions[i])
    if (stale.length > 0) {
      const fresh = await this.store.getLists(stale)
      stale.forEach((id, i) => {
        const version = versions[sourceIds.indexOf(id)]
        if (version === undefined) this.lists.delete(id)
        else this.lists.set(id, { version, list: fresh[i] })
      })
      const read = new Map(stale.map((id, i) => [id, fresh[i]]))
      return sourceIds.map((id) => read.get(id) ?? this.lists.get(id)!.list)
    }
    return sourceIds.map((id) => this.lists.get(id)!.list)
  }
}
