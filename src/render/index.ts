/** The render/ stage: pure functions from a `FeedView` (or an outline list) to response bodies. */
export { renderAtom, renderAtomBytes } from './atom.js'
export { footerHtml, itemContentHtml } from './footer.js'
export { publishedId } from './ids.js'
export { JSON_FEED_VERSION, renderJsonFeed } from './jsonfeed.js'
export { renderOpml, type OpmlDocument, type OpmlOutline } from './opml.js'
export { renderRss, renderRssBytes } from './rss.js'
export { xmlSafe } from './xml.js'
