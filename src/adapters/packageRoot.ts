import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of leadrelay's package.json, found by walking up from `from` (a module URL or
 * path). Files shipped beside the code (package.json, db/migrations) are found the same way whether
 * the code runs from src/ through tsx or compiled into dist/src/ (`npm run build`), where a fixed
 * relative path would point one level off.
 */
export function packageRoot(from: string | URL = import.meta.url): string {
  const start = typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from);
  for (let dir = dirname(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'db', 'migrations'))) return dir;
    if (dirname(dir) === dir) throw new Error(`leadrelay's package.json and db/migrations were not found above ${start}`);
  }
}
