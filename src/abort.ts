import { setMaxListeners } from 'node:events'

/**
 * The AbortController a process stops its work with: every poll and fetch in flight listens to
 * its signal (64 and more at once), past Node's default of 10 listeners before it warns of a leak.
 * They remove their listener when they end (fetch/index.ts `follow`), so none is leaked.
 */
export function stopController(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}
