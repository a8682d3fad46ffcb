import { describe, expect, it } from 'vitest'
import { TRADITIONAL_CHARACTERS } from '../../src/variant/traditional.js'
import { foldForMatch, hasTraditional, traditionalCharacters } from '../../src/variant/index.js'

describe('traditional characters', () => {
  it('are exactly the characters the OpenCC tables change on their own', () => {
    const listed = new Set(Array.from(TRADITIONAL_CHARACTERS, (c) => c.codePointAt(0)!))
    // If this fails after an opencc-js update, regenerate src/variant/traditional.ts from traditionalCharacters().
    expect(listed).toEqual(traditionalCharacters())
  })

  it.each([
    ['软件的人工智能', false],
    ['汉滨区政协', false],
    ['軟體', true],
    ['漢濱區', true],
    ['ABC 123 ！', false],
    ['𠀋 and 軟', true],
  ])('%s: %s', (text, expected) => {
    expect(hasTraditional(text)).toBe(expected)
  })

  it('folding converts traditional text and leaves simplified text as it is', () => {
    expect(foldForMatch('軟體：２０２４')).toBe('软件2024')
    expect(foldForMatch('软件：2024')).toBe('软件2024')
  })
})
