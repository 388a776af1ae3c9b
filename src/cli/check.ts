/**
 * `leadrelay check [config]`: validates a config file, and the company table its
 * `enrichment.companies` names, without starting anything, so a change can be checked in CI or
 * before a deploy. Exit 1 with every error, 0 when valid.
 */
import { formatConfigErrors } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import { openCompanyTable } from '../adapters/enrichment/companyTable.ts';
import type { CliIo } from './index.ts';
import { readCliConfig } from './loadCliConfig.ts';

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
 * Validates the file given, else $LEADRELAY_CONFIG, else ./leadrelay.yml (else the example, see
 * readCliConfig). Returns the exit code: 0 valid, 1 invalid (every error printed to stderr as
 * `file:line path: message`, the config's first, then the company table's).
 */
export function runCheck(file: string | undefined, io: CliIo): number {
  const { path, shownAs, result } = readCliConfig(file, io);
  // The company table is checked even when the config has errors, as long as it names one.
  const companiesPath = result.ok ? result.config.enrichment?.companies : result.companies;
  const companies = openCompanyTable({ enrichment: companiesPath === undefined ? undefined : { companies: companiesPath } }, path);
  const errors = [...(result.ok ? [] : [formatConfigErrors(shownAs, result.errors)]), ...(companies.ok ? [] : companies.errors)];
  if (!result.ok || !companies.ok) {
    io.stderr.write(`${errors.join('\n')}\n`);
    return 1;
  }
  io.stdout.write(`${shownAs} is valid: ${summarize(result.config, companies.file?.table().size ?? null)}\n`);
  return 0;
}
