// `npm run size`: the gzipped size of what the gateway serves from dist/ (script and styles),
// against the page's budget of 200 KB.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 200 * 1024;
const dist = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'dist');

let total = 0;
for (const file of ['assets/app.js', 'assets/app.css']) {
  const bytes = await readFile(path.join(dist, file));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  total += gzipped;
  console.log(`${file.padEnd(16)} ${String(bytes.length).padStart(8)} B  ${String(gzipped).padStart(7)} B gzipped`);
}
console.log(`${'total'.padEnd(16)} ${''.padStart(8)}    ${String(total).padStart(7)} B gzipped (${(total / 1024).toFixed(1)} KB of ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error('size: over budget');
  process.exit(1);
}
