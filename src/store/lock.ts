/**
 * Serializes the short read-merge-commit section of polls in one process, so two sources polled
 * at once cannot both claim the same exact-match key (fetching and parsing still run in parallel).
 */
export class Mutex {
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
