/**
 * The lines a regional portal adds around every article it carries — its dateline and `来源：`
 * line, credit lines, its reprint disclaimer, share and follow prompts, its copyright line —
 * told apart from the article itself (issue 3 §3). They are dropped from the text excerpts and
 * reprint fingerprints are made of; the stored HTML keeps them, as the source published it.
 */
import { stripFlattenedRuby } from './text.js'
import { foldsAway } from '../variant/index.js'

/**
 * Labels of a metadata field (`来源：X`, `编辑：X`, `发布时间：…`, `浏览次数：N`), both scripts.
 * Longest first, so `责任编辑` is taken whole rather than as `编辑`.
 */
const FIELD_LABELS = [
  '责任编辑', '責任編輯', '实习记者', '實習記者', '特约记者', '特約記者', '发布时间', '發布時間', '發佈時間', '发布日期', '發布日期',
  '更新时间', '更新時間', '浏览次数', '瀏覽次數', '点击次数', '點擊次數', '阅读次数', '閱讀次數', '信息来源', '信息來源',
  '文章来源', '文章來源', '转载自', '轉載自', '通讯员', '通訊員', '审核人', '審核人', '点击数', '點擊數',
  '来源', '來源', '稿源', '作者', '编辑', '編輯', '责编', '責編', '记者', '記者', '摄影', '攝影', '审核', '審核', '校对', '校對',
  '初审', '初審', '复审', '複審', '终审', '終審', '供稿', '点击', '點擊', '浏览', '瀏覽', '阅读', '閱讀',
  '字号', '字號', '打印', '关闭', '關閉', '收藏', '分享', '时间', '時間', '日期',
]
/**
 * A label and its value: a name-sized run up to the next space or sentence punctuation. A glued
 * next label goes with it (`来源：陕西传媒网编辑：王五` leaves `王五`); prose that merely contains
 * a label (`记者从市政府获悉，今年…`) leaves its sentence behind and is kept.
 */
const FIELD = new RegExp(`(?:${FIELD_LABELS.join('|')})[ \\t\\u3000]*[:：]?[ \\t\\u3000]*[^\\s，。；！？,;!?]{0,24}`, 'gu')
/** Dates and times as datelines write them (after NFKC, so full-width digits are plain). */
const DATE_TIME = /\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}:\d{2}(?::\d{2})?|\d{1,2}月\d{1,2}日/gu
/**
 * What may remain of a metadata line once its fields and dates are gone: `字号：大 中 小` leaves
 * `中小`, `【打印】【关闭】` nothing. A real sentence leaves far more.
 */
const MAX_METADATA_REMAINDER = 4

/**
 * Phrases only a site's own furniture uses: the reprint disclaimer (the one in the regional
 * sample article and its variants), follow and share prompts, copyright and ICP lines.
 */
const FURNITURE_PHRASES = [
  '仅代表作者', '僅代表作者', '只是转载', '只是轉載', '不代表本(?:网|網|站|报|報|台)', '如有侵权', '如有侵權', '如涉及作品内容', '如涉及作品內容',
  '版权问题', '版權問題', '请及时联系', '請及時聯繫', '請及時聯系', '请与本网联系', '請與本網聯繫', '转载请注明', '轉載請註明', '转载请联系', '轉載請聯繫',
  '未经(?:本网|本站)?(?:书面)?授权', '未經(?:本網|本站)?(?:書面)?授權', '扫码关注', '掃碼關注', '扫一扫', '掃一掃', '长按识别', '長按識別', '二维码', '二維碼',
  '关注(?:我们|微信|官方)?公众号', '關注(?:我們|微信|官方)?公眾號', '分享到', '点击右上角', '點擊右上角', '版权所有', '版權所有',
  'copyright', '©', 'all rights reserved', 'icp备', 'icp備', 'icp证', 'icp證', '网安备', '網安備',
]
const FURNITURE = new RegExp(FURNITURE_PHRASES.join('|'), 'iu')

/** A disclaimer or prompt runs a sentence or two; a paragraph this long is the article's own. */
const MAX_FURNITURE_LINE = 160

/** `原标题：…`, which reprints add above or below the text. */
const ORIGINAL_TITLE = /^[\s【\[（(]*(?:原标题|原標題)\s*[:：]\s*(.+?)[\s】\]）)]*$/u

/** `（记者 王帅 通讯员 刘洋）`: a byline in brackets, at the start or end of a paragraph. */
const CREDIT_BRACKET = new RegExp(
  `[（(]\\s*(?:图\\/文|圖\\/文|文\\/图|文\\/圖|文|图|圖)?\\s*(?:${['实习记者', '實習記者', '特约记者', '特約記者', '通讯员', '通訊員', '记者', '記者', '编辑', '編輯', '摄影', '攝影'].join('|')})[^（）()\\n]{0,60}[）)]`,
  'gu',
)

const PUNCTUATION_AND_SPACE = /[\p{P}\p{S}\p{Z}\s]+/gu

/** A dateline or credit line runs to a few dozen characters; longer is a paragraph of the article. */
const MAX_METADATA_LINE = 120

/**
 * The first characters of every furniture phrase, as one character class: a line with none of
 * them is no furniture, which one native scan tells without running the long alternation (most
 * lines of an article).
 */
const firstCharacters = (alternatives: string[]) => new Set(alternatives.flatMap((a) => [a[0].toLowerCase(), a[0].toUpperCase()]))
const anyOf = (starts: ReadonlySet<string>) => new RegExp(`[${[...starts].map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('')}]`, 'u')
const MAY_BE_FURNITURE = anyOf(firstCharacters(FURNITURE_PHRASES))
/** A label or a digit: without either, removing fields and dates leaves the line as it was. */
const MAY_BE_METADATA = new RegExp(`${FIELD_LABELS.join('|')}|[0-9]`, 'u')

/** Where a field (its label) or a date (a digit) can begin: the removals below start there. */
const FIELD_STARTS = new Set(Array.from(`${FIELD_LABELS.map((label) => label[0]).join('')}0123456789`, (c) => c.charCodeAt(0)))
/** What no field or date spans: each clause of a line is cleared, or not, on its own. */
const CLAUSE_ENDS = new Set(Array.from('，。；！？,;!?', (c) => c.charCodeAt(0)))

/**
 * Characters of `flat` that removing its fields and dates, then its punctuation, must leave: in
 * each clause, those before its first possible field or date start (a lower bound, counted up to
 * `enough`). Most lines of prose exceed MAX_METADATA_REMAINDER in their first clause, which this
 * one pass tells without the three replacements (most of the 6 µs a paragraph took).
 */
export function keptAtLeast(flat: string, enough = Infinity): number {
  let kept = 0
  let inPrefix = true
  for (let i = 0; i < flat.length && kept <= enough; i++) {
    const c = flat.charCodeAt(i)
    if (CLAUSE_ENDS.has(c)) inPrefix = true
    else if (FIELD_STARTS.has(c)) inPrefix = false
    else if (inPrefix && !foldsAway(c)) kept++
  }
  return kept
}

/** `flat` is the line after NFKC. */
function isMetadataLine(flat: string): boolean {
  if (keptAtLeast(flat, MAX_METADATA_REMAINDER) > MAX_METADATA_REMAINDER || !MAY_BE_METADATA.test(flat)) return false
  const withoutFields = withoutFieldsAndDates(flat)
  if (withoutFields === flat) return false
  return withoutFields.replace(PUNCTUATION_AND_SPACE, '').length <= MAX_METADATA_REMAINDER
}

/** A line with its metadata fields and dates taken out. */
export function withoutFieldsAndDates(flat: string): string {
  return flat.replace(DATE_TIME, '').replace(FIELD, '')
}

function isFurniture(flat: string): boolean {
  return MAY_BE_FURNITURE.test(flat) && FURNITURE.test(flat)
}

/** Whether a line of plain text is the site's furniture rather than the article. */
export function isBoilerplateLine(line: string): boolean {
  const trimmed = line.trim()
  if (trimmed === '' || ORIGINAL_TITLE.test(trimmed)) return true
  // NFKC once for both checks, and only for lines short enough to be either.
  if (trimmed.length > Math.max(MAX_METADATA_LINE, MAX_FURNITURE_LINE)) return false
  const flat = trimmed.normalize('NFKC')
  return (trimmed.length <= MAX_METADATA_LINE && isMetadataLine(flat)) || (trimmed.length <= MAX_FURNITURE_LINE && isFurniture(flat))
}

/**
 * The article's own text: boilerplate lines dropped, bracketed bylines cut out of the paragraphs
 * they open or close. Line structure is kept, so excerpts still read as the text does.
 */
export function stripBoilerplate(text: string): string {
  // An item's text is stripped twice, for its excerpt and for its fingerprint: the second time is a lookup.
  const known = stripped.get(text)
  if (known !== undefined) return known
  const out = strip(text)
  if (stripped.size >= STRIPPED_CACHE) stripped.clear()
  stripped.set(text, out)
  return out
}

/**
 * Texts remembered by stripBoilerplate: a whole poll's items are normalized before they are
 * fingerprinted, so this holds a large feed's worth; cleared when full, and when a read is done
 * (`forgetStrippedTexts`). The texts are the items' own strings, alive anyway while their poll
 * runs — but not after: kept across a round's polls, a reader thread held 16,384 articles of
 * sources long since read (its live heap grew from 16 to 37 MB over a 2,000-source round).
 */
const STRIPPED_CACHE = 16_384
const stripped = new Map<string, string>()

/** Forgets the texts stripBoilerplate remembered: called when a read's last use of them is over. */
export function forgetStrippedTexts(): void {
  stripped.clear()
}

/** Texts stripBoilerplate remembers now (for tests: a read leaves none behind). */
export function strippedTextsHeld(): number {
  return stripped.size
}

function strip(text: string): string {
  return stripFlattenedRuby(text)
    .split('\n')
    .filter((line) => !isBoilerplateLine(line))
    .map((line) => line.replace(CREDIT_BRACKET, '').trim())
    .filter((line) => line !== '')
    .join('\n')
}

/** The headline the story first ran under, when a reprint names it (`原标题：…`). */
export function extractOriginalTitle(text: string): string | undefined {
  for (const line of stripFlattenedRuby(text).split('\n')) {
    const m = ORIGINAL_TITLE.exec(line.trim())
    if (!m) continue
    const title = m[1].replace(/^[《「『“"]+|[》」』”"]+$/gu, '').trim()
    if (title !== '') return title
  }
  return undefined
}
