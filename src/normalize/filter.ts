/**
 * A source's `include`/`exclude` keywords (SPEC §2), matched against an item's title and text.
 */

/** Case and width folded, so `ＡＢＣ`, `abc` and `ABC` are one keyword. */
function fold(s: string): string {
  return s.normalize('NFKC').toLowerCase()
}

/**
 * Whether an item passes: some `include` keyword occurs (or there are none), and no `exclude`
 * keyword occurs. Exclusion wins. Blank keywords are ignored.
 */
export function matchesFilters(e: { title: string; text: string }, include: string[], exclude: string[]): boolean {
  const haystack = fold(`${e.title}\n${e.text}`)
  const occurs = (keyword: string) => haystack.includes(fold(keyword))
  const includes = include.map((k) => k.trim()).filter((k) => k !== '')
  const excludes = exclude.map((k) => k.trim()).filter((k) => k !== '')
  if (excludes.some(occurs)) return false
  return includes.length === 0 || includes.some(occurs)
}
