import * as OpenCC from 'opencc-js'

/** Script variants a reader may ask for (SPEC §3 `variant=`). */
export type Variant = 'zh-Hans' | 'zh-Hant'
export const VARIANTS: readonly Variant[] = ['zh-Hans', 'zh-Hant']

type Convert = (text: string) => string
// Building OpenCC's phrase tables takes ~0.6 s: done once, on first use.
let toHans: Convert | undefined
let toHant: Convert | undefined

/** Converts plain text; phrase-level tables (`twp`), so 软件 ↔ 軟體, not just character by character. */
export function convertText(text: string, variant: Variant): string {
  if (!text) return text
  if (variant === 'zh-Hans') return (toHans ??= OpenCC.Converter({ from: 'twp', to: 'cn' }))(text)
  return (toHant ??= OpenCC.Converter({ from: 'cn', to: 'twp' }))(text)
}

/** Converts the text of an HTML fragment, leaving tags, attributes and URLs as they are. */
export function convertHtml(html: string, variant: Variant): string {
  return html
    .split(/(<[^>]*>)/)
    .map((part) => (part.startsWith('<') ? part : convertText(part, variant)))
    .join('')
}

/**
 * Text folded for matching: simplified script, NFKC (full-width → half-width), lower case, and no
 * punctuation or whitespace, so 軟體 matches 软件 and `国务院：` matches `国务院:`.
 */
export function foldForMatch(text: string): string {
  return convertText(text.normalize('NFKC'), 'zh-Hans')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{Z}\s]+/gu, '')
}
