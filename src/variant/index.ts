import { createRequire } from 'node:module'
import { TRADITIONAL_CHARACTERS } from './traditional.js'

/** Script variants a reader may ask for (SPEC §3 `variant=`). */
export type Variant = 'zh-Hans' | 'zh-Hant'
export const VARIANTS: readonly Variant[] = ['zh-Hans', 'zh-Hant']

type Convert = (text: string) => string
// Loading opencc-js and building its phrase tables takes ~0.6 s: done once, on first use (a poll
// of simplified-script feeds never needs them, see foldForMatch).
let toHans: Convert | undefined
let toHant: Convert | undefined
let opencc: typeof import('opencc-js') | undefined
const OpenCC = () => (opencc ??= createRequire(import.meta.url)('opencc-js') as typeof import('opencc-js'))

/** Converts plain text; phrase-level tables (`twp`), so 软件 ↔ 軟體, not just character by character. */
export function convertText(text: string, variant: Variant): string {
  if (!text) return text
  if (variant === 'zh-Hans') return (toHans ??= OpenCC().Converter({ from: 'twp', to: 'cn' }))(text)
  return (toHant ??= OpenCC().Converter({ from: 'cn', to: 'twp' }))(text)
}

/** Converts the text of an HTML fragment, leaving tags, attributes and URLs as they are. */
export function convertHtml(html: string, variant: Variant): string {
  return html
    .split(/(<[^>]*>)/)
    .map((part) => (part.startsWith('<') ? part : convertText(part, variant)))
    .join('')
}

/**
 * What TRADITIONAL_CHARACTERS lists, computed: only a character some table entry starts with can
 * change, so those are tried, each alone, through the converter (building its tables takes 0.5 s,
 * hence the list).
 */
export function traditionalCharacters(): Set<number> {
  const config = (OpenCC() as unknown as { Locale: { configs: Record<string, { conversionChain: unknown[]; normalizationChain?: unknown[] }> } }).Locale.configs.tw2sp
  const starts = new Set<number>()
  const collect = (dict: unknown): void => {
    if (typeof dict === 'string') for (const entry of dict.split('|')) starts.add(entry.codePointAt(0) ?? 0)
    else if (Array.isArray(dict)) dict.forEach(collect)
  }
  ;[...config.conversionChain, ...(config.normalizationChain ?? [])].forEach(collect)
  const out = new Set<number>()
  for (const cp of starts) {
    const c = String.fromCodePoint(cp)
    if (convertText(c, 'zh-Hans') !== c) out.add(cp)
  }
  return out
}

/** TRADITIONAL_CHARACTERS of the BMP as a bitmap (one byte a code unit), and those beyond it. */
let traditionalBmp: Uint8Array | undefined
let traditionalAstral: Set<number> | undefined

/** Whether any character of the text is one that only traditional script writes. */
export function hasTraditional(text: string): boolean {
  if (!traditionalBmp) {
    traditionalBmp = new Uint8Array(0x10000)
    traditionalAstral = new Set()
    for (const c of TRADITIONAL_CHARACTERS) {
      const cp = c.codePointAt(0)!
      if (cp > 0xffff) traditionalAstral.add(cp)
      else traditionalBmp[cp] = 1
    }
  }
  // A table lookup per character: a Set's lookup cost as much as the rest of folding the text.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x3400) continue
    if (c >= 0xd800 && c <= 0xdbff) {
      const cp = text.codePointAt(i)!
      if (cp > 0xffff) {
        i++
        if (traditionalAstral!.has(cp)) return true
        continue
      }
    }
    if (traditionalBmp[c] === 1) return true
  }
  return false
}

/** Each traditional BMP character's simplified one (0: unchanged, or not one character), built on first use. */
let simplifiedBmp: Uint16Array | undefined

/**
 * The simplified character of each traditional one, character by character (OpenCC's tables on
 * each alone: 發 → 发, 漢 → 汉), indexed by UTF-16 code unit; 0 where a character stays as it is.
 * What the search index folds mixed-script text with (汉中發展 is found by 汉中发展), cheaply:
 * OpenCC's phrase conversion of an article costs ~120 µs, this a table lookup per character.
 */
export function simplifiedCharacters(): Uint16Array {
  if (!simplifiedBmp) {
    const table = new Uint16Array(0x10000)
    for (const c of TRADITIONAL_CHARACTERS) {
      if (c.length !== 1) continue
      const simplified = convertText(c, 'zh-Hans')
      if (simplified.length === 1) table[c.charCodeAt(0)] = simplified.charCodeAt(0)
    }
    simplifiedBmp = table
  }
  return simplifiedBmp
}

/** What folding drops: punctuation, symbols, separators and white space. */
const FOLDED_AWAY = /[\p{P}\p{S}\p{Z}\s]+/gu
/** FOLDED_AWAY for each BMP code unit (surrogates excepted), built on first use. */
let foldedAwayBmp: Uint8Array | undefined

function foldedAwayTable(): Uint8Array {
  if (!foldedAwayBmp) {
    foldedAwayBmp = new Uint8Array(0x10000)
    const one = /^[\p{P}\p{S}\p{Z}\s]$/u
    for (let c = 0; c < 0x10000; c++) if ((c < 0xd800 || c > 0xdfff) && one.test(String.fromCharCode(c))) foldedAwayBmp[c] = 1
  }
  return foldedAwayBmp
}

/**
 * Whether folding drops this UTF-16 code unit (punctuation, symbols, separators, white space).
 * A surrogate answers true: alone it says nothing of the character it is half of.
 */
export function foldsAway(code: number): boolean {
  return (code >= 0xd800 && code <= 0xdfff) || foldedAwayTable()[code] === 1
}

function dropFoldedAway(text: string): string {
  const table = foldedAwayTable()
  // One pass with a table, keeping the runs between what goes: the regex took 6 µs an article.
  let out = ''
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) return text.replace(FOLDED_AWAY, '') // astral symbols (emoji): the regex knows them
    if (table[c] === 1) {
      if (i > start) out += text.slice(start, i)
      start = i + 1
    }
  }
  return start === 0 ? text : out + text.slice(start)
}

/**
 * Text folded for matching: simplified script, NFKC (full-width → half-width), lower case, and no
 * punctuation or whitespace, so 軟體 matches 软件 and `国务院：` matches `国务院:`.
 *
 * OpenCC's phrase tables run only on text with some traditional character (issue 9 §3): they cost
 * more than the rest of normalizing an item, and text already in simplified script keeps its
 * words. (The one difference: a Taiwan word written in simplified characters, `人工智慧`, is not
 * rewritten to the mainland `人工智能`, as it would be in traditional script.)
 */
export function foldForMatch(text: string): string {
  const nfkc = text.normalize('NFKC')
  return dropFoldedAway((hasTraditional(nfkc) ? convertText(nfkc, 'zh-Hans') : nfkc).toLowerCase())
}
