#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=1024
// The `feedloom` command. `npm install` builds dist/ (prepare); `npm start` rebuilds first (prestart).
//
// The heap flags above (V8's, for this process and its reader threads) are the memory budget of a
// poll round: V8 otherwise lets each of the three heaps of a polling process (main, two readers)
// fill with garbage before collecting — 16 MiB young generations and an old generation grown 4 ×
// past what is live when the heap limit is large — and a 2,000-source round peaked at 470 MB
// with 30 MB live on the main thread. 2 MiB semi-spaces and a 1 GiB heap limit (under which V8
// grows the old generation by at most 2 ×) keep the rounds under 300 MB; the first round, all new
// items, takes ~15 % longer (more young collections), the others the same (BENCHMARKS.md).
// `npm start`, the Procfile and `npx feedloom` all run this file, flags included;
// `node --max-old-space-size=4096 bin/feedloom.js …` gives a larger memory:// store room.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('feedloom: dist/ is missing; run `npm run build` (npm install does it for you)\n')
  process.exit(2)
}
await import(entry.href)
