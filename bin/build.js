// The compiled build (dist/, `npm run build`) and whether it is up to date: shared by `npm start`
// (bin/start.js) and the bench. Plain JavaScript, since it runs before anything is compiled.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** leadrelay's package directory. */
export const packageDir = () => dirname(dirname(fileURLToPath(import.meta.url)));

const newestMtime = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }, 0);

/** dist/src/main.js exists and is newer than every file in src/ (and than tsconfig*.json). */
export function isBuilt(root = packageDir()) {
  const main = join(root, 'dist/src/main.js');
  if (!existsSync(main)) return false;
  const sources = Math.max(newestMtime(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs, statSync(join(root, 'tsconfig.build.json')).mtimeMs);
  return statSync(main).mtimeMs >= sources;
}

/** The TypeScript compiler's entry point, or null when TypeScript is not installed (npm install --omit=dev). */
function compiler(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

/**
 * Compiles src/ into dist/ unless it is up to date: `fresh` (nothing to do), `built` (compiled now,
 * which takes a few seconds), or `no-compiler` (stale or missing, and TypeScript is not installed).
 * `onBuild` is told before compiling. A compile error throws (tsc's messages went to stderr).
 */
export function buildIfStale(root = packageDir(), onBuild = () => undefined) {
  if (isBuilt(root)) return 'fresh';
  const tsc = compiler(root);
  if (tsc === null) return 'no-compiler';
  onBuild();
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return 'built';
}
