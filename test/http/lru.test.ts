import { describe, expect, it } from 'vitest'
import { SizedLru } from '../../src/http/lru.js'

describe('SizedLru', () => {
  it('keeps the total size within its bound, dropping the least recently used first', () => {
    const lru = new SizedLru<Buffer>(10, (b) => b.length)
    lru.set('a', Buffer.alloc(4))
    lru.set('b', Buffer.alloc(4))
    expect(lru.get('a')).toBeDefined() // a is now the most recent
    lru.set('c', Buffer.alloc(4))
    expect([lru.get('a') !== undefined, lru.get('b') !== undefined, lru.get('c') !== undefined]).toEqual([true, false, true])
    expect(lru.size).toBe(8)
  })

  it('replaces a key without counting it twice, and never keeps a value larger than the bound', () => {
    const lru = new SizedLru<Buffer>(10, (b) => b.length)
    lru.set('a', Buffer.alloc(6))
    lru.set('a', Buffer.alloc(3))
    expect(lru.size).toBe(3)
    lru.set('huge', Buffer.alloc(11))
    expect(lru.get('huge')).toBeUndefined()
    expect(lru.get('a')?.length).toBe(3)
    lru.delete('a')
    expect(lru.size).toBe(0)
  })
})
