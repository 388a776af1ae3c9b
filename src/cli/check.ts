/**
 * `leadrelay check [config]` (SPEC 10): validates a config file without starting anything, so a
 * config change can be checked in CI or before a deploy. Exit 1 with every error, 0 when valid.
 */
import { normalize } from 'node:path';
import { formatConfigErrors, loadConfig } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import type { CliIo } from './index.ts';

const DEFAULT_CONFIG_PATH = './leadrelay.yml';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `5 reps, 3 teams, 4 rules, 2 signal rules`: enough to see the file read is the one meant. */
function summarize(config: Config): string {
  return [
    count(config.reps.length, 'rep'),
    count(config.teams.length, 'team'),
    count(config.rules.length, 'rule'),
    count(config.signals.length, 'signal rule'),
  ].join(', ');
}

/**
 * Validates the file given, else $LEADRELAY_CONFIG, else ./leadrelay.yml. Returns the exit code:
 * 0 valid, 1 invalid (every error printed to stderr as `file:line path: message`).
 */
export function runCheck(file: string | undefined, io: CliIo): number {
  const path = file ?? (io.env.LEADRELAY_CONFIG || DEFAULT_CONFIG_PATH);
  const shownAs = normalize(path);
  const result = loadConfig(path);
  if (!result.ok) {
    io.stderr.write(`${formatConfigErrors(shownAs, result.errors)}\n`);
    return 1;
  }
  io.stdout.write(`${shownAs} is valid: ${summarize(result.config)}\n`);
  return 0;
}
