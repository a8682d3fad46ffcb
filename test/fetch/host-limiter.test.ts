import { describe, expect, it } from 'vitest'
import { HostLimiter } from '../../src/fetch/host-limiter.js'

/** A task that runs until the test says so, recording that it started. */
function gate() {
  let open!: (value: string) => void
  const done = new Promise<string>((resolve) => (open = resolve))
  const task = { started: false, open: (value = 'done') => open(value), run: () => ((task.started = true), done) }
  return task
}

/** Lets every queued promise callback run, so "not started" means "waiting", not "not yet scheduled". */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('HostLimiter', () => {
  it('runs at most `limit` tasks per host and starts the next in arrival order when one ends', async () => {
    const limiter = new HostLimiter(2)
    const tasks = [gate(), gate(), gate(), gate()]
    const results = tasks.map((t) => limiter.run('a.example', t.run))
    await settle()
    expect(tasks.map((t) => t.started)).toEqual([true, true, false, false])

    tasks[1].open('second')
    expect(await results[1]).toBe('second')
    await settle()
    expect(tasks.map((t) => t.started)).toEqual([true, true, true, false])

    tasks[0].open()
    tasks[2].open()
    await settle()
    expect(tasks[3].started).toBe(true)
    tasks[3].open()
    await Promise.all(results)
  })

  it('does not make one host wait for another', async () => {
    const limiter = new HostLimiter(1)
    const a = gate()
    const b = gate()
    const running = [limiter.run('a.example', a.run), limiter.run('b.example:8080', b.run)]
    await settle()
    expect([a.started, b.started]).toEqual([true, true])
    a.open()
    b.open()
    await Promise.all(running)
  })

  it('frees the slot when a task fails', async () => {
    const limiter = new HostLimiter(1)
    const failing = limiter.run('a.example', () => Promise.reject(new Error('boom')))
    const next = gate()
    const waiting = limiter.run('a.example', next.run)
    await expect(failing).rejects.toThrow('boom')
    await settle()
    expect(next.started).toBe(true)
    next.open()
    await waiting
  })

  it('lets an aborted waiter leave the queue without taking a slot', async () => {
    const limiter = new HostLimiter(1)
    const first = gate()
    const abandoned = gate()
    const last = gate()
    const controller = new AbortController()
    const running = limiter.run('a.example', first.run)
    const leaving = limiter.run('a.example', abandoned.run, controller.signal)
    const staying = limiter.run('a.example', last.run)

    controller.abort(new Error('shutting down'))
    await expect(leaving).rejects.toThrow('shutting down')
    first.open()
    await running
    await settle()
    expect([abandoned.started, last.started]).toEqual([false, true])
    last.open()
    await staying
  })

  it('refuses a signal that is already aborted', async () => {
    const limiter = new HostLimiter(1)
    await expect(limiter.run('a.example', async () => 'ran', AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late')
  })

  it.each([0, -1, Number.NaN])('rejects a limit of %s', (limit) => {
    expect(() => new HostLimiter(limit)).toThrow(/at least 1/)
  })
})
