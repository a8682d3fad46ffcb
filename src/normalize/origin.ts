/**
 * Who first published a reprinted story (`来源：X`), and who wrote and edited it (`记者 X`,
 * `编辑：X`), read from the plain text of regional news items in either script and width.
 */
import { stripFlattenedRuby } from './text.js'

/**
 * The labels that name the original publisher. `来源于`/`转载自` are prose as well (`资金来源于…`),
 * so a label counts only where a credit line would put it: see `labelStandsAlone`.
 */
const ORIGIN_LABEL = /(?:来源|來源|稿源)\s*(?:[:：]|于|於|自)\s*|(?:转载自|轉載自|转自|轉自)\s*[:：]?\s*/gu

/** Words that may come right before an origin label in a sentence that is still a credit. */
const ORIGIN_LEAD_INS = /(?:本文|文章|原文|本稿|稿件|此文|该文|該文|图片|圖片|消息)$/u

/** Where the publisher's name ends when no space or punctuation ends it first. */
const ORIGIN_STOP_WORDS = [
  '责任编辑', '責任編輯', '编辑', '編輯', '作者', '记者', '記者', '通讯员', '通訊員', '发布', '發布', '發佈',
  '时间', '時間', '日期', '点击', '點擊', '浏览', '瀏覽', '阅读', '閱讀', '字号', '字號', '原标题', '原標題',
]

/** Answers that name no other publisher: the site itself, or "the internet". */
const NOT_AN_ORIGIN = new Set(['本站', '本网', '本網', '原创', '原創', '网络', '網絡', '網路', '互联网', '互聯網', '网友', '網友', '未知', '不详', '不詳'])

/** A longer "name" is a sentence the label happened to precede. */
export const MAX_ORIGIN_LENGTH = 40

/** Opening quotes and brackets around a name: `来源：《人民日报》`. */
const OPENING = /^[《「『【〈“‘"']+/u
/** The name: up to the first space, punctuation or symbol. */
const NAME_RUN = /^[^\s\p{P}\p{S}]+/u

const HAN = /\p{Script=Han}/u

function labelStandsAlone(text: string, index: number): boolean {
  const before = text.slice(Math.max(0, index - 4), index)
  const previous = before.at(-1)
  return previous === undefined || !HAN.test(previous) || ORIGIN_LEAD_INS.test(before)
}

function cutAtStopWord(name: string): string {
  let end = name.length
  for (const word of ORIGIN_STOP_WORDS) {
    const at = name.indexOf(word)
    if (at >= 0 && at < end) end = at
  }
  return name.slice(0, end)
}

/** The original publisher named by a `来源：X` / `來源:X` / `转载自X` credit, when there is one. */
export function extractOrigin(text: string): string | undefined {
  const clean = stripFlattenedRuby(text)
  for (const label of clean.matchAll(ORIGIN_LABEL)) {
    if (!labelStandsAlone(clean, label.index)) continue
    const rest = clean.slice(label.index + label[0].length).replace(OPENING, '')
    const name = cutAtStopWord(NAME_RUN.exec(rest)?.[0] ?? '')
    if (name !== '' && name.length <= MAX_ORIGIN_LENGTH && !NOT_AN_ORIGIN.has(name)) return name
  }
  return undefined
}

export interface Credits {
  /** Reporters, trainee reporters and correspondents (记者, 实习记者, 通讯员), in order of appearance. */
  reporters: string[]
  /** Editors (编辑, 责任编辑). */
  editors: string[]
}

/** Longest first, so `实习记者` is not read as `记者`. */
const REPORTER_LABELS = ['实习记者', '實習記者', '特约记者', '特約記者', '通讯员', '通訊員', '记者', '記者']
const EDITOR_LABELS = ['责任编辑', '責任編輯', '责编', '責編', '编辑', '編輯']
const ANY_LABEL = [...REPORTER_LABELS, ...EDITOR_LABELS].join('|')

const CREDIT_LABEL = new RegExp(ANY_LABEL, 'gu')
const LABEL_FIRST = new RegExp(`^(?:${ANY_LABEL})`, 'u')
/**
 * A Chinese name: two to four Han characters (or a transcribed name joined by `·`), ending where
 * the Han run ends or the next label begins.
 */
const NAME = new RegExp(String.raw`^\p{Script=Han}{2,4}(?:[·•]\p{Script=Han}{1,6})?(?=$|[^\p{Script=Han}]|${ANY_LABEL})`, 'u')
const SEPARATOR_AFTER_LABEL = /^[ \t\u3000]*[:：]?[ \t\u3000]*/u
const SEPARATOR_BETWEEN_NAMES = /^(?:[ \t\u3000]*[、,，/][ \t\u3000]*|[ \t\u3000]+)/u
/**
 * Where a label glued to its name (`（记者王帅）`) shows the name really ended. A comma does
 * not: `记者了解到，` ("the reporter learned") is prose.
 */
const CREDIT_END = /^(?:$|[)）\]】\s、/])/u
/** `记者王帅报道`: the verb is not part of the name. */
const REPORTED = /(?:报道|報道|摄影|攝影|摄|攝)$/u

function readNames(rest: string, glued: boolean): string[] {
  const names: string[] = []
  let s = rest
  for (;;) {
    if (LABEL_FIRST.test(s)) break
    const m = NAME.exec(s)
    if (!m) break
    const after = s.slice(m[0].length)
    if (glued && names.length === 0 && !CREDIT_END.test(after) && !LABEL_FIRST.test(after)) break
    const name = m[0].replace(REPORTED, '')
    if (name.length >= 2) names.push(name)
    const gap = SEPARATOR_BETWEEN_NAMES.exec(after)
    if (!gap) break
    s = after.slice(gap[0].length)
  }
  return names
}

/** Reporters and editors credited in the text (`记者 X`, `通讯员 X`, `编辑：X`, lists by space or `、`). */
export function extractCredits(text: string): Credits {
  const clean = stripFlattenedRuby(text)
  const reporters: string[] = []
  const editors: string[] = []
  for (const label of clean.matchAll(CREDIT_LABEL)) {
    const rest = clean.slice(label.index + label[0].length)
    const separator = SEPARATOR_AFTER_LABEL.exec(rest)?.[0] ?? ''
    const names = readNames(rest.slice(separator.length), separator === '')
    const into = EDITOR_LABELS.includes(label[0]) ? editors : reporters
    for (const name of names) if (!into.includes(name)) into.push(name)
  }
  return { reporters, editors }
}
