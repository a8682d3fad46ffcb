/*
 * feedloom pages: copy buttons, the embed-code generator and the sortable status table.
 * Served from /assets/pages.js so the pages' CSP needs no inline script.
 */
;(function () {
  'use strict'

  /** How long "copied" stays visible (ms). */
  var COPIED_NOTICE_MS = 2500
  var zh = /^zh/i.test(document.documentElement.lang)

  function notice(button, text) {
    var scope = button.closest('details, .bar') || button.parentNode
    var out = scope.querySelector('.copied')
    if (!out) return
    out.textContent = text
    setTimeout(function () { if (out.textContent === text) out.textContent = '' }, COPIED_NOTICE_MS)
  }

  /** Clipboard API where allowed; otherwise a selected field the reader copies with Ctrl+C. */
  function copy(button, text, field) {
    var done = function () { notice(button, zh ? '已复制' : 'Copied') }
    var manual = function () {
      if (field) field.select()
      notice(button, zh ? '请按 Ctrl+C 复制' : 'Press Ctrl+C to copy')
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, manual)
    else manual()
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-copy], button[data-copy-from]')
    if (!button) return
    var field = button.dataset.copyFrom ? document.getElementById(button.dataset.copyFrom) : button.parentNode.querySelector('input')
    copy(button, button.dataset.copy || (field && field.value) || '', field)
  })

  // --- embed-code generator (index page) ---
  var form = document.getElementById('embed-form')
  if (form) {
    var snippet = document.getElementById('embed-snippet')
    var preview = document.getElementById('embed-preview')
    var base = form.dataset.base
    var previews = 0

    var attr = function (value) {
      return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
    }

    var options = function () {
      var limit = Math.min(50, Math.max(1, Math.round(Number(form.elements.limit.value)) || 8))
      var show = Array.prototype.filter.call(form.querySelectorAll('input[name=show]'), function (box) { return box.checked }).map(function (box) { return box.value })
      var category = form.elements.category
      return {
        category: category.value,
        name: category.options[category.selectedIndex].text,
        limit: limit,
        theme: form.elements.theme.value,
        lang: form.elements.lang.value,
        show: show.join(','),
        kind: form.querySelector('input[name=kind]:checked').value,
      }
    }

    var render = function () {
      var o = options()
      var id = 'feedloom-' + o.category
      var page = base + '/c/' + o.category
      var text
      if (o.kind === 'iframe') {
        var query = new URLSearchParams({ limit: o.limit, theme: o.theme, lang: o.lang, show: o.show }).toString()
        text = '<iframe src="' + attr(base + '/widget/' + o.category + '.html?' + query) + '" title="' + attr(o.name) + '" width="100%" height="' + (110 + o.limit * 52) + '" style="border:0" loading="lazy"></iframe>'
      } else {
        text =
          '<div id="' + id + '"></div>\n' +
          '<script src="' + attr(base + '/widget/' + o.category + '.js') + '" data-target="' + id + '" data-limit="' + o.limit + '" data-theme="' + o.theme +
          '" data-lang="' + o.lang + '" data-show="' + attr(o.show) + '" async></' + 'script>\n' +
          '<noscript><a href="' + attr(page) + '">' + attr(o.name) + '</a></noscript>'
      }
      snippet.value = text

      // A fresh target each time: a Shadow DOM cannot be attached twice to one element.
      preview.textContent = ''
      if (o.kind === 'iframe') {
        var frame = document.createElement('iframe')
        frame.src = base + '/widget/' + o.category + '.html?' + new URLSearchParams({ limit: o.limit, theme: o.theme, lang: o.lang, show: o.show })
        frame.title = o.name
        preview.appendChild(frame)
        return
      }
      var target = document.createElement('div')
      target.id = 'feedloom-preview-' + ++previews
      var script = document.createElement('script')
      script.src = base + '/widget/' + o.category + '.js'
      script.async = true
      script.dataset.target = target.id
      script.dataset.limit = o.limit
      script.dataset.theme = o.theme
      script.dataset.lang = o.lang
      script.dataset.show = o.show
      preview.appendChild(target)
      preview.appendChild(script)
    }

    form.addEventListener('input', render)
    form.addEventListener('change', render)
    form.addEventListener('submit', function (event) { event.preventDefault() })
    render()
  }

  // --- sortable tables (status page) ---
  Array.prototype.forEach.call(document.querySelectorAll('table[data-sortable]'), function (table) {
    var heads = table.tHead.rows[0].cells
    Array.prototype.forEach.call(heads, function (th, col) {
      th.querySelector('button').addEventListener('click', function () {
        var descending = th.getAttribute('aria-sort') === 'ascending'
        var numeric = th.dataset.type === 'number'
        var body = table.tBodies[0]
        var rows = Array.prototype.slice.call(body.rows)
        var key = function (row) { return row.cells[col].dataset.sort || '' }
        rows.sort(function (a, b) {
          var x = key(a)
          var y = key(b)
          // Empty cells (never polled, no error) go last in either direction.
          if (!x || !y) return x ? -1 : y ? 1 : 0
          var order = numeric ? Number(x) - Number(y) : x.localeCompare(y, document.documentElement.lang)
          return descending ? -order : order
        })
        rows.forEach(function (row) { body.appendChild(row) })
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute('aria-sort') })
        th.setAttribute('aria-sort', descending ? 'descending' : 'ascending')
      })
    })
  })
})()
