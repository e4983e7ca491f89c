// `npm run check`: fails when the committed files are not what the sources make.
// 1. src/generated/graphql.ts must be what `npm run codegen` writes from ../schema.graphql.
// 2. dist/ must be exactly index.html, assets/app.js and assets/app.css, byte for byte what a
//    fresh build writes (built here into a temporary folder, so dist/ itself is not touched).

import { generate } from '@graphql-codegen/cli';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import config from '../codegen.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const EXPECTED = ['assets/app.css', 'assets/app.js', 'index.html'];
const problems = [];

async function listFiles(dir, prefix = '') {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files = [];
  for (const entry of entries) {
    const name = prefix + entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), `${name}/`)));
    else files.push(name);
  }
  return files.sort();
}

// 1. The generated documents and types.
process.chdir(root);
const outputs = await generate({ ...config, cwd: root }, false);
for (const { filename, content } of outputs) {
  const committed = await readFile(path.resolve(root, filename), 'utf8').catch(() => null);
  if (committed !== content) problems.push(`${filename} is stale: run \`npm run codegen\` and commit it`);
}

// 2. The build.
const temp = await mkdtemp(path.join(tmpdir(), 'audit-web-'));
try {
  await build({ root, logLevel: 'warn', build: { outDir: temp, emptyOutDir: true } });
  const built = await listFiles(temp);
  const committed = await listFiles(path.join(root, 'dist'));
  if (JSON.stringify(built) !== JSON.stringify(EXPECTED)) {
    problems.push(`the build wrote ${built.join(', ')} instead of ${EXPECTED.join(', ')}`);
  }
  for (const file of new Set([...built, ...committed])) {
    const fresh = await readFile(path.join(temp, file)).catch(() => null);
    const kept = await readFile(path.join(root, 'dist', file)).catch(() => null);
    if (fresh === null) problems.push(`dist/${file} is not built any more: delete it`);
    else if (kept === null) problems.push(`dist/${file} is missing: run \`npm run build\` and commit dist/`);
    else if (!fresh.equals(kept)) problems.push(`dist/${file} differs from a fresh build: run \`npm run build\` and commit dist/`);
  }
  const html = await readFile(path.join(temp, 'index.html'), 'utf8').catch(() => '');
  for (const asset of ['/assets/app.js', '/assets/app.css']) {
    if (!html.includes(`"${asset}"`)) problems.push(`index.html does not reference ${asset}`);
  }
} finally {
  await rm(temp, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`check: ${problem}`);
  process.exit(1);
}
console.log('check: the generated documents and dist/ are what the sources make');
