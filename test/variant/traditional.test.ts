import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { TRADITIONAL_CHARACTERS } from '../../src/variant/traditional.js'
import { convertText, foldForMatch, hasTraditional, traditionalCharacters } from '../../src/variant/index.js'

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
  // Fingerprints are stored: the table-driven folding must give what the regex-based one gave.
  const reference = (text: string) => {
    const nfkc = text.normalize('NFKC')
    const listed = new Set(Array.from(TRADITIONAL_CHARACTERS, (c) => c.codePointAt(0)!))
    const traditional = Array.from(nfkc).some((c) => listed.has(c.codePointAt(0)!))
    return (traditional ? convertText(nfkc, 'zh-Hans') : nfkc).toLowerCase().replace(/[\p{P}\p{S}\p{Z}\s]+/gu, '')
  }

  it('folds every BMP character as the regex-based folding did', () => {
    const all: string[] = []
    for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) all.push(String.fromCharCode(c))
    // In runs of 64, each between two letters, so a dropped character shows as the letters meeting.
    for (let i = 0; i < all.length; i += 64) {
      const text = all.slice(i, i + 64).map((c) => `a${c}`).join('') + 'a'
      expect(foldForMatch(text)).toBe(reference(text))
    }
  })

  it('folds any text as the regex-based folding did, astral characters and lone surrogates included', () => {
    const pieces = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('軟體', '：', '，', '　', '😀', '𠀋', '\ud800', 'Ⅻ', '①'))
    fc.assert(fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
      const text = parts.join('')
      expect(foldForMatch(text)).toBe(reference(text))
    }), { numRuns: 2000 })
  })
})
