/**
 * Atom entry text written as inline XHTML (`type="xhtml"`, RFC 4287 §3.1.1.3; Atom 0.3's
 * `application/xhtml+xml`) handed to rss-parser as the equivalent escaped HTML (`type="html"`).
 * xml2js, under rss-parser, groups an element's children by name, so `<p>a</p><ul>…</ul><p>b</p>`
 * came back as `<p>a</p><p>b</p><ul>…</ul>` and `<mi>a</mi><mo>+</mo><mi>b</mi>` as `a b +`.
 * As one CDATA section the markup reaches the adapter exactly as written.
 */
import { splitName, tokens, type StartTag, type Token } from './tokens.js'

const XHTML = 'http://www.w3.org/1999/xhtml'
const XHTML_TYPE = /(\stype\s*=\s*)(["'])(?:xhtml|application\/xhtml\+xml)\2/i
/** Entry elements that hold text constructs or content (Atom 1.0 and 0.3). */
const HOLDERS = new Set(['title', 'summary', 'content'])
const ENTRY = 'entry'

/** `text` as one CDATA section, split where it holds `]]>` (which would end it). */
function cdata(text: string): string {
  return `<![CDATA[${text.replace(/\]\]>/g, ']]]]><![CDATA[>')}]]>`
}

/** An XHTML element's name in HTML: without the prefix some feeds bind XHTML to (`xhtml:p`). */
function htmlName(tag: StartTag): string {
  const [prefix, local] = splitName(tag.name)
  return prefix !== '' && tag.scope.get(prefix) === XHTML ? local : tag.name
}

/** One token of inline XHTML as HTML text: CDATA sections become escaped text, processing instructions go. */
function asHtml(token: Token): string {
  switch (token.kind) {
    case 'start':
      return `<${htmlName(token)}${token.attributes.replace(/\sxmlns(?::[^\s=/>]+)?\s*=\s*(?:"[^"]*"|'[^']*')/g, '')}${token.selfClosing ? ' /' : ''}>`
    case 'end':
      return token.open ? `</${htmlName(token.open)}>` : token.text
    case 'verbatim':
      if (token.text.startsWith('<![CDATA[')) return token.text.slice(9, token.text.endsWith(']]>') ? -3 : undefined).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      return token.text.startsWith('<!--') ? token.text : ''
    case 'text':
      return token.text
  }
}

export function xhtmlAsHtml(xml: string): string {
  if (!XHTML_TYPE.test(xml)) return xml
  let out = ''
  let entries = 0
  let holder: { open: StartTag; html: string; written: string } | undefined
  for (const token of tokens(xml)) {
    if (holder) {
      if (token.kind === 'end' && token.open === holder.open) {
        out += cdata(holder.html) + token.text
        holder = undefined
      } else {
        holder.html += asHtml(token)
        holder.written += token.text
      }
      continue
    }
    if (token.kind === 'start' && splitName(token.name)[1] === ENTRY && !token.selfClosing) entries += 1
    if (token.kind === 'end' && token.open && splitName(token.open.name)[1] === ENTRY) entries -= 1
    if (entries > 0 && token.kind === 'start' && !token.selfClosing && HOLDERS.has(token.name) && XHTML_TYPE.test(token.attributes)) {
      holder = { open: token, html: '', written: '' }
      out += token.text.replace(XHTML_TYPE, '$1$2html$2')
      continue
    }
    out += token.text
  }
  // An element never closed: left as written, for the XML parser to report.
  return holder ? out + holder.written : out
}
