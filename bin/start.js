#!/usr/bin/env node
// `npm start`: the bot from its compiled build (dist/src/main.js), compiled first when dist/ is
// missing or older than src/ (the first start after `npm install`, or after a change: a few
// seconds). Compiled, the bot does not carry the TypeScript loader (tsx, esbuild) in memory: ~45 MB
// less resident memory under load. Without TypeScript installed (`npm install --omit=dev`) and no
// up-to-date dist/, it runs the sources through tsx as before.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIfStale, packageDir } from './build.js';

const root = packageDir();
let built;
try {
  built = buildIfStale(root, () => process.stderr.write('leadrelay: compiling src/ into dist/ (the first start, or src/ changed)…\n'));
} catch {
  process.stderr.write('leadrelay cannot start:\n  compiling src/ into dist/ failed (the errors are above)\n');
  process.exit(1);
}
if (built === 'no-compiler') {
  process.stderr.write('leadrelay: dist/ is missing or older than src/ and TypeScript is not installed: running src/ through tsx\n');
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src/main.ts')).href);
} else {
  await import(pathToFileURL(join(root, 'dist/src/main.js')).href);
}
