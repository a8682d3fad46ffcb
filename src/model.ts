/**
 * The one strict model every stage speaks (DESIGN.md). Loose shapes stop at normalize/;
 * renderers receive clean `Entry`s and never clean anything.
 */

export type ContentMode = 'full' | 'summary' | 'title'

/** CSS-selector description of an HTML list page (SPEC §2, "Page sources"). */
export interface PageConfig {
  item: string
  title: string
  link: string
  date?: string
  next?: string
  pages?: number
  article?: { content?: string; date?: string }
}

/** A source after defaults are applied: every field the pipeline needs is present. */
export interface SourceConfig {
  id: string
  title: string
  url: string
  categories: string[]
  homepage?: string
  /** Charset override; wins over everything the bytes or headers say. */
  encoding?: string
  timezone: string
  schedule: string
  content: ContentMode
  include: string[]
  exclude: string[]
  maxItems: number
  retentionDays: number
  page?: PageConfig
  fullText?: boolean
  /** Fetch pages robots.txt disallows (issue 6); logged as a warning on every poll. */
  ignoreRobots?: boolean
  /** Seconds between two requests to the source's host for list and article pages (robots.txt Crawl-delay wins when longer). */
  crawlDelay?: number
}

export interface SiteConfig {
  title: string
  url: string
  language: string
  description?: string
  websubHub?: string
  widget?: { frameAncestors?: string[] }
  /** Images on our pages and widgets through the signed `/img/` proxy (SPEC §8); on unless `false`. */
  imageProxy?: boolean
  /** Per-client limit on public routes (issue 12 §7); absent = no limit. */
  rateLimit?: RateLimitConfig
}

export interface RateLimitConfig {
  /** Requests a client may make per minute, on average. */
  perMinute: number
  /** Requests a client may make at once before the average applies (default: perMinute). */
  burst?: number
  /** Behind one reverse proxy: the client is the last address of X-Forwarded-For, not the socket's. */
  trustProxy?: boolean
}

export interface Disclaimer {
  text: string
  contact?: string
}

export interface CategoryConfig {
  title: string
  description?: string
}

export interface Defaults {
  schedule: string
  timezone: string
  content: ContentMode
  maxItemsPerSource: number
  retentionDays: number
}

/** The whole configuration, validated and with defaults applied to every source. */
export interface Config {
  site: SiteConfig
  disclaimer: Disclaimer
  defaults: Defaults
  categories: Record<string, CategoryConfig>
  sources: SourceConfig[]
}

/** HTTP cache validators kept per source for conditional GET (RFC 9110 §13). */
export interface Validators {
  etag?: string
  lastModified?: string
}

/** What fetch/ hands on. Raw `Response`s never leave fetch/. */
export type FetchResult =
  | {
      kind: 'not-modified'
      url: string
      finalUrl: string
      httpStatus: number
      validators: Validators
      /** Time on the network (ms): the requests and their bodies, not the wait for a per-host slot. */
      elapsedMs: number
    }
  | {
      kind: 'ok'
      url: string
      finalUrl: string
      httpStatus: number
      body: Uint8Array
      /** The Content-Type header as sent, e.g. `text/xml; charset=gbk`. */
      contentType?: string
      validators: Validators
      /** Time on the network (ms): the requests and their bodies, not the wait for a per-host slot. */
      elapsedMs: number
    }

/** Where the charset came from, first match wins in this order (DESIGN.md decode). */
export type CharsetSource = 'override' | 'bom' | 'http' | 'xml' | 'meta' | 'utf8' | 'detected' | 'fallback'

export interface Decoded {
  text: string
  /** Canonical name of the charset actually used, e.g. `gb18030`, `big5-hkscs`, `utf-8`. */
  encoding: string
  encodingSource: CharsetSource
  /** What was odd on the way, in words (`declared gb2312 but bytes are not; used detected big5`). */
  warnings: string[]
}

export interface Enclosure {
  url: string
  type?: string
  length?: number
}

/** One entry as a parser saw it: strings as found, nothing resolved or cleaned. */
export interface RawEntry {
  guid?: string
  /** RSS `guid isPermaLink` as written, when present. */
  guidIsPermaLink?: boolean
  link?: string
  title?: string
  /** Full content as HTML (content:encoded, atom:content, content_html). */
  contentHtml?: string
  /** Summary/description as HTML (description, atom:summary, summary). */
  summaryHtml?: string
  /** Plain-text content when the format gives only text (JSON Feed content_text). */
  contentText?: string
  /** Date strings exactly as written. */
  published?: string
  updated?: string
  authors: string[]
  categories: string[]
  enclosures: Enclosure[]
  /** The image the feed gives the entry itself (JSON Feed `image`, a Media RSS thumbnail, iTunes episode art), as written. */
  image?: string
  /** xml:base or the feed's own link, for resolving relative URLs in this entry. */
  baseUrl?: string
}

export type FeedFormat = 'rss' | 'atom' | 'rdf' | 'json' | 'html'

export interface RawFeed {
  format: FeedFormat
  title?: string
  link?: string
  description?: string
  language?: string
  /** Advertised WebSub hub, when present. */
  hub?: string
  entries: RawEntry[]
  /** Entries dropped or repaired, in words, e.g. `entry 4: bad date "…" ignored`. */
  warnings: string[]
}

/** A clean, normalized item: the only shape stored and rendered. */
export interface Entry {
  /** Stable id, unique across the store; never changes for the same story of the same source. */
  id: string
  sourceId: string
  guid?: string
  /** Absolute link to the original article. */
  url?: string
  /** The link with tracking parameters and fragments removed, used for exact matching. */
  canonicalUrl?: string
  title: string
  /** Sanitized HTML of the full content (or the summary when that is all there is). */
  html: string
  /** Plain text of `html`, ruby annotations dropped. */
  text: string
  /** Short plain-text excerpt of `text`. */
  excerpt: string
  /** ISO 8601 UTC. */
  published: string
  updated?: string
  /** ISO 8601 UTC of the first poll that saw this item; never changes afterwards. */
  firstSeen: string
  /** Whether `published` came from the source or fell back to first-seen. */
  dateFrom: 'source' | 'first-seen'
  authors: string[]
  categories: string[]
  enclosures: Enclosure[]
  /**
   * The item's one lead image, absolute http(s): the feed's own thumbnail, else the first image
   * enclosure, else the first image of the content (SPEC §8). For widgets, pages and JSON Feed `image`.
   */
  image?: string
  /** Original publisher named in the text (来源：X), when found. */
  origin?: string
  /** The headline the story first ran under, when a reprint names it (`原标题：X`). */
  originalTitle?: string
  /** Hash of title + html: tells a real edit from a re-poll. */
  contentHash: string
  /** Id of the cluster (its first member's id) this item belongs to; its own id when alone. */
  clusterId: string
}

export type PollOutcome = 'ok' | 'not-modified' | 'error'

/** Per-source health and fetch memory, one Keyv record per source. */
export interface SourceState {
  id: string
  lastAttempt?: string
  lastSuccess?: string
  lastOutcome?: PollOutcome
  httpStatus?: number
  lastError?: string
  consecutiveFailures: number
  nextPoll?: string
  validators: Validators
  itemCount: number
  /** Links this source gave to several different items (e.g. its home page): they identify nothing. */
  ambiguousLinks: string[]
  feedTitle?: string
  feedLink?: string
  encoding?: string
  lastNewItems?: number
  /** Entries of the last feed read that had neither title, text, link nor enclosure, so were skipped (issue 10). */
  skippedItems?: number
  /** WebSub hub the source advertises, and the URL its feed was last fetched from (the hub's topic). */
  hub?: string
  finalUrl?: string
  /**
   * How long the last fetch took on the network (ms; a failed one: until it failed): a round
   * starts the slowest sources first (scheduler/index.ts).
   */
  lastFetchMs?: number
}

/** A source's item list entry: id and published time (ms), newest first, so views merge without loading items. */
export type ItemRef = [id: string, publishedMs: number]

/**
 * An item's near-duplicate fingerprint as the store keeps it beside the item (dedupe/near.ts makes
 * it): the MinHash signature, the LSH bucket of each band, and what `sameStory` checks.
 */
export interface NearRecord {
  itemId: string
  sourceId: string
  /** The item's cluster, fixed when the item was first stored. */
  clusterId: string
  signature: Uint32Array
  /** One bucket per LSH band, `band × 2³² + hash of the band's rows`: the keys the item is found by. */
  buckets: number[]
  /** Distinct shingles the signature was taken over, to estimate containment from Jaccard. */
  shingles: number
  titles: string[]
  figures: string[]
}

export interface ClusterMember {
  itemId: string
  sourceId: string
}

/** Items that are the same story. Its id is the first member's id and never changes. */
export interface Cluster {
  id: string
  members: ClusterMember[]
}

/** Where a published item came from, for `<source>`, Atom `<source>` and `_feedloom.source`. */
export interface SourceRef {
  id: string
  title: string
  /** The source's feed URL (or list page URL). */
  url: string
  homepage?: string
}

export interface AlsoReported {
  sourceId: string
  sourceTitle: string
  title: string
  url?: string
  published: string
}

/** One item of a rendered feed: a cluster collapsed to its representative entry. */
export interface PublishedItem {
  /** The published id: the cluster's id, stable for ever. */
  id: string
  entry: Entry
  source: SourceRef
  content: ContentMode
  alsoReportedBy: AlsoReported[]
}

/** Everything a renderer needs for one feed response; renderers do no I/O and no cleaning. */
export interface FeedView {
  site: SiteConfig
  disclaimer: Disclaimer
  /** `all` or a key of `categories`. */
  category: { key: string; title: string; description?: string }
  /** Absolute URL of this response (self link), query included. */
  selfUrl: string
  /** Absolute URLs of the three formats of this view, for alternate links. */
  formats: { rss: string; atom: string; json: string; html: string }
  items: PublishedItem[]
  /** ISO UTC of the newest item (or of the store when there is none). */
  updated: string
  /** RFC 5005 §3 paging, absolute URLs: the next (older) page, and the first page when this is not it. */
  pages?: { next?: string; first?: string }
}
