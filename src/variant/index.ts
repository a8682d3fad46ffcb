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

/** Characters that traditional → simplified conversion changes on their own (`軟`, `體`; not `的`). */
let traditional: Set<number> | undefined

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

/** Whether any character of the text is one that only traditional script writes. */
export function hasTraditional(text: string): boolean {
  const set = (traditional ??= new Set(Array.from(TRADITIONAL_CHARACTERS, (c) => c.codePointAt(0)!)))
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x3400) continue
    const cp = text.codePointAt(i)!
    if (cp > 0xffff) i++
    if (set.has(cp)) return true
  }
  return false
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
  return (hasTraditional(nfkc) ? convertText(nfkc, 'zh-Hans') : nfkc).toLowerCase().replace(/[\p{P}\p{S}\p{Z}\s]+/gu, '')
}
