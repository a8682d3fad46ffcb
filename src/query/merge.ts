import type { ItemRef } from '../store/index.js'
import { compareRefs } from './cursor.js'

/** First index of `list` (newest first) whose ref comes strictly after `after`: binary search. */
function firstAfter(list: ItemRef[], after: ItemRef): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareRefs(list[mid], after) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The k-way merge of lists that are each newest first, read lazily from their heads: taking the
 * first n refs costs O(k log n + n log k) for k lists, never a sort of everything stored, so a
 * page costs the same whether the sources hold a hundred items or a hundred thousand. With
 * `after`, the merge starts strictly after that position (a paging cursor).
 */
export function* mergeHeads(lists: ItemRef[][], after?: ItemRef): Generator<ItemRef> {
  // A binary heap of [list index, position], ordered by the ref at that position.
  const heap: Array<[number, number]> = []
  const refAt = (node: [number, number]) => lists[node[0]][node[1]]
  const less = (a: [number, number], b: [number, number]) => compareRefs(refAt(a), refAt(b)) < 0
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j], heap[i]])
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(heap[i], heap[parent])) return
      swap(i, parent)
      i = parent
    }
  }
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let top = i
      if (l < heap.length && less(heap[l], heap[top])) top = l
      if (r < heap.length && less(heap[r], heap[top])) top = r
      if (top === i) return
      swap(i, top)
      i = top
    }
  }
  lists.forEach((list, index) => {
    const start = after ? firstAfter(list, after) : 0
    if (start < list.length) {
      heap.push([index, start])
      up(heap.length - 1)
    }
  })
  while (heap.length > 0) {
    const head = heap[0]
    yield refAt(head)
    if (head[1] + 1 < lists[head[0]].length) heap[0] = [head[0], head[1] + 1]
    else {
      const last = heap.pop()!
      if (heap.length === 0) return
      heap[0] = last
    }
    down(0)
  }
}
