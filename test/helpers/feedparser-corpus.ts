import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The copy of feedparser's test suite in test/fixtures/feedparser (BSD-2, LICENSE beside it). */
export const FEEDPARSER_ROOT = fileURLToPath(new URL('../fixtures/feedparser/', import.meta.url))

/** One assertion of a feedparser test file, as `expectations.jsonl` spells it. */
export interface Assert {
  path: Array<string | number>
  op: '==' | '!='
  value: unknown
  value_utc_iso?: string
}

export interface Expectation {
  path: string
  /** feedparser's own `Expect:` line, e.g. `not bozo and encoding == 'big5'`. */
  expect: string
  http_headers: Record<string, string> | null
  served_at: string | null
  parsed: { asserts: Assert[] } | null
}

/** `expectations.jsonl` keyed by the test file's path (`tests/encoding/big5.xml`). */
export function loadExpectations(): Map<string, Expectation> {
  return new Map(
    readFileSync(join(FEEDPARSER_ROOT, 'expectations.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Expectation)
      .map((e) => [e.path, e]),
  )
}
