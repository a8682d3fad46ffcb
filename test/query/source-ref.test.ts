import { describe, expect, it } from 'vitest'
import { sourceRef } from '../../src/query/index.js'
import type { SourceConfig } from '../../src/model.js'

const source = (url: string) => ({ id: 'gjxw', title: '各界新闻网', url, homepage: 'https://gjxw.example/', categories: ['local'] }) as SourceConfig

describe('sourceRef', () => {
  it('publishes an http(s) source URL as it is', () => {
    expect(sourceRef(source('https://gjxw.example/rss.xml'), 'https://news.example.org/')).toEqual({ id: 'gjxw', title: '各界新闻网', url: 'https://gjxw.example/rss.xml', homepage: 'https://gjxw.example/' })
  })
  it('never publishes a path on the operator disk: a file:// source stands as its feed on this site', () => {
    expect(sourceRef(source('file:///srv/feeds/gjxw.xml'), 'https://news.example.org/').url).toBe('https://news.example.org/feeds/all.rss?source=gjxw')
  })
})
