import type { Entry, SourceConfig } from '../../src/model.js'

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

/** A source with the config defaults applied (as `resolveConfig` gives it), for stage tests. */
export function sourceConfig(fields: Pick<SourceConfig, 'id' | 'title' | 'url' | 'categories'> & Partial<SourceConfig>): SourceConfig {
  return { timezone: 'Asia/Shanghai', schedule: '*/15 * * * *', content: 'full', include: [], exclude: [], maxItems: 200, retentionDays: 30, ...fields }
}
