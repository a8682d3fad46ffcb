import * as cheerio from 'cheerio'
import { AppError } from './errors.js'

interface Found {
  id: string
  title: string
  url: string
  homepage?: string
  category: string
}

/** `feedloom opml import FILE`: every outline with an xmlUrl becomes a source; parent outlines become categories. */
export function opmlToConfig(xml: string, file: string): string {
  const $ = cheerio.load(xml, { xml: true })
  if ($('opml').length === 0) throw new AppError(`opml: ${file}: not an OPML document (no <opml> element)`)
  const found: Found[] = []
  const ids = new Set<string>()
  $('outline[xmlUrl], outline[xmlurl]').each((_, el) => {
    const node = $(el)
    const url = node.attr('xmlUrl') ?? node.attr('xmlurl') ?? ''
    const title = node.attr('title') || node.attr('text') || url
    const parent = node.parent('outline')
    const category = slug(node.attr('category')?.split(/[,/]/).filter(Boolean)[0] ?? (parent.length ? parent.attr('text') || parent.attr('title') || 'main' : 'main'), 'main')
    let id = slug(title, 'source')
    for (let n = 2; ids.has(id); n++) id = `${slug(title, 'source')}-${n}`
    ids.add(id)
    found.push({ id, title, url, homepage: node.attr('htmlUrl') ?? node.attr('htmlurl'), category })
  })
  if (!found.length) throw new AppError(`opml: ${file}: no outline has an xmlUrl`)
  const categories = [...new Set(found.map((f) => f.category))]
  const site = $('head > title').first().text().trim() || 'feedloom'
  const q = (s: string) => JSON.stringify(s)
  return `import { defineConfig } from './src/config/index.js'

// Imported from ${file}: review ids, categories and the disclaimer before you start.
export default defineConfig({
  site: { title: ${q(site)}, url: 'http://localhost:3000', language: 'zh-CN' },
  disclaimer: { text: '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。' },
  categories: {
${categories.map((c) => `    ${q(c)}: { title: ${q(c)} },`).join('\n')}
  },
  sources: [
${found.map((f) => `    { id: ${q(f.id)}, title: ${q(f.title)}, url: ${q(f.url)}, categories: [${q(f.category)}]${f.homepage ? `, homepage: ${q(f.homepage)}` : ''} },`).join('\n')}
  ],
})
`
}

/** An id from a title: ASCII letters and digits kept, anything else folded to '-'; Chinese titles fall back. */
function slug(text: string, fallback: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
  return s || `${fallback}-${hash(text)}`
}

function hash(text: string): string {
  let h = 0
  for (const ch of text) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0
  return h.toString(36).slice(0, 6)
}
