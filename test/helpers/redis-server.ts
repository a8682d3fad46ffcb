import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort } from '../fetch/server.js'

export interface PrivateRedis {
  url: string
  port: number
  /** Starts it again on the same port and data folder, with what it persisted. */
  start(): Promise<void>
  /** SIGTERM: with append-only persistence it syncs and exits. */
  stop(): Promise<void>
  /** SIGKILL, as a crashed or unplugged server. */
  kill(): Promise<void>
  /** Stops it and removes its data. */
  close(): Promise<void>
}

/**
 * A redis-server of the test's own on a free port, never the machine's shared one: crash and
 * outage tests stop and kill it. `durable` keeps an append-only file synced on every write, as a
 * deployment that must not lose commits would.
 */
export async function startRedis(options: { durable?: boolean } = {}): Promise<PrivateRedis> {
  const port = await closedPort()
  const dir = mkdtempSync(join(tmpdir(), 'feedloom-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...(options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])]
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    while (!(await answers(port))) {
      if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server did not start on port ${port}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const signal = (name: NodeJS.Signals) => async () => {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill(name)
    await exited
  }
  await start()
  const stop = signal('SIGTERM')
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    kill: signal('SIGKILL'),
    async close() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Whether a Redis server answers PING on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)))
    socket.once('error', () => resolve(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
  })
}
