/**
 * A source's `include`/`exclude` keywords (SPEC §2), matched against an item's title and text.
 */
import { foldForMatch } from '../variant/index.js'

/**
 * Whether an item passes: some `include` keyword occurs (or there are none), and no `exclude`
 * keyword occurs. Exclusion wins. Blank keywords are ignored. Both sides are folded the way
 * reprints are matched (issue 3 §6): simplified script with phrase tables, width, case,
 * punctuation and spaces, so `软件` also finds `軟體` and `２０２４` finds `2024`.
 */
export function matchesFilters(e: { title: string; text: string }, include: string[], exclude: string[]): boolean {
  const includes = include.map(foldForMatch).filter((k) => k !== '')
  const excludes = exclude.map(foldForMatch).filter((k) => k !== '')
  // Folding a whole article through OpenCC costs more than the rest of normalizing it: only when asked.
  if (includes.length === 0 && excludes.length === 0) return true
  const haystack = foldForMatch(`${e.title}\n${e.text}`)
  const occurs = (keyword: string) => haystack.includes(keyword)
  if (excludes.some(occurs)) return false
  return includes.length === 0 || includes.some(occurs)
}
