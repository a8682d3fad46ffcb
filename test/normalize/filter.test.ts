import { describe, expect, it } from 'vitest'
import { matchesFilters } from '../../src/normalize/filter.js'

const item = {
  title: '安康市召开2024年秋季森林防火工作会议',
  text: '9月19日，安康市召开秋季森林防火工作会议。广告：本站招聘 Editor 若干名。',
}

describe('matchesFilters', () => {
  it.each([
    ['no keywords: everything passes', [], [], true],
    ['include found in the title', ['森林防火'], [], true],
    ['include found in the text only', ['招聘'], [], true],
    ['include not found', ['汉中'], [], false],
    ['any include is enough', ['汉中', '安康'], [], true],
    ['exclude found', [], ['广告'], false],
    ['exclude wins over include', ['安康'], ['广告'], false],
    ['exclude not found', [], ['彩票'], true],
    ['case-insensitive', ['editor'], [], true],
    ['full-width keyword folds to half-width', ['２０２４'], [], true],
    ['blank keywords ignored', ['  '], [''], true],
    ['punctuation-only keywords ignored', ['：'], ['!!'], true],
  ])('%s', (_name, include, exclude, expected) => {
    expect(matchesFilters(item, include, exclude)).toBe(expected)
  })
})

/** Items as portals in either script write them (issue 3 §6: keywords match after variant folding). */
const taiwan = { title: '臺灣軟體產業資訊週開幕', text: '本屆資訊週以「軟體創新」為主題，展出ＡＩ與雲端服務。' }
const hongKong = { title: '汉江洪峯过境 沿江羣眾安全轉移', text: '來源：香港文匯網' }
const simplified = { title: '安康市软件产业园开园', text: '园区首批入驻企业32家，涵盖软件开发、信息服务等领域。' }

describe('matchesFilters across scripts and widths', () => {
  it.each([
    ['simplified keyword finds traditional phrase (软件 → 軟體)', taiwan, ['软件'], [], true],
    ['traditional keyword finds simplified text (軟體 → 软件)', simplified, ['軟體'], [], true],
    ['phrase-level: 信息 finds 資訊', taiwan, ['信息'], [], true],
    ['Hong Kong variants fold too (洪峰 finds 洪峯)', hongKong, ['洪峰'], [], true],
    ['exclude in the other script', taiwan, [], ['软件'], false],
    ['half-width keyword finds full-width letters', taiwan, ['ai'], [], true],
    ['full-width keyword finds half-width digits', simplified, ['３２家'], [], true],
    ['punctuation and spaces do not matter', hongKong, ['安全 转移'], [], true],
    ['a keyword in neither script is not found', simplified, ['硬件'], [], false],
  ])('%s', (_name, item, include, exclude, expected) => {
    expect(matchesFilters(item, include, exclude)).toBe(expected)
  })
})
