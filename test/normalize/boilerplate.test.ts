import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { extractOriginalTitle, isBoilerplateLine, keptAtLeast, stripBoilerplate, withoutFieldsAndDates } from '../../src/normalize/boilerplate.js'

/** The regional sample article as scraped (see fixtures/normalize/regional/README.md). */
const sample = readFileSync(new URL('../fixtures/normalize/regional/sample-article.txt', import.meta.url), 'utf8')

describe('isBoilerplateLine', () => {
  it.each([
    ['dateline with 来源, as in the sample article', '2024-09-19 17:11:51 來源:各界新聞網'],
    ['dateline, full-width digits', '２０２４－０９－１９　１７：１１　来源：安康日报'],
    ['publish time, source, author, hit counter', '发布时间：2024年09月19日 10:02　来源：安康新闻网　作者：王帅　浏览次数：523'],
    ['来源 after the date, with a bar', '来源：华商网 | 2024-09-19 08:30'],
    ['稿源 and 编辑', '稿源：陕西日报　编辑：李娜'],
    ['来源 glued to 编辑', '来源：陕西传媒网编辑：王五'],
    ['编辑 alone, half-width colon, traditional', '編輯: 孫璐瑩'],
    ['责任编辑', '责任编辑：陈晨'],
    ['責任編輯 with 审核', '責任編輯：周敏　審核：趙磊'],
    ['bracketed byline alone', '（实习记者 庞浩楠 通讯员 李东 记者 唐冰）'],
    ['the sample article disclaimer', '以上文章僅代表作者個人觀點,本網只是轉載,如涉及作品內容、版權、稿酬問題,請及時聯繫我們。電話:029-63903870'],
    ['a short disclaimer', '声明：本文系转载，不代表本网观点，如有侵权请联系删除。'],
    ['reprint terms', '转载请注明来源。未经本网书面授权，不得转载、摘编或以其他方式使用。'],
    ['share prompt', '分享到：微信 微博 QQ空间'],
    ['follow prompt', '扫码关注“安康发布”微信公众号'],
    ['traditional follow prompt', '掃一掃，關注我們'],
    ['print and close', '【打印本页】【关闭窗口】'],
    ['font size switch', '字号：大 中 小'],
    ['copyright and ICP', '版权所有：安康新闻网 陕ICP备05001234号'],
    ['Latin copyright', 'Copyright © 2024 akxw.cn All Rights Reserved'],
    ['original headline', '原标题：《安康：秋粮丰收》'],
    ['original headline, traditional, in brackets', '【原標題：漢江安康段迎來今年最大洪峰】'],
    ['blank', '　 '],
  ])('drops %s', (_name, line) => {
    expect(isBoilerplateLine(line)).toBe(true)
  })

  it.each([
    ['a paragraph that mentions a reporter', '记者从市政府获悉，今年全市粮食总产量达到50万吨，同比增长3.2%。'],
    ['prose with 来源于', '这些资金来源于中央财政补助，主要用于农村道路建设。'],
    ['a meeting notice line with time and place', '时间：9月20日上午9时，地点：市政府三楼会议室。'],
    ['a dated lead sentence', '9月19日，安康市召开秋季森林防火工作会议，安排部署全市秋冬季森林防火工作。'],
    ['a quote about sharing', '他说：“我们要把好经验分享给更多的村。”'],
    ['a short headline-like line', '汉江安康段迎来今年最大洪峰'],
    ['a long paragraph that ends with a disclaimer-like phrase', `${'安康市持续推进富硒产业发展，'.repeat(12)}如有侵权问题，相关部门将依法处理。`],
  ])('keeps %s', (_name, line) => {
    expect(isBoilerplateLine(line)).toBe(false)
  })
})

describe('stripBoilerplate', () => {
  it('keeps the sample article and nothing of the portal: dateline, byline, editor, disclaimer', () => {
    const text = stripBoilerplate(sample)
    const lines = text.split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[0].startsWith('漢濱區政協十六屆以來')).toBe(true)
    expect(lines[4].endsWith('“最后一公里”。')).toBe(true)
    for (const gone of ['來源', '編輯', '記者', '僅代表作者', '029-63903870', '(wǎng)']) expect(text).not.toContain(gone)
  })

  it('cuts bylines out of the paragraphs they open or close, and keeps the rest', () => {
    expect(stripBoilerplate('本报讯（记者 王帅 通讯员 刘洋）9月19日，安康市召开会议。\n会议要求抓好落实。（记者 李娜）')).toBe('本报讯9月19日，安康市召开会议。\n会议要求抓好落实。')
  })

  it('keeps brackets that are not bylines', () => {
    expect(stripBoilerplate('在各部门、镇（街道）设立政协联络组。')).toBe('在各部门、镇（街道）设立政协联络组。')
  })
})

describe('extractOriginalTitle', () => {
  it.each([
    ['full-width colon, book-title marks', '原标题：《安康：秋粮丰收》\n正文', '安康：秋粮丰收'],
    ['traditional, half-width colon', '正文\n原標題:漢江安康段迎來今年最大洪峰', '漢江安康段迎來今年最大洪峰'],
    ['in square brackets', '【原标题：西十高铁秦岭隧道掘进过半】', '西十高铁秦岭隧道掘进过半'],
    ['none', '标题：安康新闻', undefined],
    ['label without a title', '原标题：', undefined],
  ])('%s', (_name, text, expected) => {
    expect(extractOriginalTitle(text)).toBe(expected)
  })
})

describe('keptAtLeast', () => {
  // isMetadataLine skips its replacements when this bound already exceeds what a metadata line may
  // keep: it must never count more than the replacements leave, or a metadata line would be kept.
  const kept = (line: string) => withoutFieldsAndDates(line).replace(/[\p{P}\p{S}\p{Z}\s]+/gu, '').length
  const piece = fc.constantFrom(
    '来源', '來源', '责任编辑', '编辑', '记者', '发布时间', '浏览次数', '时间', '日期', '作者', '字号', '：', ':', ' ', '\u3000', '，', '。', '！', ';',
    '2024', '-', '09', '19', '年', '月', '日', '17:11:51', '8月3日', '陕西传媒网', '王五', '大', '中', '小', '【打印】', '聚合协好委政协', '编', '来', '1',
  )

  it('never counts more than removing fields, dates and punctuation leaves', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), (pieces) => {
        const line = pieces.join('')
        expect(keptAtLeast(line)).toBeLessThanOrEqual(kept(line))
      }),
      { numRuns: 5000 },
    )
  })

  it('counts the prose before any label: a paragraph of prose is told at once', () => {
    expect(keptAtLeast('用第区委成区主监了新委会运用，点本设将合干更多过有平总为党')).toBeGreaterThan(4)
    expect(keptAtLeast('来源：陕西传媒网 编辑：王五')).toBe(0)
  })
})
