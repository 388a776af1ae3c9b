import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIfStale, isBuilt } from '../../bin/build.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A package directory with sources, the tsconfigs and (optionally) a build, each file at the time given (seconds). */
function packageWith(times: { source: number; config: number; main?: number }): string {
  const root = mkdtempSync(join(tmpdir(), 'leadrelay-build-'));
  dirs.push(root);
  const write = (path: string, at: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    utimesSync(join(root, path), at, at);
  };
  write('src/main.ts', times.source);
  write('src/app/route.ts', times.source);
  write('tsconfig.json', times.config);
  write('tsconfig.build.json', times.config);
  if (times.main !== undefined) write('dist/src/main.js', times.main);
  return root;
}

describe('npm start\'s build check (bin/build.js)', () => {
  it('runs dist/ as it is when it is newer than every source and config', () => {
    const root = packageWith({ source: 1_000, config: 1_000, main: 2_000 });
    expect(isBuilt(root)).toBe(true);
    expect(buildIfStale(root, () => expect.fail('nothing to compile'))).toBe('fresh');
  });

  it('compiles again when a source file or a tsconfig changed after the build, or there is no build', () => {
    expect(isBuilt(packageWith({ source: 3_000, config: 1_000, main: 2_000 }))).toBe(false);
    expect(isBuilt(packageWith({ source: 1_000, config: 3_000, main: 2_000 }))).toBe(false);
    expect(isBuilt(packageWith({ source: 1_000, config: 1_000 }))).toBe(false);
  });
});
