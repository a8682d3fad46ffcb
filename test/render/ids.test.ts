import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { publishedId } from '../../src/render/ids.js'
import { regionalView } from './views.js'

/** RFC 9562 UUID, version 5, variant 10xx. */
const UUID_V5 = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('publishedId', () => {
  // Pinned: a changed mapping would show every item to every reader as new (SPEC §4).
  it.each([
    ['0123456789abcdef0123456789abcdef', 'urn:uuid:01234567-89ab-5def-8123-456789abcdef'],
    ['0123456789ABCDEF0123456789ABCDEF', 'urn:uuid:01234567-89ab-5def-8123-456789abcdef'],
    ['ffffffffffffffffffffffffffffffff', 'urn:uuid:ffffffff-ffff-5fff-bfff-ffffffffffff'],
    ['00000000000000000000000000000000', 'urn:uuid:00000000-0000-5000-8000-000000000000'],
    ['3f9c2a1b7d4e4f60a1b2c3d4e5f60718', 'urn:uuid:3f9c2a1b-7d4e-5f60-a1b2-c3d4e5f60718'],
  ])('%s → %s', (id, expected) => {
    expect(publishedId(id)).toBe(expected)
  })

  it.each(regionalView().items.map((item) => [item.id]))('keeps every other digit of %s', (id) => {
    const digits = publishedId(id).slice('urn:uuid:'.length).replace(/-/g, '')
    expect(digits.slice(0, 12) + digits.slice(13, 16) + digits.slice(17)).toBe(id.slice(0, 12) + id.slice(13, 16) + id.slice(17))
  })

  it('is a version-5 UUID URN, the same every time, for any input (non-hex ids are hashed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.string({ unit: 'binary' })), (id) => {
        const once = publishedId(id)
        expect(once).toMatch(UUID_V5)
        expect(publishedId(id)).toBe(once)
      }),
      { numRuns: 200 },
    )
  })

  it('tells apart ids that differ outside the version and variant bits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 0, max: 31 }).filter((i) => i !== 12 && i !== 16), (id, position) => {
        const other = id.slice(0, position) + ((parseInt(id[position], 16) + 1) % 16).toString(16) + id.slice(position + 1)
        expect(publishedId(other)).not.toBe(publishedId(id))
      }),
      { numRuns: 100 },
    )
  })
})
