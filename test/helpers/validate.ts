/**
 * Output validators for tests: every feed we serve is checked with real tools (SPEC §5).
 *
 *   assertWellFormedXml(xml)       saxes with namespaces; throws `line:col` on the first error
 *   jingAvailable() / validateAtom(xml)   RFC 4287 Appendix B grammar through Debian's `jing`
 *   atomSchematronErrors(xml)      the RFC 4287 rules embedded in that grammar that jing skips
 *   validateJsonFeed(json)         JSON Feed 1.1 schema through ajv 8 + ajv-formats
 *   feedparserAvailable() / feedparserCheck(body)   what Python's feedparser (a real reader) sees in RSS/Atom
 *
 * Validators return a list of error lines ([] = valid) so a test can print them all. The ones
 * that need a Debian tool (`apt-get install jing python3-feedparser`) come with an `…Available()`
 * check: tests use `it.skipIf(!jingAvailable())` and say why in the test name.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import * as ajvFormats from 'ajv-formats'
import { SaxesParser, type SaxesTagNS } from 'saxes'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const ATOM_RNC = join(FIXTURES, 'atom-rnc', 'atom.rnc')
const JSON_FEED_SCHEMA = join(FIXTURES, 'jsonfeed', 'schema-v1.1.json')
const ATOM_NS = 'http://www.w3.org/2005/Atom'
/** Debian's interpreter: the `python3` on PATH here is pyenv's, without Debian's packages. */
const DEBIAN_PYTHON = '/usr/bin/python3'
/** Upper bound for one external validator run; they take well under a second on a feed. */
const TOOL_TIMEOUT_MS = 60_000

// ---------------------------------------------------------------------------------------------
// XML

interface XmlNode {
  uri: string
  local: string
  attributes: Record<string, string>
  children: XmlNode[]
}

/** Parses `xml` with namespace checks; throws `xml: line L, column C: …` at the first error. */
function parseXml(xml: string): XmlNode {
  const parser = new SaxesParser({ xmlns: true, position: true })
  const stack: XmlNode[] = []
  let root: XmlNode | undefined
  parser.on('error', (error) => {
    throw new Error(`xml: line ${parser.line}, column ${parser.column}: ${error.message}`)
  })
  parser.on('opentag', (tag: SaxesTagNS) => {
    const attributes: Record<string, string> = {}
    for (const attribute of Object.values(tag.attributes)) attributes[attribute.prefix ? `${attribute.prefix}:${attribute.local}` : attribute.local] = attribute.value
    const node: XmlNode = { uri: tag.uri, local: tag.local, attributes, children: [] }
    stack.at(-1)?.children.push(node)
    root ??= node
    stack.push(node)
  })
  parser.on('closetag', () => {
    stack.pop()
  })
  parser.write(xml).close()
  if (root === undefined) throw new Error('xml: no root element')
  return root
}

/** Throws unless `xml` is well-formed, namespace-well-formed XML 1.0. */
export function assertWellFormedXml(xml: string): void {
  parseXml(xml)
}

// ---------------------------------------------------------------------------------------------
// Atom

let jing: boolean | undefined
/** Whether `jing` (Debian package `jing`) is on PATH. */
export function jingAvailable(): boolean {
  // Only a missing command sets `error`; jing's usage exit status does not matter here.
  jing ??= spawnSync('jing', ['-h'], { stdio: 'ignore', timeout: TOOL_TIMEOUT_MS }).error === undefined
  return jing
}

/** Errors `jing -c atom.rnc` reports for `xml` (RFC 4287 Appendix B); [] when valid. */
export function validateAtom(xml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-jing-'))
  try {
    const file = join(dir, 'feed.atom')
    writeFileSync(file, xml, 'utf8')
    const result = spawnSync('jing', ['-c', ATOM_RNC, file], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS })
    if (result.error) throw result.error
    // Debian's wrapper warns about optional jars on stderr ("[warning] … Unable to locate xml-apis").
    const lines = `${result.stdout}\n${result.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('[warning]'))
      .map((line) => line.replace(file, 'feed.atom'))
    if (result.status !== 0 && lines.length === 0) return [`jing exited with status ${result.status}`]
    return result.status === 0 ? [] : lines
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function atomChildren(node: XmlNode, local: string): XmlNode[] {
  return node.children.filter((child) => child.uri === ATOM_NS && child.local === local)
}

/**
 * The Schematron rules of RFC 4287 Appendix B, which jing does not run: every entry has an author
 * (its own, its `<source>`'s or the feed's, §4.1.2) and an alternate link or a content (§4.1.2).
 */
export function atomSchematronErrors(xml: string): string[] {
  const root = parseXml(xml)
  const feedHasAuthor = root.local === 'feed' && atomChildren(root, 'author').length > 0
  const entries = root.local === 'feed' ? atomChildren(root, 'entry') : [root]
  return entries.flatMap((entry, index) => {
    const name = `entry ${index + 1}`
    const errors: string[] = []
    const hasAuthor = feedHasAuthor || atomChildren(entry, 'author').length > 0 || atomChildren(entry, 'source').some((source) => atomChildren(source, 'author').length > 0)
    if (!hasAuthor) errors.push(`${name}: an atom:entry must have an atom:author if its feed does not`)
    const hasAlternate = atomChildren(entry, 'link').some((link) => link.attributes.rel === undefined || link.attributes.rel === 'alternate')
    if (!hasAlternate && atomChildren(entry, 'content').length === 0) errors.push(`${name}: an atom:entry must have a link rel="alternate" or an atom:content`)
    return errors
  })
}

// ---------------------------------------------------------------------------------------------
// JSON Feed

let jsonFeedValidator: ValidateFunction | undefined
function jsonFeedSchema(): ValidateFunction {
  if (jsonFeedValidator === undefined) {
    // The schema predates ajv's strict mode (unknown keywords such as "description" in odd places).
    const ajv = new Ajv({ strict: false, allErrors: true })
    // ajv-formats is CommonJS with `exports.default`; ESM sees either shape depending on the loader.
    const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (ajv: Ajv) => Ajv
    addFormats(ajv)
    jsonFeedValidator = ajv.compile(JSON.parse(readFileSync(JSON_FEED_SCHEMA, 'utf8')) as object)
  }
  return jsonFeedValidator
}

/** Errors of `json` (already parsed) against the JSON Feed 1.1 schema, as `path: message`; [] when valid. */
export function validateJsonFeed(json: unknown): string[] {
  const validate = jsonFeedSchema()
  if (validate(json)) return []
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`)
}

// ---------------------------------------------------------------------------------------------
// feedparser

const FEEDPARSER_SCRIPT = `
import json, sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
  "bozo": bool(d.bozo),
  "bozoException": str(d.get("bozo_exception")) if d.bozo else None,
  "version": d.get("version", ""),
  "entries": [{"title": e.get("title", ""), "link": e.get("link", ""), "id": e.get("id", ""),
               "published": e.get("published"),
               "enclosures": [x.get("href", "") for x in e.get("enclosures", [])],
               "mediaContent": [m.get("url", "") for m in e.get("media_content", [])],
               "thumbnail": (e.get("media_thumbnail") or [{}])[0].get("url")} for e in d.entries],
}))
`

export interface FeedparserResult {
  /** feedparser's "this feed is broken" flag: any XML error, bad encoding, undeclared entity… */
  bozo: boolean
  bozoException?: string
  /** The format feedparser recognised, e.g. `rss20`, `atom10`; '' when none. */
  version: string
  entries: {
    title: string
    link: string
    id: string
    published?: string
    /** URLs of `<enclosure>`s and Atom enclosure links; of Media RSS `media:content`; of the first `media:thumbnail`. */
    enclosures: string[]
    mediaContent: string[]
    thumbnail?: string
  }[]
}

let feedparser: boolean | undefined
/** Whether Debian's python3 can import feedparser (package `python3-feedparser`). */
export function feedparserAvailable(): boolean {
  feedparser ??= spawnSync(DEBIAN_PYTHON, ['-c', 'import feedparser'], { stdio: 'ignore', timeout: TOOL_TIMEOUT_MS }).status === 0
  return feedparser
}

/** What feedparser reads from `body` (RSS or Atom text, sent as UTF-8). Debian's feedparser 6.0.10
 * has no JSON Feed reader: check JSON output with {@link validateJsonFeed}. */
export function feedparserCheck(body: string): FeedparserResult {
  const result = spawnSync(DEBIAN_PYTHON, ['-c', FEEDPARSER_SCRIPT], { input: body, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS })
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`feedparser: exited with status ${result.status}: ${result.stderr}`)
  const parsed = JSON.parse(result.stdout) as FeedparserResult & { bozoException: string | null; entries: { published: string | null; thumbnail: string | null }[] }
  return {
    bozo: parsed.bozo,
    bozoException: parsed.bozoException ?? undefined,
    version: parsed.version,
    entries: parsed.entries.map((entry) => ({ ...entry, published: entry.published ?? undefined, thumbnail: entry.thumbnail ?? undefined })),
  }
}
