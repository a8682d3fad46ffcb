/**
 * Reader threads (issue 9 §4): decoding, parsing, normalizing and fingerprinting are pure CPU
 * work, a few hundred microseconds per item, and a poll round has thousands of sources' worth.
 * On one thread that work, not the network, bounds the round; here it runs on every core while
 * the main thread fetches and commits.
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AppError, DecodeError, ParseError } from '../errors.js'
import type { Digest, DigestInput } from './digest.js'
import { unpackDigest, type PackedDigest } from './transfer.js'

/** Reader threads by default: one per core (the main thread mostly waits on the network and the store). */
export function defaultReaders(): number {
  return Math.max(1, Math.min(availableParallelism(), 8))
}

/**
 * Bodies waiting for a reader thread beyond which new polls wait to start (ReadPool.room): with
 * hundreds of polls in flight, fetching outruns reading when feeds are large, and every body
 * fetched but not yet read is memory held for nothing.
 */
export const MAX_BACKLOG_BYTES = 32 * 1024 * 1024

/** Errors a digest can end in, rebuilt on this side of the thread boundary with their class. */
const ERRORS: Record<string, new (message: string) => AppError> = { ParseError, DecodeError, AppError }

interface Task {
  id: number
  input: DigestInput
  resolve: (digest: Digest) => void
  reject: (error: Error) => void
}

interface Reader {
  worker: Worker
  /** Sent to the thread and not answered yet: the one it reads, and at most one waiting there. */
  tasks: Map<number, Task>
}

/**
 * Bodies a thread holds at once: the one it reads and the next, so a thread that finishes goes on
 * at once instead of waiting for the main thread, busy fetching and committing, to send it more.
 * (Sending to a thread the moment it answered took 0.5 ms a postMessage on two cores, against
 * 25 µs to an idle one. Over 2,000-source rounds the change is within the runs' noise: round 3
 * 4.2–4.6 s with two, 4.9–5.1 s with one, in alternating runs.)
 */
const PER_THREAD = 2

export class ReadPool {
  private readonly readers: Reader[] = []
  private readonly queue: Task[] = []
  private next = 0
  private closed = false
  /** Bytes of the bodies in `queue`. */
  private backlog = 0
  private readonly roomWaiters: Array<() => void> = []

  constructor(
    private readonly size = defaultReaders(),
    private readonly maxBacklogBytes = MAX_BACKLOG_BYTES,
  ) {}

  /** Starts the threads now rather than on the first body: their start-up then overlaps the process's own. */
  warm(): void {
    while (!this.closed && this.readers.length < this.size) this.spawn()
  }

  /** Resolves once the bodies waiting for a thread are under maxBacklogBytes: a poll about to start waits on it. */
  room(): Promise<void> {
    if (this.backlog <= this.maxBacklogBytes || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  /** The digest of one body, in the first free thread. The body's memory moves to that thread. */
  run(input: DigestInput): Promise<Digest> {
    if (this.closed) return Promise.reject(new AppError('read: the reader threads are closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.next, input, resolve, reject })
      this.backlog += input.body.byteLength
      this.dispatch()
    })
  }

  async close(): Promise<void> {
    this.closed = true
    const closed = () => new AppError('read: the reader threads are closed')
    for (const task of this.queue.splice(0)) task.reject(closed())
    for (const reader of this.readers) {
      for (const task of reader.tasks.values()) task.reject(closed())
      reader.tasks.clear()
    }
    this.backlog = 0
    for (const resolve of this.roomWaiters.splice(0)) resolve()
    await Promise.all(this.readers.map((r) => r.worker.terminate()))
    this.readers.length = 0
  }

  private dispatch(): void {
    while (this.queue.length) {
      let reader = this.leastBusy()
      if (reader?.tasks.size !== 0 && this.readers.length < this.size) reader = this.spawn()
      if (!reader) return
      const task = this.queue.shift()!
      this.backlog -= task.input.body.byteLength
      if (this.backlog <= this.maxBacklogBytes) for (const resolve of this.roomWaiters.splice(0)) resolve()
      reader.tasks.set(task.id, task)
      // A busy thread keeps the process alive (a poll awaits it); an idle one does not.
      reader.worker.ref()
      const body = ownBuffer(task.input.body)
      reader.worker.postMessage({ id: task.id, input: { ...task.input, body } }, [body.buffer as ArrayBuffer])
    }
  }

  /** The thread with the fewest bodies, if one has room for another. */
  private leastBusy(): Reader | undefined {
    let best: Reader | undefined
    for (const r of this.readers) if (r.tasks.size < PER_THREAD && (!best || r.tasks.size < best.tasks.size)) best = r
    return best
  }

  private spawn(): Reader {
    const worker = startWorker()
    worker.unref()
    const reader: Reader = { worker, tasks: new Map() }
    worker.on('message', (message: { id: number; digest?: PackedDigest; error?: { name: string; message: string } }) => {
      const task = reader.tasks.get(message.id)
      if (!task) return
      reader.tasks.delete(message.id)
      if (reader.tasks.size === 0) worker.unref()
      if (message.error) task.reject(new (ERRORS[message.error.name] ?? AppError)(message.error.message))
      else {
        try {
          task.resolve(unpackDigest(message.digest!))
        } catch (error) {
          task.reject(new AppError(`read: the reader thread's answer could not be read: ${error instanceof Error ? error.message : String(error)}`))
        }
      }
      this.dispatch()
    })
    const fail = (why: string) => {
      // A thread that dies (out of memory on a pathological body) fails its bodies only; the next ones get a new thread.
      this.readers.splice(this.readers.indexOf(reader), 1)
      for (const task of reader.tasks.values()) task.reject(new AppError(`read: the reader thread ${why}`))
      reader.tasks.clear()
      if (!this.closed) this.dispatch()
    }
    worker.on('error', (error) => fail(`failed: ${error.message}`))
    worker.on('exit', (code) => this.readers.includes(reader) && fail(`exited with code ${code}`))
    this.readers.push(reader)
    return reader
  }
}

/**
 * From dist/ the thread runs plain JavaScript. From src/ (tests, `tsx`, the bench) it runs the
 * TypeScript source, registering tsx's loader in the thread first: loaders given on the command
 * line do not reach worker threads on Node 20.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./read-worker.js', import.meta.url))
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href
  const entry = new URL('./read-worker.ts', import.meta.url).href
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`, { eval: true })
}

/** A body whose buffer it alone spans, so the buffer can be moved to another thread without taking others' bytes. */
function ownBuffer(body: Uint8Array): Uint8Array {
  return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer ? body : body.slice()
}
