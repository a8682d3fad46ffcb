/**
 * A small XML tokenizer for the rewrites that must happen before rss-parser sees a document
 * (namespaces.ts, xhtml.ts): start and end tags with the namespaces in scope at each, text, and
 * markup copied whole. One pass, no backtracking beyond one tag; whatever is not a well-formed
 * tag is handed on as text, for sax to report. Joining every token's `text` gives the input back.
 */

/** Comments, CDATA sections, processing instructions, the DOCTYPE: never looked inside. */
const VERBATIM = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)|<!DOCTYPE(?:[^[>]|\[[\s\S]*?\])*>/y
const START_TAG = /<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)(\s*)(\/?)>/y
const END_TAG = /<\/([^\s>]+)(\s*)>/y
/** `xmlns` and `xmlns:prefix` declarations in a start tag's attributes. */
export const DECLARATION = /\sxmlns(?::([^\s=/>]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')/g

export interface StartTag {
  kind: 'start'
  text: string
  /** The name as written, prefix included. */
  name: string
  /** The attributes as written, each with the whitespace before it. */
  attributes: string
  /** Whitespace before `>` or `/>`. */
  space: string
  selfClosing: boolean
  /** Declarations of this element and its ancestors: prefix ('' for the default) → URI. */
  scope: ReadonlyMap<string, string>
}

export type Token =
  | { kind: 'text' | 'verbatim'; text: string }
  | StartTag
  | { kind: 'end'; text: string; name: string; space: string; /** The start tag it closes, when the nesting is right. */ open?: StartTag }

export function* tokens(xml: string): Generator<Token> {
  const stack: StartTag[] = []
  let at = 0
  while (at < xml.length) {
    const lt = xml.indexOf('<', at)
    if (lt < 0) break
    if (lt > at) yield { kind: 'text', text: xml.slice(at, lt) }
    at = lt
    VERBATIM.lastIndex = START_TAG.lastIndex = END_TAG.lastIndex = at
    const verbatim = VERBATIM.exec(xml)
    const end = verbatim ? null : END_TAG.exec(xml)
    const start = verbatim || end ? null : START_TAG.exec(xml)
    if (verbatim) {
      yield { kind: 'verbatim', text: verbatim[0] }
    } else if (end) {
      const open = stack.at(-1)?.name === end[1] ? stack.pop() : undefined
      yield { kind: 'end', text: end[0], name: end[1], space: end[2], open }
    } else if (start) {
      const scope = new Map(stack.at(-1)?.scope)
      for (const declaration of start[2].matchAll(DECLARATION)) scope.set(declaration[1] ?? '', declaration[2] ?? declaration[3])
      const tag: StartTag = { kind: 'start', text: start[0], name: start[1], attributes: start[2], space: start[3], selfClosing: start[4] === '/', scope }
      if (!tag.selfClosing) stack.push(tag)
      yield tag
    } else {
      yield { kind: 'text', text: '<' }
      at += 1
      continue
    }
    at += (verbatim ?? end ?? start)![0].length
  }
  if (at < xml.length) yield { kind: 'text', text: xml.slice(at) }
}

export function splitName(name: string): [prefix: string, local: string] {
  const colon = name.indexOf(':')
  return colon < 0 ? ['', name] : [name.slice(0, colon), name.slice(colon + 1)]
}

/**
 * How many elements named `local` (any prefix) the document holds outside comments and CDATA:
 * the evidence that a feed which parsed as empty was not empty.
 */
export function countElements(xml: string, local: string): number {
  let count = 0
  for (const token of tokens(xml)) if (token.kind === 'start' && splitName(token.name)[1] === local) count += 1
  return count
}
