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
  ])('%s', (_name, include, exclude, expected) => {
    expect(matchesFilters(item, include, exclude)).toBe(expected)
  })
})
