/** Something that runs one critical section at a time. */
export interface Lock {
  run<T>(fn: () => Promise<T>): Promise<T>
}

/**
 * Serializes the short read-merge-commit section of polls in one process, so two sources polled
 * at once cannot both claim the same exact-match key (fetching and parsing still run in parallel).
 */
export class Mutex implements Lock {
  private tail: Promise<void> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}

/** Locks nested outside-in: e.g. the process's mutex, then the deployment-wide lease. */
export function nested(outer: Lock, inner: Lock): Lock {
  return { run: (fn) => outer.run(() => inner.run(fn)) }
}
