import { describe, expect, it } from 'vitest'
import { errorInRow, statusSummary, type StatusRow } from '../../src/http/status.js'

const row = (id: string, health: StatusRow['health'], lastError?: string, url = `https://${id}.example/rss.xml`): StatusRow => ({ id, title: id, url, categories: ['local'], health, lastError, consecutiveFailures: lastError ? 1 : 0, items: 0, skipped: 0 })

describe('errorInRow', () => {
  it.each([
    ['fetch: HTTP 404 Not Found (https://a.example/rss.xml, source a)', 'fetch: HTTP 404 Not Found'],
    ['fetch: cannot resolve host a.example (https://a.example/rss.xml, source a)', 'fetch: cannot resolve host a.example'],
    ['fetch: timed out after 30 s (https://cdn.example/moved.xml, source a)', 'fetch: timed out after 30 s (https://cdn.example/moved.xml)'],
    ['parse: malformed XML: Unclosed root tag (source a)', 'parse: malformed XML: Unclosed root tag'],
    ['page: page.item matched 0 elements on https://a.example/rss.xml', 'page: page.item matched 0 elements on https://a.example/rss.xml'],
    ['store: write items of a: no answer within 10 s (redis://h:6379)', 'store: write items of a: no answer within 10 s (redis://h:6379)'],
  ])('%s → %s', (lastError, shown) => {
    expect(errorInRow(row('a', 'failing', lastError))).toBe(shown)
  })
})

describe('statusSummary', () => {
  it('says nothing more when some source works', () => {
    expect(statusSummary([row('a', 'failing', 'fetch: connection refused (https://a.example/rss.xml, source a)'), row('b', 'ok')])).toEqual({ total: 2, failing: 1 })
  })

  it('names the most common error when every polled source failed, and whether the network is the cause', () => {
    const offline = ['a', 'b', 'c'].map((id) => row(id, 'failing', `fetch: cannot resolve host ${id}.example (https://${id}.example/rss.xml, source ${id})`))
    expect(statusSummary([...offline, row('d', 'failing', 'fetch: connection refused (https://d.example/rss.xml, source d)'), row('e', 'pending')])).toEqual({
      total: 5,
      failing: 4,
      allFailing: { error: 'fetch: cannot resolve host …', count: 3, network: true },
    })
    expect(statusSummary([row('a', 'failing', 'parse: malformed XML (source a)')]).allFailing).toEqual({ error: 'parse: malformed XML', count: 1, network: false })
  })
})
