#!/usr/bin/env node
// The `feedloom` command. `npm install` builds dist/ (prepare); `npm start` rebuilds first (prestart).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('feedloom: dist/ is missing; run `npm run build` (npm install does it for you)\n')
  process.exit(2)
}
await import(entry.href)
