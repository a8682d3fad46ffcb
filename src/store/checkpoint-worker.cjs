// The SQLite store's checkpointer (src/store/sqlite.ts): a thread with its own connection that
// copies the write-ahead log into the database file in the background, so a commit is an append
// to the log and never waits for the fsyncs a checkpoint makes. Plain CommonJS: it runs the same
// from src/ and from an installed package.
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')

const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs })
const checkpoint = (mode) => {
  try {
    db.pragma(`wal_checkpoint(${mode})`)
  } catch {
    // Busy or closing: the next round tries again.
  }
}
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message !== 'close') return
  clearInterval(timer)
  checkpoint('PASSIVE')
  db.close()
  parentPort.postMessage('closed')
})
