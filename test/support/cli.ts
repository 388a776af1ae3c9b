import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.ts';

/** Runs the CLI with captured output and the given environment. */
export async function runCliCaptured(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) }, env };
  const code = await runCli(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/**
 * A fresh temporary directory per test (removed after it), and `file(name, text)` to write into it.
 * Call at the top level of a test file.
 */
export function useTempDir(prefix: string) {
  const state = { dir: '' };
  beforeEach(() => {
    state.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return state.dir;
    },
    file(name: string, text: string): string {
      const path = join(state.dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}
