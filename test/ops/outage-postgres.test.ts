/**
 * A PostgreSQL store made unreachable for 30 s (issue 12 §3): the processes reach the machine's
 * PostgreSQL through a TCP proxy of this test, in a database of its own; cutting the proxy drops
 * every connection and leaves new ones hanging, as a partitioned network does. The machine's
 * PostgreSQL itself is never touched. The queue is a private redis-server (FEEDLOOM_QUEUE).
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { freePort, startRedis, type PrivateRedis } from './procs.js'
import { OUTAGE_MS, storeOutage } from './outage.js'

const DATABASE_URL = process.env.DATABASE_URL
const database = `feedloom_ops_${process.pid}_${Date.now()}`

/** Forwards to PostgreSQL while open; when cut, drops every connection and holds new ones unanswered. */
class CuttableProxy {
  private server?: Server
  private readonly sockets = new Set<Socket>()
  private open = true
  port = 0

  async start(target: { host: string; port: number }): Promise<void> {
    this.port = await freePort()
    this.server = createServer((client) => {
      this.sockets.add(client)
      client.on('close', () => this.sockets.delete(client))
      client.on('error', () => client.destroy())
      if (!this.open) return // a blackhole: accepted, never answered
      const upstream = connect(target.port, target.host)
      this.sockets.add(upstream)
      upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()))
      upstream.on('error', () => upstream.destroy())
      client.on('close', () => upstream.destroy())
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve))
  }

  async cut(): Promise<void> {
    this.open = false
    for (const socket of this.sockets) socket.destroy()
  }

  async restore(): Promise<void> {
    this.open = true
    for (const socket of this.sockets) socket.destroy() // the held ones reconnect and get through
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

let redis: PrivateRedis
const proxy = new CuttableProxy()

beforeAll(async () => {
  if (!DATABASE_URL) return
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  await admin.end()
  const target = new URL(DATABASE_URL)
  await proxy.start({ host: target.hostname, port: Number(target.port || 5432) })
  redis = await startRedis()
})

afterAll(async () => {
  if (!DATABASE_URL) return
  await proxy.close()
  await redis?.close()
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})


describe.skipIf(!DATABASE_URL)('the PostgreSQL store is unreachable for 30 s under load (needs DATABASE_URL)', () => {
  it('cached feeds keep answering, the rest gets 503 at once, the worker backs off and resumes, nothing is lost', async () => {
    const url = new URL(DATABASE_URL!)
    url.host = `127.0.0.1:${proxy.port}`
    url.pathname = `/${database}`
    await storeOutage({ storeUrl: url.href, args: ['--queue', redis.url], cut: () => proxy.cut(), restore: () => proxy.restore(), workerWaits: /the store failed under a poll/ })
  }, OUTAGE_MS + 150_000)
})
