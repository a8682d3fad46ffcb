import pino from 'pino'

export type Logger = pino.Logger

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/** pino JSON lines to stdout; on a TTY, one readable line per record instead (SPEC §1 LOG_LEVEL). */
export function createLogger(level = 'info', pretty = false): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }
  if (!pretty) return pino(options)
  return pino(options, {
    write(line: string) {
      const { level: n, time, msg, ...rest } = JSON.parse(line) as Record<string, unknown>
      const extra = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
      process.stdout.write(`${String(time).slice(11, 19)} ${(LEVEL_NAMES[n as number] ?? String(n)).padEnd(5)} ${msg ?? ''}${extra ? `  ${extra}` : ''}\n`)
    },
  })
}

export const silentLogger: Logger = pino({ level: 'silent' })
