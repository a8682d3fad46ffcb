/**
 * Credentials in a URL, hidden wherever the URL is shown (issue 12 §7): a source may be
 * `http://user:secret@host/feed.xml` or carry an API key in its query, and neither belongs on
 * `/status`, in a log line, an error, a published `<source url>` or an OPML export.
 */

/** Query parameters that carry secrets in feed URLs (API keys of feed services, signed links, sessions). */
const SECRET_PARAMS = /^(access_?token|token|auth|auth_?token|api[-_]?key|key|secret|client_secret|password|passwd|pwd|sig|signature|session|sid)$/i

const HIDDEN = '***'

/** The URL with its userinfo and secret-looking query values replaced by `***`; text that is no URL comes back as it was. */
export function redactUrl(url: string): string {
  if (!url.includes('@') && !url.includes('?')) return url
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url.replace(/\/\/[^@/?#\s]*@/, `//${HIDDEN}@`)
  }
  let changed = false
  if (parsed.username || parsed.password) {
    parsed.username = HIDDEN
    parsed.password = ''
    changed = true
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.test(name) && parsed.searchParams.get(name) !== HIDDEN) {
      parsed.searchParams.set(name, HIDDEN)
      changed = true
    }
  }
  return changed ? parsed.href.replaceAll('%2A%2A%2A', HIDDEN) : url
}

/** Every URL inside a message (an error that quotes the URL it failed on) redacted. */
export function redactUrls(text: string): string {
  return text.replace(/\b(?:https?|file|redis|rediss|postgres(?:ql)?):\/\/[^\s"'<>()]+/gi, (url) => redactUrl(url))
}
