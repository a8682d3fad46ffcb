import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import type { Config, PublishedItem } from '../model.js'
import type { StatusRow } from './status.js'

/** templates/ sits beside src/ and dist/, so the same path works from both. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url))

export interface IndexSection {
  key: string
  title: string
  description?: string
  items: PublishedItem[]
}

/** HTML pages from templates/, auto-escaping on: nothing from a feed is ever markup here. */
export class Pages {
  private readonly eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true })

  constructor(private readonly config: Config) {}

  index(sections: IndexSection[]): string {
    return this.eta.render('index', { config: this.config, sections, zh: this.zh, base: this.base, time: this.time })
  }

  status(rows: StatusRow[], now: Date): string {
    return this.eta.render('status', { config: this.config, rows, now, zh: this.zh, base: this.base, time: this.time })
  }

  private get zh(): boolean {
    return this.config.site.language.toLowerCase().startsWith('zh')
  }

  private get base(): string {
    return this.config.site.url.replace(/\/+$/, '')
  }

  /** Dates in the site's zone, the way its readers write them. */
  private time = (iso: string | undefined): string => {
    if (!iso) return '—'
    const date = new Date(iso)
    if (Number.isNaN(date.getTime())) return '—'
    return new Intl.DateTimeFormat(this.config.site.language, { timeZone: this.config.defaults.timezone, dateStyle: 'medium', timeStyle: 'short' }).format(date)
  }
}
