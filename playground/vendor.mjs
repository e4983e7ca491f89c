// Copies the pinned builds the playground needs from node_modules into assets/, where the
// gateway embeds them at compile time (src/graphql/playground.rs). `--check` only verifies that
// assets/ holds exactly what the lockfile's versions ship, and fails otherwise.
import { readFileSync, writeFileSync } from 'node:fs';

const files = {
  'graphiql.min.js': 'node_modules/graphiql/graphiql.min.js',
  'graphiql.min.css': 'node_modules/graphiql/graphiql.min.css',
  'react.production.min.js': 'node_modules/react/umd/react.production.min.js',
  'react-dom.production.min.js': 'node_modules/react-dom/umd/react-dom.production.min.js',
};

const check = process.argv.includes('--check');
let stale = 0;
for (const [name, source] of Object.entries(files)) {
  const wanted = readFileSync(new URL(source, import.meta.url));
  const target = new URL(`assets/${name}`, import.meta.url);
  if (check) {
    let current;
    try { current = readFileSync(target); } catch { current = Buffer.alloc(0); }
    if (!current.equals(wanted)) {
      console.error(`assets/${name} differs from ${source}: run \`npm ci && npm run vendor\` in playground/`);
      stale += 1;
    }
  } else {
    writeFileSync(target, wanted);
    console.log(`assets/${name} <- ${source} (${wanted.length} bytes)`);
  }
}
process.exit(stale ? 1 : 0);
