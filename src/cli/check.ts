/**
 * `leadrelay check [config]` (SPEC 10): validates a config file, and the company table its
 * `enrichment.companies` names, without starting anything, so a change can be checked in CI or
 * before a deploy. Exit 1 with every error, 0 when valid.
 */
import { normalize } from 'node:path';
import { formatConfigErrors, loadConfig } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import { openCompanyTable } from '../adapters/enrichment/companyTable.ts';
import type { CliIo } from './index.ts';

const DEFAULT_CONFIG_PATH = './leadrelay.yml';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `5 reps, 3 teams, 4 rules, 2 signal rules[, 120 companies]`: enough to see the file read is the one meant. */
function summarize(config: Config, companies: number | null): string {
  return [
    count(config.reps.length, 'rep'),
    count(config.teams.length, 'team'),
    count(config.rules.length, 'rule'),
    count(config.signals.length, 'signal rule'),
    ...(config.sources.length === 0 ? [] : [count(config.sources.length, 'lead source')]),
    ...(companies === null ? [] : [companies === 1 ? '1 company' : `${companies} companies`]),
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
  const companies = openCompanyTable(result.config, path);
  if (!companies.ok) {
    io.stderr.write(`${companies.errors.join('\n')}\n`);
    return 1;
  }
  io.stdout.write(`${shownAs} is valid: ${summarize(result.config, companies.file?.table().size ?? null)}\n`);
  return 0;
}
