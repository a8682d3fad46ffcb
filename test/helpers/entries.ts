import type { Entry } from '../../src/model.js'

/** A minimal valid Entry for store, dedupe and query tests. */
export function entry(id: string, sourceId: string, published: string, extra: Partial<Entry> = {}): Entry {
  return {
    id,
    sourceId,
    title: `title ${id}`,
    html: `<p>body ${id}</p>`,
    text: `body ${id}`,
    excerpt: `body ${id}`,
    published,
    firstSeen: published,
    dateFrom: 'source',
    authors: [],
    categories: [],
    enclosures: [],
    contentHash: `h-${id}`,
    clusterId: id,
    ...extra,
  }
}
