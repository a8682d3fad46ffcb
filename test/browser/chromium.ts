import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

/** Debian's Chromium, driven by playwright-core; the browser tests skip, saying why, without it. */
export const CHROMIUM = '/usr/bin/chromium'
export const HAVE_CHROMIUM = existsSync(CHROMIUM)
if (!HAVE_CHROMIUM) console.warn(`test/browser: ${CHROMIUM} is absent, so the browser tests are skipped (install it with: apt-get install -y chromium)`)
/** Flags for a quiet, offline, throwaway browser (issue 5); playwright adds a fresh --user-data-dir itself. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** Longest wait for anything to appear: everything is local, so this only bounds a failure. */
export const UI_TIMEOUT_MS = 5_000

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

export interface Opened {
  page: Page
  context: BrowserContext
  /** Console errors (a CSP violation is one), page errors and dialogs: a clean page has none. */
  problems: string[]
}

/** `url` in a fresh context that records what went wrong; `clock` installs a fake clock first. */
export async function openPage(browser: Browser, url: string, options: { clock?: Date; permissions?: string[]; viewport?: { width: number; height: number } } = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1100, height: 900 }, permissions: options.permissions })
  const page = await context.newPage()
  page.setDefaultTimeout(UI_TIMEOUT_MS)
  const problems: string[] = []
  page.on('console', (m) => {
    // The fixture feeds are copies of real ones: their images live on portals this sandbox cannot
    // reach, so the image proxy answers 502 for them. That is the proxy working, not a page fault.
    if (m.type() === 'error' && !(m.text().includes('status of 502') && new URL(m.location().url, url).pathname.startsWith('/img/'))) problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`)
    void d.dismiss()
  })
  if (options.clock) await page.clock.install({ time: options.clock })
  await page.goto(url)
  return { page, context, problems }
}
