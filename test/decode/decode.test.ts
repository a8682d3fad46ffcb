/**
 * decode over real files: feedparser's encoding suite (BSD-2, test/fixtures/feedparser/LICENSE),
 * and Chinese regional-news RSS encoded here with iconv-lite in GBK, GB18030, Big5 and Big5-HKSCS,
 * declared correctly, declared wrongly and not declared at all.
 *
 * Corpus files we do not decode as feedparser does (KNOWN_MISSES below):
 * - illformed/chardet/tis620.xml: 90 bytes of Thai with no declaration; chardet 2 ranks ISO-8859-1
 *   (confidence 20) above windows-874 (8), so it comes out as Latin mojibake.
 * - encoding/bozo_linenoise.xml and encoding/bozo_invalid-bytes-with-bom.xml are invalid on purpose
 *   (declared and BOM-marked UTF-8 with bytes that are not): U+FFFD is the right answer there.
 * - encoding/demoronize-{1,2,3}.xml and bozo_linenoise.xml assert feedparser's content repairs
 *   after decoding (C1 controls and `&#146;` taken as windows-1252 quotes, mojibake undone): the
 *   bytes decode exactly as declared, and the repair is not decode's job (FEEDPARSER_REPAIRS).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { decode } from '../../src/decode/index.js'
import { parseFeed } from '../../src/parse/index.js'
import { FEEDPARSER_ROOT, loadExpectations } from '../helpers/feedparser-corpus.js'

const ROOT = FEEDPARSER_ROOT

const expectations = loadExpectations()

const FILES = [
  ...readdirSync(join(ROOT, 'tests/encoding')).map((name) => `tests/encoding/${name}`),
  ...readdirSync(join(ROOT, 'tests/illformed/chardet')).map((name) => `tests/illformed/chardet/${name}`),
].sort()

/** Files whose bytes are invalid in the charset they are marked with, on purpose. */
const INVALID_ON_PURPOSE = new Set(['tests/encoding/bozo_linenoise.xml', 'tests/encoding/bozo_invalid-bytes-with-bom.xml'])
/** Files whose text assertions test feedparser's post-decoding repairs; see the header comment. */
const FEEDPARSER_REPAIRS = new Set([
  'tests/encoding/demoronize-1.xml',
  'tests/encoding/demoronize-2.xml',
  'tests/encoding/demoronize-3.xml',
  'tests/encoding/bozo_linenoise.xml',
])
/** Files we do not decode as feedparser does; reasons in the header comment. */
const KNOWN_MISSES = new Set(['tests/illformed/chardet/tis620.xml'])

/** UTF-8 read as Latin-1/windows-1252 (`Ã©`, `â€™`) and U+FFFD pairs read as GBK (`锟斤拷`). */
const MOJIBAKE = /锟斤拷|Ã[\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u201e\u2122]/


function contentTypeOf(path: string): string | undefined {
  const headers = expectations.get(path)?.http_headers
  return headers?.['Content-type'] ?? headers?.['Content-Type']
}

function decodeFile(path: string): { bytes: Buffer; text: string } {
  const bytes = readFileSync(join(ROOT, path))
  return { bytes, text: decode(bytes, { contentType: contentTypeOf(path), sourceId: path }).text }
}

const DECODABLE = FILES.filter((path) => !KNOWN_MISSES.has(path))

/** `encoding == 'big5'` in feedparser's expectation, per file. */
const DECLARED = DECODABLE.flatMap((path) => {
  const charset = /encoding == '([^']+)'/.exec(expectations.get(path)?.expect ?? '')?.[1]
  return charset === undefined ? [] : [[path, charset] as const]
})

/** feedparser's assertions on the decoded text of the feed title or first description. */
const TEXTS = DECODABLE.filter((path) => !FEEDPARSER_REPAIRS.has(path)).flatMap((path) =>
  (expectations.get(path)?.parsed?.asserts ?? [])
    .filter((a) => a.op === '==' && typeof a.value === 'string' && ['feed.title', 'entries.0.description', 'entries.0.summary'].includes(a.path.join('.')))
    .map((a) => [path, a.path.join('.'), a.value as string] as const),
)

describe('feedparser encoding suite', () => {
  it.each(DECODABLE)('%s decodes without replacement characters, mojibake or BOM', (path) => {
    const { text } = decodeFile(path)
    if (!INVALID_ON_PURPOSE.has(path)) expect(text).not.toContain('\uFFFD')
    expect(text).not.toMatch(MOJIBAKE)
    expect(text.charCodeAt(0)).not.toBe(0xfeff)
  })

  // We must produce the characters feedparser's charset gives; our names differ where we decode
  // with a superset (gb18030 for GB2312, big5-hkscs for Big5, windows-1252 for us-ascii and
  // iso-8859-1, as the WHATWG Encoding Standard does).
  it.each(DECLARED)('%s gives the characters of %s', (path, charset) => {
    const { bytes, text } = decodeFile(path)
    expect(text).toBe(iconv.decode(bytes, charset).replace(/^\uFEFF/, ''))
  })

  it.each(TEXTS)('%s parses to the expected %s', async (path, where, value) => {
    const feed = await parseFeed(decodeFile(path).text, { url: 'http://127.0.0.1/', sourceId: path })
    const ours = where === 'feed.title' ? feed.title : feed.entries[0]?.summaryHtml
    expect(ours?.trim()).toBe(value)
  })
})

describe('illformed/chardet: undeclared CJK and Cyrillic guessed by chardet', () => {
  it.each([
    ['tests/illformed/chardet/big5.xml', 'big5-hkscs'],
    ['tests/illformed/chardet/gb2312.xml', 'gb18030'],
    ['tests/illformed/chardet/euckr.xml', 'euc-kr'],
    ['tests/illformed/chardet/eucjp.xml', 'euc-jp'],
    ['tests/illformed/chardet/shiftjis.xml', 'shift_jis'],
    ['tests/illformed/chardet/koi8r.xml', 'koi8-r'],
  ])('%s → %s', (path, encoding) => {
    expect(decode(readFileSync(join(ROOT, path)), {})).toMatchObject({ encoding, encodingSource: 'detected' })
  })
})

// ---- Chinese regional news in legacy encodings ------------------------------------------------

/** A regional portal's RSS, with GBK-only names (镕, 堃), a GB18030 four-byte character (𠀾) and Cantonese HKSCS (㗎, 啲). */
function regionalRss(declaration: string, title: string, body: string): string {
  const traditional = title === HK_TITLE || title === BIG5_TITLE
  const [channel, second, secondBody] = traditional
    ? ['港澳臺新聞網', '天文台：颱風信號或於今晚改發', '天文台表示，颱風正逐漸靠近本港，市民應提高警覺。來源：星島日報']
    : ['陕南新闻网', '安康市召开防汛工作会议', '会议要求各县区严格落实防汛责任，确保群众生命财产安全。来源：安康日报']
  return `<?xml version="1.0"${declaration}?>
<rss version="2.0"><channel><title>${channel}</title><link>http://www.snxw.example.cn/</link>
<item><title>${title}</title><link>http://www.snxw.example.cn/html/2024/0919/12345.html</link>
<description>${body}</description><pubDate>2024-09-19 17:11:51</pubDate></item>
<item><title>${second}</title><link>http://www.snxw.example.cn/html/2024/0919/12346.html</link>
<description>${secondBody}</description></item>
</channel></rss>`
}
const GBK_TITLE = '朱镕基题词的汉江大桥通车，王堃出席仪式'
const GBK_BODY = '9月19日，朱镕基同志题写桥名的汉江大桥正式通车，市委书记王堃出席通车仪式并讲话。来源：安康日报'
const GB18030_TITLE = '𠀾字入选生僻字名录，石泉县䶮姓村民讲述家族史'
const HK_TITLE = '港島線今日延誤啲乘客話：咁樣點得㗎'
const HK_BODY = '港鐵表示，今早八時許訊號故障，港島線列車服務延誤約二十分鐘，大批乘客滯留車站。'
const BIG5_TITLE = '臺灣高鐵今日恢復正常營運'
const BIG5_BODY = '臺灣高鐵公司表示，受颱風影響的班次已全部恢復，旅客可持原票改搭其他班次。'

interface Case {
  name: string
  bytes: Buffer
  opts: { contentType?: string; override?: string }
  text: string
  encoding: string
  encodingSource: string
  warning?: RegExp
}

function encoded(charset: string, declaration: string, title: string, body: string): { bytes: Buffer; text: string } {
  const text = regionalRss(declaration, title, body)
  const bytes = iconv.encode(text, charset)
  // The fixture itself must be faithful: every character representable in its charset.
  expect(iconv.decode(bytes, charset)).toBe(text)
  return { bytes, text }
}

const gbk = encoded('gbk', ' encoding="gbk"', GBK_TITLE, GBK_BODY)
const gbkAsGb2312 = encoded('gbk', ' encoding="gb2312"', GBK_TITLE, GBK_BODY)
const gbkUndeclared = encoded('gbk', '', GBK_TITLE, GBK_BODY)
const gb18030 = encoded('gb18030', ' encoding="GB18030"', GB18030_TITLE, GBK_BODY)
const hkscs = encoded('big5-hkscs', ' encoding="big5"', HK_TITLE, HK_BODY)
const hkscsUndeclared = encoded('big5-hkscs', '', HK_TITLE, HK_BODY)
const big5 = encoded('big5', ' encoding="big5"', BIG5_TITLE, BIG5_BODY)
const utf8AsGb2312 = { bytes: Buffer.from(regionalRss(' encoding="gb2312"', GBK_TITLE, GBK_BODY)), text: regionalRss(' encoding="gb2312"', GBK_TITLE, GBK_BODY) }
const page = (() => {
  const text = `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>陕南新闻网 - 本地</title></head><body><ul class="list"><li><a href="/a/1.html">${GBK_TITLE}</a><span>2024-09-19</span></li></ul></body></html>`
  return { bytes: iconv.encode(text, 'gbk'), text }
})()
const page5 = (() => {
  const text = `<!doctype html><html><head><meta charset="big5"><title>港聞</title></head><body><h1>${HK_TITLE}</h1><p>${HK_BODY}</p></body></html>`
  return { bytes: iconv.encode(text, 'big5-hkscs'), text }
})()

const CASES: Case[] = [
  { name: 'GBK declared gbk in the XML declaration', ...gbk, opts: {}, encoding: 'gb18030', encodingSource: 'xml' },
  { name: 'GBK declared by HTTP charset=GBK', ...gbkUndeclared, opts: { contentType: 'application/rss+xml; charset=GBK' }, encoding: 'gb18030', encodingSource: 'http' },
  { name: 'GBK characters declared gb2312 (镕 堃 are not in GB2312)', ...gbkAsGb2312, opts: {}, encoding: 'gb18030', encodingSource: 'xml' },
  { name: 'GBK declared x-gbk by HTTP', ...gbkUndeclared, opts: { contentType: 'text/xml; charset="x-gbk"' }, encoding: 'gb18030', encodingSource: 'http' },
  { name: 'GB18030 four-byte characters', ...gb18030, opts: {}, encoding: 'gb18030', encodingSource: 'xml' },
  { name: 'Big5-HKSCS characters declared big5', ...hkscs, opts: {}, encoding: 'big5-hkscs', encodingSource: 'xml' },
  { name: 'plain Big5', ...big5, opts: {}, encoding: 'big5-hkscs', encodingSource: 'xml' },
  {
    name: 'GBK bytes under HTTP charset=utf-8',
    ...gbkUndeclared,
    opts: { contentType: 'application/xml; charset=utf-8' },
    encoding: 'gb18030',
    encodingSource: 'detected',
    warning: /^declared utf-8 \(http\) but bytes are not; used gb18030$/,
  },
  {
    name: 'UTF-8 bytes declared gb2312',
    ...utf8AsGb2312,
    opts: {},
    encoding: 'utf-8',
    encodingSource: 'utf8',
    warning: /^declared gb2312 \(xml\) but bytes are not; used utf-8$/,
  },
  { name: 'undeclared GBK', ...gbkUndeclared, opts: {}, encoding: 'gb18030', encodingSource: 'detected' },
  { name: 'undeclared Big5-HKSCS', ...hkscsUndeclared, opts: {}, encoding: 'big5-hkscs', encodingSource: 'detected' },
  { name: 'an HTML list page with <meta http-equiv> gb2312', ...page, opts: { contentType: 'text/html' }, encoding: 'gb18030', encodingSource: 'meta' },
  { name: 'an HTML page with <meta charset=big5>', ...page5, opts: {}, encoding: 'big5-hkscs', encodingSource: 'meta' },
  { name: 'the source override wins over HTTP', ...gbkUndeclared, opts: { contentType: 'text/xml; charset=utf-8', override: 'gbk' }, encoding: 'gb18030', encodingSource: 'override' },
  {
    name: 'an unknown declared charset is skipped',
    ...gbk,
    opts: { contentType: 'text/xml; charset=x-unheard-of' },
    encoding: 'gb18030',
    encodingSource: 'xml',
    warning: /^unknown charset x-unheard-of \(http\); ignored$/,
  },
]

describe('Chinese regional news in GBK, GB18030, Big5 and Big5-HKSCS', () => {
  it.each(CASES)('$name', (c) => {
    const decoded = decode(c.bytes, { ...c.opts, sourceId: 'snxw' })
    expect(decoded.text).toBe(c.text)
    expect(decoded).toMatchObject({ encoding: c.encoding, encodingSource: c.encodingSource })
    expect(decoded.text).not.toMatch(MOJIBAKE)
    if (c.warning) expect(decoded.warnings).toEqual([expect.stringMatching(c.warning)])
    else expect(decoded.warnings).toEqual([])
  })

  it('hands parse a title with every character intact', async () => {
    const feed = await parseFeed(decode(gb18030.bytes, {}).text, { url: 'http://www.snxw.example.cn/rss.xml' })
    expect(feed.entries[0].title).toBe(GB18030_TITLE)
  })

  it('uses chardet\'s guess when declared UTF-8 leaves bytes undecodable, and says so', () => {
    const bytes = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="utf-8"?><rss><channel><title>'), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('</title></channel></rss>')])
    expect(decode(bytes, {})).toMatchObject({
      text: '<?xml version="1.0" encoding="utf-8"?><rss><channel><title>ÿþý</title></channel></rss>',
      encoding: 'windows-1252',
      encodingSource: 'detected',
      warnings: ['declared utf-8 (xml) but bytes are not; used windows-1252'],
    })
  })
})

describe('byte order marks and the XML byte patterns (XML 1.0 Appendix F)', () => {
  const text = '<?xml version="1.0"?><rss version="2.0"><channel><title>汉江 㗎 𠀾</title></channel></rss>'
  it.each([
    ['utf-8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'bom'],
    ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]), 'bom'],
    ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, 'utf-16be')]), 'bom'],
    ['utf-32le', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), iconv.encode(text, 'utf-32le')]), 'bom'],
    ['utf-32be', Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), iconv.encode(text, 'utf-32be')]), 'bom'],
    ['utf-16le', iconv.encode(text, 'utf-16le'), 'xml'],
    ['utf-16be', iconv.encode(text, 'utf-16be'), 'xml'],
    ['utf-32le', iconv.encode(text, 'utf-32le'), 'xml'],
    ['utf-32be', iconv.encode(text, 'utf-32be'), 'xml'],
  ])('%s by %s', (encoding, bytes, encodingSource) => {
    expect(decode(bytes, { contentType: 'text/xml; charset=iso-8859-1' })).toEqual({ text, encoding, encodingSource, warnings: [] })
  })

  it('ignores a stale utf-16 declaration on ASCII-compatible bytes', () => {
    const stale = text.replace('version="1.0"', 'version="1.0" encoding="utf-16"')
    const decoded = decode(Buffer.from(stale), {})
    expect(decoded).toMatchObject({ text: stale, encoding: 'utf-8', encodingSource: 'utf8' })
    expect(decoded.warnings).toEqual(['declared utf-16 (xml) but bytes are ASCII-compatible; ignored'])
  })

  it('falls back to windows-1252 when nothing else speaks', () => {
    expect(decode(Buffer.from([0x3c, 0x61, 0x3e, 0x93, 0x94, 0x3c, 0x2f, 0x61, 0x3e]), {})).toMatchObject({ text: '<a>“”</a>', encoding: 'windows-1252' })
  })
})
