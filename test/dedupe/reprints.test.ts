import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bandKeys, fingerprint, mergePoll, NEAR_POLICY, sameStory, similarity, toRecord, type Known, type Similarity } from '../../src/dedupe/index.js'
import { extractOriginalTitle } from '../../src/normalize/boilerplate.js'
import { canonicalUrl, isRootUrl } from '../../src/normalize/url.js'
import type { Entry } from '../../src/model.js'
import type { Pair, Side } from '../fixtures/reprints/generate.js'
import { entry } from '../helpers/entries.js'

/**
 * The reprint evaluation set (issue 3 §5; test/fixtures/reprints/README.md): every labeled pair
 * goes through the clustering decision as a poll makes it — the first item stored with its
 * fingerprint and LSH buckets, the second merged against them — and precision and recall are
 * measured over the set. Figures are printed and recorded in BENCHMARKS.md.
 */
const pairs: Pair[] = readFileSync(new URL('../fixtures/reprints/pairs.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))

/** Issue 3 §5 targets. */
const MIN_PRECISION = 0.99
const MIN_RECALL = 0.95

/** An item as normalize/ would make it of one side: a home-page link is no key for matching. */
function item(side: Side, id: string, published: string): Entry {
  const canonical = side.link ? canonicalUrl(side.link) : undefined
  const originalTitle = extractOriginalTitle(side.text)
  return entry(id, side.source, published, {
    title: side.title,
    text: side.text,
    ...(side.link && { url: side.link }),
    ...(canonical && !isRootUrl(canonical) && { canonicalUrl: canonical }),
    ...(originalTitle && { originalTitle }),
  })
}

/** Whether `b`, polled after `a` was stored, joins `a`'s cluster. */
function clustered(pair: Pair, index: number): boolean {
  const a = item(pair.a, `a${index}`, '2024-09-19T09:00:00.000Z')
  const b = item(pair.b, `b${index}`, '2024-09-19T10:00:00.000Z')
  const printA = fingerprint(a)
  const printB = fingerprint(b)
  const exact = new Map<string, string>()
  if (a.canonicalUrl) exact.set(`link:${a.canonicalUrl}`, a.id)
  const known: Known = {
    previous: new Map(),
    keyOwners: exact,
    owners: new Map([[a.id, a]]),
    clusters: new Map(),
    prints: new Map(printB ? [[b.id, printB]] : []),
    // What the store answers when `a` is the only item in b's buckets: a, if they share one.
    candidates: new Map(printA && printB && printB.buckets.some((key) => printA.buckets.includes(key)) ? [[b.id, [toRecord(a, printA)]]] : []),
  }
  const merged = mergePoll({ id: pair.b.source }, [b], known, new Set())
  return merged.entries[0].clusterId === a.id
}

/** Precision and recall of simpler rules over the same LSH candidates, to show what each guard adds. */
function ablation(): string[] {
  const prints = pairs.map((p) => [p.a, p.b].map((side) => fingerprint({ title: side.title, text: side.text, originalTitle: extractOriginalTitle(side.text) })))
  const rules: Array<[string, (s: Similarity) => boolean]> = [
    ['sameStory (the policy)', (s) => sameStory(s)],
    ['without the figure check', (s) => sameStory({ ...s, figuresConflict: false })],
    ['without the title guard', (s) => !s.figuresConflict && s.jaccard >= NEAR_POLICY.minJaccard && s.containment >= NEAR_POLICY.minContainment],
    ['Jaccard ≥ 0.5 alone', (s) => s.jaccard >= 0.5],
    ['Jaccard ≥ 0.8 alone', (s) => s.jaccard >= 0.8],
  ]
  return rules.map(([name, rule]) => {
    let tp = 0
    let fp = 0
    let fn = 0
    pairs.forEach((pair, i) => {
      const [a, b] = prints[i]
      const candidate = !!a && !!b && bandKeys(b.signature).some((key) => bandKeys(a.signature).includes(key))
      const yes = candidate && rule(similarity(a!, b!))
      if (yes && pair.label) tp++
      else if (yes) fp++
      else if (pair.label) fn++
    })
    return `    ${name}: precision ${(tp / (tp + fp)).toFixed(3)}, recall ${(tp / (tp + fn)).toFixed(3)}`
  })
}

describe('reprint evaluation set', () => {
  const decided = pairs.map((pair, i) => ({ pair, clustered: clustered(pair, i) }))
  const tp = decided.filter((d) => d.pair.label && d.clustered).length
  const fp = decided.filter((d) => !d.pair.label && d.clustered).length
  const fn = decided.filter((d) => d.pair.label && !d.clustered).length
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp)
  const recall = tp / (tp + fn)
  const wrong = decided.filter((d) => d.pair.label !== d.clustered).map((d) => `${d.pair.label ? 'missed' : 'merged'} (${d.pair.kind}): ${d.pair.a.title} | ${d.pair.b.title}`)

  it('holds at least 150 pairs, half of them true reprints, every pair across two sources', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(150)
    const positives = pairs.filter((p) => p.label).length
    expect(Math.abs(positives - (pairs.length - positives))).toBeLessThanOrEqual(pairs.length * 0.1)
    expect(pairs.every((p) => p.a.source !== p.b.source)).toBe(true)
  })

  it(`clusters with precision ≥ ${MIN_PRECISION} and recall ≥ ${MIN_RECALL}`, () => {
    console.log(`reprint clustering over ${pairs.length} pairs: precision ${precision.toFixed(3)} (${tp}/${tp + fp}), recall ${recall.toFixed(3)} (${tp}/${tp + fn})`)
    for (const kind of new Set(pairs.map((p) => p.kind.split(':')[0]))) {
      const ofKind = decided.filter((d) => d.pair.kind.startsWith(kind))
      console.log(`  ${kind}: ${ofKind.filter((d) => d.pair.label === d.clustered).length}/${ofKind.length} decided right`)
    }
    for (const line of wrong) console.log(`  ${line}`)
    console.log(`  what each guard adds (BENCHMARKS.md), over LSH candidates:\n${ablation().join('\n')}`)
    expect(precision, wrong.join('\n')).toBeGreaterThanOrEqual(MIN_PRECISION)
    expect(recall, wrong.join('\n')).toBeGreaterThanOrEqual(MIN_RECALL)
  })

})
