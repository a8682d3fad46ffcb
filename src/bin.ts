import { main } from './cli.js'

const code = await main(process.argv.slice(2))
// Everything a command opened is closed by now; a library's stray timer or reconnecting client
// must not keep the process up after a server has shut down (issue 12 §4).
process.exit(code)
