import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Config, SourceConfig } from '../model.js'
import { AppError, ConfigError } from '../errors.js'
import { configIssues, configSchema, type UserConfig } from './schema.js'

export type { UserConfig, UserSource } from './schema.js'

/** Identity with types: `export default defineConfig({ … })` in feeds.config.ts gets full completion. */
export function defineConfig(config: UserConfig): UserConfig {
  return config
}

/** Validate a raw config object and apply defaults to every source. Throws ConfigError listing every problem at once. */
export function resolveConfig(input: unknown, where?: string): Config {
  const issues = configIssues(input)
  if (issues.length) throw new ConfigError(issues, where)
  const { site, disclaimer, defaults, categories, sources } = configSchema.parse(input)
  return {
    site,
    disclaimer,
    defaults,
    categories,
    sources: sources.map(
      (s): SourceConfig => ({
        id: s.id,
        title: s.title,
        url: s.url,
        categories: s.categories,
        homepage: s.homepage,
        encoding: s.encoding,
        timezone: s.timezone ?? defaults.timezone,
        schedule: s.schedule ?? defaults.schedule,
        content: s.content ?? defaults.content,
        include: s.include ?? [],
        exclude: s.exclude ?? [],
        maxItems: s.maxItems ?? defaults.maxItemsPerSource,
        retentionDays: s.retentionDays ?? defaults.retentionDays,
        page: s.page,
        fullText: s.fullText,
        ignoreRobots: s.ignoreRobots,
        crawlDelay: s.crawlDelay,
      }),
    ),
  }
}

const LOADABLE = new Set(['.ts', '.mts', '.js', '.mjs', '.json'])

/** Load feeds.config.{ts,mts,js,mjs,json}: TypeScript through tsx, so no build step is needed for the config. */
export async function loadConfig(path: string): Promise<Config> {
  const file = resolve(path)
  const ext = extname(file)
  if (!LOADABLE.has(ext)) throw new AppError(`config: ${file}: unsupported extension "${ext}" (use .ts, .mts, .js, .mjs or .json)`)
  if (!existsSync(file)) throw new AppError(`config: ${file}: no such file`)
  let raw: unknown
  try {
    if (ext === '.json') raw = JSON.parse(await readFile(file, 'utf8'))
    else if (ext === '.ts' || ext === '.mts') {
      const { tsImport } = await import('tsx/esm/api')
      raw = unwrapDefault(await tsImport(pathToFileURL(file).href, import.meta.url))
    } else raw = unwrapDefault(await import(pathToFileURL(file).href))
  } catch (error) {
    throw new AppError(`config: ${file}: cannot load: ${(error as Error).message}`, { cause: error })
  }
  return resolveConfig(raw, file)
}

function unwrapDefault(module: unknown): unknown {
  // tsx can wrap a default export twice (`{ default: { default: … } }`) when the file is treated as CJS.
  let value = module
  for (let i = 0; i < 2 && value && typeof value === 'object' && 'default' in value; i++) value = (value as { default: unknown }).default
  return value
}
