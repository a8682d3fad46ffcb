/**
 * The field selectors of a page source (SPEC §2): a CSS selector, optionally followed by `@attr`
 * to read an attribute instead of the text. `a@href` is the `href` of the first `a` inside the
 * item; `@href` or `:scope@href` is the item's own attribute; `:scope` is the item's own text.
 */
import type { Cheerio, CheerioAPI } from 'cheerio'
import type { AnyNode } from 'domhandler'

export interface FieldSelector {
  /** CSS selector inside the scope; `undefined` means the scope element itself. */
  css?: string
  attr?: string
}

/** The attribute name after the last `@`; an `@` inside brackets (`a[href*="@"]`) is CSS. */
const ATTR_SUFFIX = /@([A-Za-z_:][\w:.-]*)$/

export function parseField(spec: string): FieldSelector {
  const trimmed = spec.trim()
  const m = ATTR_SUFFIX.exec(trimmed)
  const css = (m ? trimmed.slice(0, m.index) : trimmed).trim()
  return {
    ...(css !== '' && css !== ':scope' && { css }),
    ...(m && { attr: m[1] }),
  }
}

/** Whitespace (full-width spaces and `&nbsp;` included) folded to single spaces. */
export function collapse(s: string): string {
  return s.replace(/[\s\u00a0\u3000]+/g, ' ').trim()
}

/** The element a field reads from: the first match inside `scope`, or `scope` itself. */
export function fieldElement(scope: Cheerio<AnyNode>, field: FieldSelector): Cheerio<AnyNode> {
  return field.css === undefined ? scope.first() : scope.find(field.css).first()
}

/** The field's value, whitespace collapsed; `undefined` when the selector matches nothing or the value is empty. */
export function readField($: CheerioAPI, scope: Cheerio<AnyNode>, field: FieldSelector): string | undefined {
  const element = fieldElement(scope, field)
  if (element.length === 0) return undefined
  const value = field.attr !== undefined ? element.attr(field.attr) : $(element).text()
  const clean = value === undefined ? '' : collapse(value)
  return clean === '' ? undefined : clean
}
