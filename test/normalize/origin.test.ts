import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { extractCredits, extractOrigin } from '../../src/normalize/origin.js'

/** The regional sample article as scraped (see fixtures/normalize/regional/README.md). */
const sample = readFileSync(new URL('../fixtures/normalize/regional/sample-article.txt', import.meta.url), 'utf8')

describe('extractOrigin', () => {
  it('reads the sample article: 來源:各界新聞網(wǎng)', () => {
    expect(extractOrigin(sample)).toBe('各界新聞網')
  })

  it.each([
    ['full-width colon', '2024-09-19 10:02 来源：中国新闻网 编辑：张三', '中国新闻网'],
    ['half-width colon with spaces', '来源 : 安康日报\n正文', '安康日报'],
    ['traditional script', '發佈時間：2024-09-19 來源:香港文匯網', '香港文匯網'],
    ['稿源', '稿源：陕西日报 作者：李四', '陕西日报'],
    ['转载自, no colon', '本文转载自人民网，如有侵权请联系删除。', '人民网'],
    ['轉載自 with colon', '轉載自：聯合早報', '聯合早報'],
    ['来源于', '本文来源于新华网。', '新华网'],
    ['cut at 编辑 glued to the name', '来源：陕西传媒网编辑：王五', '陕西传媒网'],
    ['cut at 作者', '来源：华商网作者：赵六', '华商网'],
    ['cut at 记者', '来源：西安日报记者 孙七', '西安日报'],
    ['book-title marks removed', '来源：《人民日报》（2024年09月19日 04 版）', '人民日报'],
    ['cut at end of line', '来源：汉滨区融媒体中心\n编辑：周八', '汉滨区融媒体中心'],
    ['cut at half-width punctuation', '来源:央视新闻客户端,编辑:吴九', '央视新闻客户端'],
    ['Latin name', '来源：Xinhua 编辑：郑十', 'Xinhua'],
    ['the site itself is no origin', '来源：本站 编辑：张三', undefined],
    ['"the internet" is no origin, a later credit is', '图片来源：网络\n来源：安康市人民政府网', '安康市人民政府网'],
    ['prose "comes from" is no credit', '这些资金来源于中央财政补助。', undefined],
    ['no label', '漢濱區政協十六屆以來，區政協黨組始終堅持以黨的政治建設為統領', undefined],
    ['label with nothing after it', '来源：', undefined],
  ])('%s', (_name, text, expected) => {
    expect(extractOrigin(text)).toBe(expected)
  })
})

describe('extractCredits', () => {
  it('reads the sample article', () => {
    expect(extractCredits(sample)).toEqual({ reporters: ['龐浩楠', '李東', '唐冰'], editors: ['孫璐瑩'] })
  })

  it.each([
    ['parenthesised byline, simplified', '（记者 王帅 通讯员 刘洋）\n编辑：张三', ['王帅', '刘洋'], ['张三']],
    ['glued to the label', '本报讯（记者王帅）近日，记者了解到，', ['王帅'], []],
    ['glued labels in a row', '记者王帅通讯员刘洋', ['王帅', '刘洋'], []],
    ['lists with 、 and spaces', '记者 王帅、李娜 张伟\n责任编辑：陈晨', ['王帅', '李娜', '张伟'], ['陈晨']],
    ['实习记者 and 记者', '（实习记者 庞浩楠 记者 唐冰）', ['庞浩楠', '唐冰'], []],
    ['half-width colon, traditional', '編輯:孫璐瑩 責任編輯: 陳明', [], ['孫璐瑩', '陳明']],
    ['full-width spaces', '记者　王帅　通讯员　刘洋', ['王帅', '刘洋'], []],
    ['"reports" is not part of the name', '本报讯 记者王帅报道', ['王帅'], []],
    ['transcribed name', '记者 阿依古丽·买买提', ['阿依古丽·买买提'], []],
    ['prose about a reporter is no credit', '记者从市政府获悉，记者看到，', [], []],
    ['names repeated once', '记者 王帅\n（记者 王帅）', ['王帅'], []],
  ])('%s', (_name, text, reporters, editors) => {
    expect(extractCredits(text)).toEqual({ reporters, editors })
  })
})
