/** The config for a CLI command, found and reported the same way by every command. */
import { existsSync } from 'node:fs';
import { normalize, relative } from 'node:path';
import { EXAMPLE_CONFIG_PATH } from '../config/env.ts';
import { formatConfigErrors, loadConfig, type ConfigResult } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import type { CliIo } from './index.ts';

const DEFAULT_CONFIG_PATH = './leadrelay.yml';

/** The config file read, as given and as shown in messages, and what reading it gave. */
export interface CliConfigRead {
  path: string;
  shownAs: string;
  result: ConfigResult;
}

/**
 * Reads the file given, else $LEADRELAY_CONFIG, else ./leadrelay.yml. Where there is none of these
 * (a fresh clone: nobody has made a leadrelay.yml yet) it reads the example config, as the sandbox
 * does, and says so on stderr, so that `npx leadrelay check` and the dry runs work at once.
 */
export function readCliConfig(file: string | undefined, io: CliIo): CliConfigRead {
  const { path, example } = cliConfigPath(file, io.env);
  if (example) io.stderr.write(`No ./leadrelay.yml here (and LEADRELAY_CONFIG is not set): using the example config ${path}. To start your own: cp leadrelay.example.yml leadrelay.yml\n`);
  return { path, shownAs: normalize(path), result: loadConfig(path) };
}

/** The path `readCliConfig` reads, and whether it is the example standing in for a missing ./leadrelay.yml. */
export function cliConfigPath(file: string | undefined, env: NodeJS.ProcessEnv): { path: string; example: boolean } {
  if (file !== undefined) return { path: file, example: false };
  if (env.LEADRELAY_CONFIG) return { path: env.LEADRELAY_CONFIG, example: false };
  if (existsSync(DEFAULT_CONFIG_PATH) || !existsSync(EXAMPLE_CONFIG_PATH)) return { path: DEFAULT_CONFIG_PATH, example: false };
  const near = relative(process.cwd(), EXAMPLE_CONFIG_PATH);
  return { path: near === '' || near.startsWith('..') ? EXAMPLE_CONFIG_PATH : near, example: true };
}

/**
 * The config as `readCliConfig` finds it. On errors prints every one to stderr as
 * `file:line path: message` and returns null (the command exits 1).
 */
export function loadCliConfig(file: string | undefined, io: CliIo): { config: Config; shownAs: string; path: string } | null {
  const { path, shownAs, result } = readCliConfig(file, io);
  if (!result.ok) {
    io.stderr.write(`${formatConfigErrors(shownAs, result.errors)}\n`);
    return null;
  }
  return { config: result.config, shownAs, path };
}
