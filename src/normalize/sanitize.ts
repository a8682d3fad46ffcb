/**
 * Feed HTML made safe to republish: an explicit allow-list (SPEC §4), absolute URLs, no
 * characters XML forbids. What is not listed here does not survive.
 */
import sanitize from 'sanitize-html'
import { stripFlattenedRuby, stripXmlIllegal, TextCollector } from './text.js'

/** Elements a news item needs: text formatting, structure, lists, tables, figures, media, ruby. */
const ALLOWED_TAGS = [
  'a', 'abbr', 'b', 'bdi', 'bdo', 'blockquote', 'br', 'caption', 'cite', 'code', 'col', 'colgroup',
  'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5',
  'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 'rp', 'rt', 'ruby', 's',
  'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'time', 'tr', 'u', 'ul', 'var', 'audio', 'video', 'source', 'picture',
]

/** No `style`, no `class`, no `on…` handler: only what describes content. */
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title', 'rel'],
  img: ['src', 'srcset', 'alt', 'title', 'width', 'height'],
  audio: ['src', 'controls'],
  video: ['src', 'controls', 'poster', 'width', 'height'],
  source: ['src', 'srcset', 'type'],
  abbr: ['title'],
  blockquote: ['cite'],
  q: ['cite'],
  del: ['cite', 'datetime'],
  ins: ['cite', 'datetime'],
  time: ['datetime'],
  ol: ['start', 'reversed', 'type'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan', 'scope'],
  col: ['span'],
  colgroup: ['span'],
}

/** Only links a reader can follow safely; `data:` is refused everywhere, images included. */
const ALLOWED_SCHEMES = ['http', 'https', 'mailto']
const MEDIA_SCHEMES = ['http', 'https']

/** Attributes holding one URL, resolved against the base and checked for their scheme. */
const URL_ATTRIBUTES = ['href', 'src', 'cite', 'poster']

/**
 * Elements whose content is dropped with them: code, styling, or text a browser never shows
 * (an `<iframe>`'s content is raw text in HTML5). The fallback content of `<object>` and
 * `<applet>` is kept: it is what a reader without the plugin is meant to see.
 */
const NON_TEXT_TAGS = ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'template', 'title', 'head', 'svg', 'math', 'select', 'xmp', 'noembed', 'noframes']

/** Void elements among the allowed: written `<br />`, never with a closing tag. */
const SELF_CLOSING = ['br', 'hr', 'img', 'source', 'col', 'wbr']

/** Links leave our page: the target must not reach back into it (`window.opener`) nor learn it. */
const LINK_REL = 'noopener noreferrer'

function resolve(value: string, base: string | undefined): string | undefined {
  try {
    // The URL parser also drops the tabs and newlines of `java&#9;script:` obfuscation, so the
    // scheme check that follows sees the real scheme.
    return base ? new URL(value.trim(), base).href : value.trim()
  } catch {
    return undefined
  }
}

/** `srcset` candidates are `URL [descriptor]` separated by commas (HTML §4.8.4.3.2). */
function resolveSrcset(value: string, base: string | undefined): string {
  return value
    .split(/,(?=\s)|,$/)
    .map((candidate) => candidate.trim())
    .filter((candidate) => candidate !== '')
    .map((candidate) => {
      const [url, ...descriptor] = candidate.split(/\s+/)
      const resolved = resolve(url, base)
      return resolved === undefined ? '' : [resolved, ...descriptor].join(' ')
    })
    .filter((candidate) => candidate !== '')
    .join(', ')
}

/**
 * The base URL of the fragment being sanitized: `sanitize` runs synchronously, so one options
 * object serves every call (sanitize-html rebuilds its lookup tables from the options it is
 * given, but building a new options object and closures per item costs as much again).
 */
let currentBase: string | undefined
/** The text of the fragment being sanitized, when the caller asked for it (sanitizeWithText). */
let currentText: TextCollector | undefined

const ALLOWED = new Set(ALLOWED_TAGS)

/** sanitize-html's escapes of text, undone: the text collected is the text a reader sees. */
const unescape = (s: string) => (s.includes('&') ? s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&') : s)

const OPTIONS: sanitize.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: ALLOWED_ATTRIBUTES,
  allowedSchemes: ALLOWED_SCHEMES,
  allowedSchemesByTag: { img: MEDIA_SCHEMES, audio: MEDIA_SCHEMES, video: MEDIA_SCHEMES, source: MEDIA_SCHEMES },
  allowedSchemesAppliedToAttributes: URL_ATTRIBUTES,
  allowProtocolRelative: true,
  disallowedTagsMode: 'discard',
  nonTextTags: NON_TEXT_TAGS,
  selfClosing: SELF_CLOSING,
  parseStyleAttributes: false,
  textFilter: (text) => {
    const kept = stripFlattenedRuby(text)
    currentText?.text(unescape(kept))
    return kept
  },
  // Only elements that stay are lines and cells of the text, as in the sanitized HTML read again.
  onOpenTag: (name) => void (ALLOWED.has(name) && currentText?.open(name)),
  onCloseTag: (name) => void (ALLOWED.has(name) && currentText?.close(name)),
  transformTags: {
    '*': (tagName, attribs) => {
      const out: sanitize.Attributes = {}
      for (const name in attribs) {
        const value = attribs[name]
        if (URL_ATTRIBUTES.includes(name)) {
          const resolved = resolve(value, currentBase)
          if (resolved !== undefined) out[name] = resolved
        } else if (name === 'srcset') {
          out[name] = resolveSrcset(value, currentBase)
        } else {
          out[name] = value
        }
      }
      if (tagName === 'a') out.rel = LINK_REL
      return { tagName, attribs: out }
    },
  },
}

/**
 * Sanitized HTML: allow-listed elements and attributes only, relative `href`/`src`/`srcset`
 * resolved against `baseUrl`, `rel="noopener noreferrer"` on links, XML-illegal characters gone.
 */
export function sanitizeHtml(html: string, baseUrl?: string): string {
  return sanitizeWith(html, baseUrl, true)
}

/** `fast`: try the fast path first (false only for the reference the tests hold it to). */
function sanitizeWith(html: string, baseUrl: string | undefined, fast: boolean): string {
  currentBase = baseUrl !== undefined && URL.canParse(baseUrl) ? baseUrl : undefined
  try {
    const clean = stripXmlIllegal(html)
    const mark = currentText?.mark()
    const plain = fast ? plainMarkup(clean, currentBase, currentText) : undefined
    // What the fast path told the text before it gave up is taken back: sanitize-html tells it all again.
    if (plain === undefined && mark !== undefined) currentText!.rewind(mark)
    return stripXmlIllegal(plain ?? sanitize(clean, OPTIONS)).trim()
  } finally {
    currentBase = undefined
  }
}

/**
 * The fast path (issue 9 §3): most items are a few paragraphs of text with the odd image, markup
 * that needs no repair. For such markup — elements of a short list, attributes only on images,
 * proper nesting, no closing implied, the commonest entities — this single pass gives exactly what
 * sanitize-html gives (the same text chunks through the same filter, the same attributes, `<br />`),
 * at a fraction of the cost. Anything else answers undefined and goes through sanitize-html;
 * test/normalize/sanitize-fast.test.ts checks the two agree on generated and real markup.
 */
const PLAIN_ELEMENTS = new Set(['p', 'div', 'span', 'b', 'strong', 'em', 'i', 'u', 's', 'sub', 'sup', 'small', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li'])
/** Void elements of the fast path: htmlparser2 reports each as opened and at once closed. */
const PLAIN_VOID = new Set(['br', 'img', 'hr'])
/** Elements whose opening closes an open `<p>` in htmlparser2 (its openImpliesClose): not done here. */
const CLOSES_P = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'hr'])
const IMG_ATTRIBUTES = new Set(['src', 'alt', 'title', 'width', 'height'])
const NAMED_ENTITIES = new Map([['nbsp', '\u00a0'], ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"']])
/** A tag, an entity or a run of text, from where the last one ended. */
const PLAIN_TOKEN = /<([a-z][a-z0-9]*)((?:[ \t\n\f\r]+[a-z]+="[^"<>&]*")*)[ \t\n\f\r]*>|<\/([a-z][a-z0-9]*)>|&(?:([a-z]+)|#([0-9]{1,7})|#x([0-9a-f]{1,6}));|([^<&]+)/y
const PLAIN_ATTRIBUTE = /[ \t\n\f\r]+([a-z]+)="([^"]*)"/g
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A character a numeric reference stands for when htmlparser2 would decode it as itself (no C0/C1 remapping, no surrogates). */
function plainCodePoint(n: number): string | undefined {
  return (n >= 0x20 && n < 0x7f) || (n >= 0xa0 && n < 0xd800) || (n >= 0xe000 && n < 0xfffe) || (n >= 0x10000 && n <= 0x10ffff) ? String.fromCodePoint(n) : undefined
}

function plainMarkup(html: string, base: string | undefined, text: TextCollector | undefined): string | undefined {
  const stack: string[] = []
  let out = ''
  let at = 0
  const chunk = (decoded: string) => {
    const kept = stripFlattenedRuby(escapeText(decoded))
    text?.text(unescape(kept))
    out += kept
  }
  while (at < html.length) {
    PLAIN_TOKEN.lastIndex = at
    const m = PLAIN_TOKEN.exec(html)
    if (!m) return undefined
    at = PLAIN_TOKEN.lastIndex
    const [, open, attributes, close, named, decimal, hex, run] = m
    if (run !== undefined) chunk(run)
    else if (named !== undefined) {
      const character = NAMED_ENTITIES.get(named)
      if (character === undefined) return undefined
      chunk(character)
    } else if (decimal !== undefined || hex !== undefined) {
      const character = plainCodePoint(decimal !== undefined ? Number(decimal) : parseInt(hex!, 16))
      if (character === undefined) return undefined
      chunk(character)
    } else if (close !== undefined) {
      if (stack.pop() !== close) return undefined
      text?.close(close)
      out += `</${close}>`
    } else {
      const top = stack[stack.length - 1]
      if ((top === 'p' && CLOSES_P.has(open)) || (top === 'li' && open === 'li')) return undefined
      const isVoid = PLAIN_VOID.has(open)
      if (!isVoid && !PLAIN_ELEMENTS.has(open)) return undefined
      let written = ''
      if (attributes) {
        if (open !== 'img') return undefined
        const seen = new Set<string>()
        for (const [, name, value] of attributes.matchAll(PLAIN_ATTRIBUTE)) {
          if (!IMG_ATTRIBUTES.has(name) || seen.has(name) || (value === '' && name !== 'alt')) return undefined
          seen.add(name)
          let kept = value
          if (name === 'src') {
            const resolved = base === undefined ? undefined : resolve(value, base)
            if (resolved === undefined || !/^https?:/.test(resolved)) return undefined
            kept = resolved
          }
          written += kept === '' ? ` ${name}=""` : ` ${name}="${escapeText(kept).replace(/"/g, '&quot;')}"`
        }
      }
      text?.open(open)
      if (isVoid) {
        text?.close(open)
        out += `<${open}${written} />`
      } else {
        stack.push(open)
        out += `<${open}>`
      }
    }
  }
  return stack.length === 0 ? out : undefined
}

/** The sanitized HTML and its plain text (htmlToText of it) in one parse: every item needs both. */
export function sanitizeWithText(html: string, baseUrl?: string): { html: string; text: string } {
  return withText(html, baseUrl, true)
}

/** sanitize-html alone, without the fast path: the reference test/normalize/sanitize-fast.test.ts holds the fast path to. */
export function sanitizeWithTextReference(html: string, baseUrl?: string): { html: string; text: string } {
  return withText(html, baseUrl, false)
}

function withText(html: string, baseUrl: string | undefined, fast: boolean): { html: string; text: string } {
  currentText = new TextCollector()
  try {
    const out = sanitizeWith(html, baseUrl, fast)
    return { html: out, text: currentText.result() }
  } finally {
    currentText = undefined
  }
}
