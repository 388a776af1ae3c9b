import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/adapters/packageRoot.ts';

/** A package tree: package.json and db/migrations at the top, compiled code nested below. */
function packageTree() {
  const root = mkdtempSync(join(tmpdir(), 'leadrelay-root-'));
  writeFileSync(join(root, 'package.json'), '{"name":"leadrelay","version":"9.9.9"}');
  mkdirSync(join(root, 'db', 'migrations'), { recursive: true });
  mkdirSync(join(root, 'dist', 'src', 'adapters', 'sqlite'), { recursive: true });
  return root;
}

describe('packageRoot', () => {
  it('finds the package from a module compiled into dist/src, one level deeper than src', () => {
    const root = packageTree();
    expect(packageRoot(pathToFileURL(join(root, 'dist', 'src', 'adapters', 'sqlite', 'migrate.js')).href)).toBe(root);
    expect(packageRoot(join(root, 'dist', 'src', 'leadrelay.js'))).toBe(root);
  });

  it('skips a package.json without db/migrations beside it (a build folder is not the package)', () => {
    const root = packageTree();
    writeFileSync(join(root, 'dist', 'package.json'), '{"type":"module"}');
    expect(packageRoot(pathToFileURL(join(root, 'dist', 'src', 'main.js')))).toBe(root);
  });

  it('says what it looked for when there is no package above', () => {
    const lonely = mkdtempSync(join(tmpdir(), 'leadrelay-lonely-'));
    expect(() => packageRoot(join(lonely, 'main.js'))).toThrow(/package\.json and db\/migrations were not found above/);
  });

  it('finds this repository from its own source', () => {
    expect(packageRoot()).toBe(join(import.meta.dirname, '..', '..'));
  });
});
