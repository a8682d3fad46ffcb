import { resolve } from 'node:path'
import { AppError } from '../errors.js'

/** Where items live, from `--store` / `FEEDLOOM_STORE` (SPEC §1). */
export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'redis'; url: string }
  | { kind: 'postgres'; url: string }

export const DEFAULT_STORE_URL = 'sqlite://./data/feedloom.sqlite'

/**
 * `sqlite://./data/x.sqlite` and `sqlite:///abs/x.sqlite` are paths (relative ones against `cwd`);
 * `memory://` keeps nothing across restarts; redis and postgres URLs pass through to their adapters.
 */
export function parseStoreUrl(url: string, cwd = process.cwd()): StoreLocation {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url.trim())
  if (!match) throw new AppError(`store: "${url}" is not a store URL (sqlite://PATH, memory://, redis://HOST:PORT[/DB], postgres://…)`)
  const scheme = match[1].toLowerCase()
  const rest = match[2]
  switch (scheme) {
    case 'memory':
      return { kind: 'memory' }
    case 'sqlite': {
      if (!rest) throw new AppError(`store: "${url}" names no file (e.g. sqlite://./data/feedloom.sqlite)`)
      return { kind: 'sqlite', path: resolve(cwd, rest) }
    }
    case 'redis':
    case 'rediss':
      if (!URL.canParse(url)) throw new AppError(`store: "${url}" is not a valid redis URL`)
      return { kind: 'redis', url }
    case 'postgres':
    case 'postgresql':
      if (!URL.canParse(url)) throw new AppError(`store: "${url}" is not a valid postgres URL`)
      return { kind: 'postgres', url }
    default:
      throw new AppError(`store: unsupported scheme "${scheme}:" in "${url}" (use sqlite, memory, redis or postgres)`)
  }
}
