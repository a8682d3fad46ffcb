import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/index.js'
import { openStore } from '../../src/store/index.js'
import { createFetcher } from '../../src/fetch/index.js'
import { refreshSource } from '../../src/refresh.js'
import { silentLogger } from '../../src/log.js'
import { listen } from '../helpers/servers.js'

/** RFC 9309: a crawler reads robots.txt before it requests a page, including a page source's list page. */
describe('a page source whose list page robots.txt disallows', () => {
  it('is refused before the list page is requested, and says so', async () => {
    const requested: string[] = []
    const host = await listen((req, res) => {
      requested.push(req.url ?? '')
      if (req.url === '/robots.txt') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('User-agent: *\nDisallow: /xxgk/\n')
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<ul class="list"><li><a href="/a.html">安康市召开会议</a></li></ul>')
    })
    try {
      const config = resolveConfig({
        site: { title: 't', url: 'https://news.example.org' },
        disclaimer: { text: '本网只是转载。' },
        categories: { local: { title: '本地' } },
        sources: [{ id: 'gov', title: '政府信息公开', url: `${host.url}/xxgk/list.html`, categories: ['local'], page: { item: '.list li', title: 'a', link: 'a@href' }, crawlDelay: 0 }],
      })
      const store = await openStore('memory://')
      const result = await refreshSource(config.sources[0], { store, fetcher: createFetcher(), now: () => new Date(), log: silentLogger })
      expect(result.outcome).toBe('error')
      expect(result.error).toMatch(/robots\.txt/)
      expect(requested).toEqual(['/robots.txt'])
    } finally {
      await host.close()
    }
  })
})
