/*! feedloom headline widget — https://github.com/feedloom (SPEC §6). One IIFE per <script>: no globals. */
;(function () {
  'use strict'
  // Only set while this script runs for the first time: captured before anything awaits.
  var script = document.currentScript
  if (!script || !script.src) return

  /**
   * Filled in by the server (src/http/widget.ts) with what the iframe widget uses too: the
   * stylesheet (widget.css), the strings in each language and the relative-date units.
   */
  var SHARED = '__FEEDLOOM_WIDGET_SHARED__'
  /** Refreshing faster than the feeds' own max-age (60 s) would only fetch 304s. */
  var MIN_REFRESH_SECONDS = 30
  /** Relative dates ("3 分钟前") go stale; redraw them this often (ms) without fetching. */
  var RELATIVE_TICK_MS = 60000
  /** The feed query parameters a `data-*` attribute may set (SPEC §3). */
  var FEED_PARAMS = ['limit', 'source', 'q', 'exclude', 'variant']
  var SHOW_DEFAULT = 'date,source'
  var CSS = SHARED.css
  var STRINGS = SHARED.strings
  var UNITS = SHARED.units

  var data = script.dataset
  var scriptUrl = new URL(script.src, document.baseURI)
  var jsonUrl = new URL(scriptUrl.pathname.replace(/\.js$/, '.json') + scriptUrl.search, scriptUrl)
  FEED_PARAMS.forEach(function (name) {
    if (data[name]) jsonUrl.searchParams.set(name, data[name])
  })
  var theme = /^(light|dark|auto)$/.test(data.theme || '') ? data.theme : 'light'
  var show = (data.show === undefined ? SHOW_DEFAULT : data.show).split(',').map(function (s) { return s.trim() })
  var refreshSeconds = Number(data.refresh)

  function element(tag, className, text) {
    var node = document.createElement(tag)
    if (className) node.className = className
    if (text) node.textContent = text
    return node
  }

  /** Only http(s) links: a feed's `javascript:` or `data:` URL never becomes clickable. */
  function safeUrl(href) {
    try {
      var url = new URL(href)
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
    } catch (e) {
      return null
    }
  }

  function link(href, className, text) {
    var url = safeUrl(href)
    if (!url) return element('span', className, text)
    var a = element('a', className, text)
    a.href = url
    a.rel = 'noopener'
    return a
  }

  function relative(iso, now, locale) {
    // A date ahead of the reader's clock (skew, zones) reads as "now", never "in 7 minutes".
    var seconds = Math.min(0, Math.round((Date.parse(iso) - now) / 1000))
    var format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(seconds) >= UNITS[i][1]) return format.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0])
    }
    return format.format(0, 'second')
  }

  function whenReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn, { once: true })
    else fn()
  }

  /** The element the widget lives in: `data-target`'s, or a new one right after the script. */
  function host() {
    if (data.target) return document.getElementById(data.target)
    var div = document.createElement('div')
    script.parentNode.insertBefore(div, script.nextSibling)
    return div
  }

  function shadow(el) {
    var root = el.shadowRoot || el.attachShadow({ mode: 'open' })
    while (root.firstChild) root.removeChild(root.firstChild)
    // Constructed sheets are CSSOM, not inline style: a host page's strict CSP does not block them.
    if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet()
      sheet.replaceSync(CSS)
      root.adoptedStyleSheets = [sheet]
    } else {
      root.appendChild(element('style', '', CSS))
    }
    return root
  }

  whenReady(function () {
    var el = host()
    if (!el) {
      console.warn('feedloom widget: no element with id "' + data.target + '" (data-target)')
      return
    }
    var root = shadow(el)
    var box = element('section', 'fl')
    box.setAttribute('data-theme', theme)
    root.appendChild(box)
    var feed = null
    var times = []
    // A quiet line while the headlines load, rather than an empty box.
    box.setAttribute('aria-busy', 'true')
    box.appendChild(element('p', 'fl-loading', STRINGS[language().key].loading))

    function language() {
      var wanted = data.lang === 'zh' || data.lang === 'en' ? data.lang : null
      var site = (feed && feed.language) || document.documentElement.lang || 'zh-CN'
      var lang = wanted || (/^zh/i.test(site) ? 'zh' : 'en')
      return { key: lang, locale: lang === 'zh' ? (/^zh/i.test(site) ? site : 'zh-CN') : /^en/i.test(site) ? site : 'en' }
    }

    function tick() {
      var lang = language()
      times.forEach(function (t) {
        t.textContent = relative(t.dateTime, Date.now(), lang.locale)
      })
    }

    function render() {
      var lang = language()
      var text = STRINGS[lang.key]
      var absolute = new Intl.DateTimeFormat(lang.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: feed.timezone || undefined })
      box.textContent = ''
      box.removeAttribute('aria-busy')
      box.lang = lang.locale
      box.setAttribute('aria-label', feed.title)
      times = []

      var head = element('div', 'fl-head')
      var title = element('h2', 'fl-title')
      title.appendChild(link(feed.home_page_url, '', feed.title))
      head.appendChild(title)
      if (safeUrl(feed.home_page_url)) head.appendChild(link(feed.home_page_url, 'fl-more', text.more))
      box.appendChild(head)

      if (!feed.items.length) box.appendChild(element('p', 'fl-empty', text.empty))
      else {
        // role="list" keeps list semantics that `list-style: none` drops in Safari/VoiceOver.
        var list = element('ul', 'fl-list')
        list.setAttribute('role', 'list')
        list.setAttribute('aria-label', text.list)
        feed.items.forEach(function (item) {
          var li = element('li', 'fl-item')
          li.setAttribute('role', 'listitem')
          // Two lines at most on the page (widget.css); the whole title as the tooltip.
          var headline = link(item.url, 'fl-headline', item.title)
          headline.title = item.title
          li.appendChild(headline)
          var image = show.indexOf('image') >= 0 && item.image ? safeUrl(item.image) : null
          if (image) {
            li.className += ' fl-has-image'
            var thumb = element('span', 'fl-thumb')
            var img = document.createElement('img')
            img.alt = ''
            img.width = 88
            img.height = 59
            img.loading = 'lazy'
            img.decoding = 'async'
            img.referrerPolicy = 'no-referrer'
            img.src = image
            thumb.appendChild(img)
            li.appendChild(thumb)
          }
          var meta = element('p', 'fl-meta')
          if (show.indexOf('source') >= 0) meta.appendChild(element('span', 'fl-source', item.source.title))
          if (show.indexOf('date') >= 0 && item.date_published) {
            var time = element('time', 'fl-date', relative(item.date_published, Date.now(), lang.locale))
            time.dateTime = item.date_published
            time.title = absolute.format(new Date(item.date_published))
            times.push(time)
            meta.appendChild(time)
          }
          if (meta.firstChild) li.appendChild(meta)
          if (show.indexOf('excerpt') >= 0 && item.excerpt) li.appendChild(element('p', 'fl-excerpt', item.excerpt))
          list.appendChild(li)
        })
        box.appendChild(list)
      }
      var disclaimer = feed._feedloom && feed._feedloom.disclaimer
      if (disclaimer && disclaimer.text) box.appendChild(element('p', 'fl-foot', disclaimer.text + (disclaimer.contact ? ' ' + disclaimer.contact : '')))
    }

    function load(revalidate) {
      // `no-cache` on refreshes: the browser revalidates with If-None-Match and keeps its copy on 304.
      return fetch(jsonUrl.href, { mode: 'cors', credentials: 'omit', cache: revalidate ? 'no-cache' : 'default' })
        .then(function (res) {
          if (!res.ok) throw new Error('HTTP ' + res.status)
          return res.json()
        })
        .then(function (json) {
          feed = json
          render()
        })
        .catch(function (error) {
          // A failed refresh keeps the headlines already shown; a failed first load says so in words.
          if (feed) return
          box.removeAttribute('aria-busy')
          box.textContent = ''
          box.appendChild(element('p', 'fl-error', STRINGS[language().key].error))
          console.warn('feedloom widget: ' + jsonUrl.href + ': ' + error.message)
        })
    }

    load(false)
    setInterval(tick, RELATIVE_TICK_MS)
    if (refreshSeconds > 0) setInterval(function () { load(true) }, Math.max(refreshSeconds, MIN_REFRESH_SECONDS) * 1000)
  })
})()
