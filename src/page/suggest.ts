/**
 * `feedloom suggest URL` (issue 6): `page` selectors proposed for a list page by finding its
 * dominant repeated block: sibling elements of one tag, each holding a title-length link, most of
 * them with a date nearby. Navigation bars (short labels), pagination (numbers) and "hot" sidebars
 * (no dates) lose to the news list by the score below. Pure: text, URL, zone and clock in.
 */
import { load, type Cheerio, type CheerioAPI } from 'cheerio'
import type { AnyNode, Element } from 'domhandler'
import type { PageConfig } from '../model.js'
import { parseDate } from '../normalize/index.js'
import { collapse } from './selector.js'

export interface Suggestion {
  page: PageConfig
  /** Elements `page.item` matches. */
  items: number
  /** Of those, how many carry a date the `date` selector reads. */
  dated: number
  score: number
}

export interface SuggestOptions {
  zone: string
  now: Date
}

/** A list has at least this many items; two similar links are a coincidence. */
export const MIN_ITEMS = 3

/** A news title is longer than a menu label (`首页`, `政务公开`, `新闻中心`) or a page number. */
export const MIN_TITLE_CHARS = 5

/** Titles count towards the score up to this length: past it, longer is not more list-like. */
const TITLE_LENGTH_CAP = 20

/** A list whose items mostly carry dates is far likelier news than a block of related links. */
const DATE_WEIGHT = 2

/** Text longer than this is a paragraph that mentions a date, not a date. */
const MAX_DATE_TEXT = 40

/** Digits shaped like a date: `2024-09-19`, `2024/9/19`, `2024年9月19日`, `[09-19]`, `09-19 17:11`. */
const DATE_SHAPE = /\d{4}\s*[-/.年]\s*\d{1,2}|(?:^|[[【(（\s])\d{1,2}[-/月]\d{1,2}(?:日|[\]】)）]|\s|$)/u

/** Link texts of a "next page" link. */
const NEXT_TEXTS = /^(?:下一页|下页|下一頁|下頁|后页|後頁|next(?:\s*page)?|›|»|>)$/i

/** How many candidate blocks are proposed. */
const SUGGESTIONS = 3

interface Block {
  members: Element[]
  anchors: Element[]
  childSel: string
}

function classes(element: Element): string[] {
  return (element.attribs.class ?? '').split(/\s+/).filter((c) => /^[A-Za-z_-][\w-]*$/.test(c))
}

/** `#id`, `tag.class`, or `tag`: how one element is named in a selector. */
function step(element: Element, withClass = true): string {
  const id = element.attribs.id
  if (id && /^[A-Za-z][\w-]*$/.test(id)) return `#${id}`
  const cls = withClass ? classes(element) : []
  return element.tagName + cls.map((c) => `.${c}`).join('')
}

function isElement(node: AnyNode): node is Element {
  return node.type === 'tag'
}

/** The item's title link: its longest-text `a[href]`, or the item itself when it is the link. */
function titleAnchor($: CheerioAPI, member: Element): Element | undefined {
  const candidates = member.tagName === 'a' && member.attribs.href ? [member] : $(member).find('a[href]').toArray()
  let best: Element | undefined
  let bestLength = 0
  for (const a of candidates) {
    const href = a.attribs.href.trim()
    if (href === '' || href.startsWith('#') || /^javascript:/i.test(href)) continue
    const length = Math.max(collapse($(a).text()).length, collapse(a.attribs.title ?? '').length)
    if (length > bestLength) [best, bestLength] = [a, length]
  }
  return bestLength >= MIN_TITLE_CHARS ? best : undefined
}

/** Every group of same-tag siblings that looks like a list of links. */
function blocks($: CheerioAPI): Block[] {
  const found: Block[] = []
  $('*').each((_, parent) => {
    const byTag = new Map<string, Element[]>()
    for (const child of (parent as Element).children ?? []) {
      if (!isElement(child)) continue
      byTag.set(child.tagName, [...(byTag.get(child.tagName) ?? []), child])
    }
    for (const [tag, siblings] of byTag) {
      if (siblings.length < MIN_ITEMS) continue
      const members: Element[] = []
      const anchors: Element[] = []
      for (const sibling of siblings) {
        const anchor = titleAnchor($, sibling)
        if (anchor) members.push(sibling), anchors.push(anchor)
      }
      if (members.length < MIN_ITEMS || members.length * 2 < siblings.length) continue
      const common = classes(members[0]).filter((c) => members.every((m) => classes(m).includes(c)))
      found.push({ members, anchors, childSel: tag + common.map((c) => `.${c}`).join('') })
    }
  })
  return found
}

function sameSet(matched: Cheerio<Element>, members: readonly Element[]): boolean {
  if (matched.length !== members.length) return false
  const set = new Set(members)
  return matched.toArray().every((e) => set.has(e))
}

/** The shortest selector that matches exactly the block's items: `.news-item`, `.list li`, `#main > ul > li`. */
function itemSelector($: CheerioAPI, block: Block): string {
  const parent = block.members[0].parent as Element
  const ancestors: Element[] = []
  for (let e: AnyNode | null = parent; e && isElement(e) && e.tagName !== 'html'; e = e.parent) ancestors.push(e)
  const forms = (child: string) => [
    ...(child.includes('.') ? [child] : []),
    ...ancestors.flatMap((a) => [`${step(a)} ${child}`, `${step(a)} > ${child}`]),
  ]
  const withLink = `${block.childSel}:has(a[href])`
  for (const candidate of [...forms(block.childSel), ...forms(withLink)]) {
    if (sameSet($(candidate) as Cheerio<Element>, block.members)) return candidate
  }
  // No short form is exact: the full path from the nearest named ancestor.
  const path: string[] = []
  for (const a of ancestors) {
    path.unshift(step(a))
    if (a.attribs.id) break
  }
  return `${path.join(' > ')} > ${block.childSel}`
}

/** Element steps from `from` (exclusive) down to `to` (inclusive). */
function pathBetween(from: Element, to: Element): Element[] {
  const steps: Element[] = []
  for (let e: AnyNode | null = to; e && e !== from && isElement(e); e = e.parent) steps.unshift(e)
  return steps
}

/**
 * The selector, relative to each item, that finds `targets[i]` in `members[i]` for most items:
 * the last step alone first (`a`, `span`), then with its class, then with its parent's step.
 */
function relativeSelector($: CheerioAPI, members: readonly Element[], targets: ReadonlyArray<Element | undefined>): string | undefined {
  const pairs = members.map((m, i) => [m, targets[i]] as const).filter((p): p is readonly [Element, Element] => p[1] !== undefined)
  if (pairs.length === 0) return undefined
  const [member, target] = pairs[0]
  const path = pathBetween(member, target)
  if (path.length === 0) return ':scope'
  const last = path[path.length - 1]
  const parent = path.length > 1 ? path[path.length - 2] : undefined
  const candidates = [step(last, false), step(last)]
  if (parent) candidates.push(`${step(parent, false)} ${step(last, false)}`, `${step(parent)} ${step(last)}`)
  for (const candidate of [...new Set(candidates)]) {
    const hits = pairs.filter(([m, t]) => $(m).find(candidate).first()[0] === t).length
    if (hits * 10 >= pairs.length * 9) return candidate
  }
  return path.map((e) => step(e)).join(' > ')
}

/** The item's date element: the smallest element outside the title link whose text is a date. */
function dateElement($: CheerioAPI, member: Element, anchor: Element, opts: SuggestOptions): Element | undefined {
  let best: Element | undefined
  $(member)
    .find('*')
    .each((_, node) => {
      const element = node as Element
      if (element === anchor || $(anchor).find(element).length > 0 || $(element).find(anchor).length > 0) return
      const text = collapse($(element).text())
      if (text === '' || text.length > MAX_DATE_TEXT || !DATE_SHAPE.test(text)) return
      if (parseDate(text, { zone: opts.zone, now: opts.now }) === undefined) return
      if (!best || $(best).find(element).length > 0) best = element
    })
  return best
}

/** The "next page" link's selector: by its class when it has one, else by its text. */
function nextSelector($: CheerioAPI): string | undefined {
  const link = $('a[href]')
    .toArray()
    .find((a) => NEXT_TEXTS.test(collapse($(a).text()).replace(/\s*[>»›]+$/, '') || collapse($(a).text())))
  if (!link) return undefined
  const cls = classes(link).find((c) => $(`a.${c}`).length === 1)
  if (cls) return `a.${cls}@href`
  return `a:contains(${JSON.stringify(collapse($(link).text()))})@href`
}

export function suggestPage(html: string, opts: SuggestOptions): Suggestion[] {
  const $ = load(html)
  $('script, style, noscript, template').remove()
  const next = nextSelector($)
  const scored = blocks($).map((block): Suggestion => {
    const item = itemSelector($, block)
    const anchorSel = relativeSelector($, block.members, block.anchors)!
    const titled = block.anchors.filter((a) => collapse(a.attribs.title ?? '').length >= collapse($(a).text()).length).length
    const title = titled * 2 > block.anchors.length ? `${anchorSel === ':scope' ? '' : anchorSel}@title` : anchorSel
    const link = `${anchorSel === ':scope' ? '' : anchorSel}@href`
    const dates = block.members.map((m, i) => dateElement($, m, block.anchors[i], opts))
    const dated = dates.filter(Boolean).length
    const dateSel = dated * 2 >= block.members.length ? relativeSelector($, block.members, dates) : undefined
    const titleChars = block.anchors.reduce((n, a) => n + collapse($(a).text()).length, 0) / block.anchors.length
    const score = block.members.length * (1 + (DATE_WEIGHT * dated) / block.members.length) * (Math.min(titleChars, TITLE_LENGTH_CAP) / TITLE_LENGTH_CAP)
    return {
      page: { item, title, link, ...(dateSel !== undefined && { date: dateSel }), ...(next !== undefined && { next, pages: 2 }) },
      items: block.members.length,
      dated: dateSel !== undefined ? dated : 0,
      score: Math.round(score * 10) / 10,
    }
  })
  const seen = new Set<string>()
  return scored
    .sort((a, b) => b.score - a.score)
    .filter((s) => !seen.has(s.page.item) && !!seen.add(s.page.item))
    .slice(0, SUGGESTIONS)
}
