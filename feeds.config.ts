import { defineConfig } from './src/config/index.js'

/**
 * The default configuration: real public Chinese-language and international news feeds
 * (see ../shared/corpora/regional/sources.md for where each comes from). Sources that cannot be
 * reached are shown with the reason on /status; the server starts and serves valid feeds anyway.
 */
export default defineConfig({
  site: {
    title: '新闻聚合 · feedloom',
    url: 'http://localhost:3000',
    language: 'zh-CN',
    description: '国内、国际与英文新闻聚合，转载内容均注明来源。',
  },
  disclaimer: {
    text: '以上文章仅代表作者个人观点，本网只是转载，如涉及作品内容、版权、稿酬问题，请及时联系我们。',
    contact: '电话：029-00000000',
  },
  defaults: { schedule: '*/15 * * * *', timezone: 'Asia/Shanghai', content: 'full', maxItemsPerSource: 200, retentionDays: 30 },
  categories: {
    national: { title: '国内', description: '中国新闻网、中国政府网、人民网' },
    international: { title: '国际', description: '中国新闻网国际、联合国新闻、联合早报、人民网国际' },
    english: { title: 'English', description: 'UN News and China Daily' },
  },
  sources: [
    { id: 'chinanews-scroll', title: '中国新闻网 · 即时新闻', url: 'https://www.chinanews.com.cn/rss/scroll-news.xml', categories: ['national'], homepage: 'https://www.chinanews.com.cn/', content: 'summary' },
    { id: 'chinanews-china', title: '中国新闻网 · 国内', url: 'https://www.chinanews.com.cn/rss/china.xml', categories: ['national'], homepage: 'https://www.chinanews.com.cn/', content: 'summary' },
    { id: 'chinanews-society', title: '中国新闻网 · 社会', url: 'https://www.chinanews.com.cn/rss/society.xml', categories: ['national'], homepage: 'https://www.chinanews.com.cn/', content: 'summary' },
    { id: 'govcn', title: '中国政府网 · 国务院信息', url: 'http://www.gov.cn/pushinfo/v150203/rss.xml', categories: ['national'], homepage: 'https://www.gov.cn/' },
    { id: 'people-politics', title: '人民网 · 时政', url: 'http://www.people.com.cn/rss/politics.xml', categories: ['national'], homepage: 'http://politics.people.com.cn/', content: 'summary' },
    { id: 'chinanews-world', title: '中国新闻网 · 国际', url: 'https://www.chinanews.com.cn/rss/world.xml', categories: ['international'], homepage: 'https://www.chinanews.com.cn/', content: 'summary' },
    { id: 'un-news-zh', title: '联合国新闻 · 中文', url: 'https://news.un.org/feed/subscribe/zh/news/all/rss.xml', categories: ['international'], homepage: 'https://news.un.org/zh/' },
    { id: 'zaobao-china', title: '联合早报 · 中国', url: 'https://www.zaobao.com.sg/rss/realtime/china', categories: ['international'], homepage: 'https://www.zaobao.com.sg/', content: 'summary' },
    { id: 'zaobao-world', title: '联合早报 · 国际', url: 'https://www.zaobao.com.sg/rss/realtime/world', categories: ['international'], homepage: 'https://www.zaobao.com.sg/', content: 'summary' },
    { id: 'people-world', title: '人民网 · 国际', url: 'http://www.people.com.cn/rss/world.xml', categories: ['international'], homepage: 'http://world.people.com.cn/', content: 'summary' },
    { id: 'un-news-en', title: 'UN News', url: 'https://news.un.org/feed/subscribe/en/news/all/rss.xml', categories: ['english'], homepage: 'https://news.un.org/en/', timezone: 'UTC' },
    { id: 'chinadaily-world', title: 'China Daily · World', url: 'http://www.chinadaily.com.cn/rss/world_rss.xml', categories: ['english'], homepage: 'https://www.chinadaily.com.cn/', content: 'summary' },
  ],
})
