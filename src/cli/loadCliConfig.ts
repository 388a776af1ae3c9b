/** The config for a CLI command, found and reported the way `leadrelay check` does. */
import { normalize } from 'node:path';
import { formatConfigErrors, loadConfig } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import type { CliIo } from './index.ts';

const DEFAULT_CONFIG_PATH = './leadrelay.yml';

/**
 * Loads the file given, else $LEADRELAY_CONFIG, else ./leadrelay.yml. On errors prints every one to
 * stderr as `file:line path: message` and returns null (the command exits 1).
 */
export function loadCliConfig(file: string | undefined, io: CliIo): { config: Config; shownAs: string; path: string } | null {
  const path = file ?? (io.env.LEADRELAY_CONFIG || DEFAULT_CONFIG_PATH);
  const shownAs = normalize(path);
  const result = loadConfig(path);
  if (!result.ok) {
    io.stderr.write(`${formatConfigErrors(shownAs, result.errors)}\n`);
    return null;
  }
  return { config: result.config, shownAs, path };
}
