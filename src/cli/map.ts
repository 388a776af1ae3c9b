/**
 * `leadrelay map <source id> <payload.json> [--config file]` (SPEC 2b, 10): the lead a provider's
 * payload becomes through a source of the config (its preset, `map` and `defaults`, then the
 * validation of POST /leads), with its warnings, or the problems with the lead path and expression
 * behind each. Nothing is verified, stored or sent: it is for writing and checking a mapping.
 */
import { normalize } from 'node:path';
import { readFileSync } from 'node:fs';
import { compileSourceMapping } from '../adapters/sources/compileSourceMapping.ts';
import type { CliIo, CommandLine } from './index.ts';
import { loadCliConfig } from './loadCliConfig.ts';

export const MAP_DETAILS =
  'The payload file holds one body as the provider POSTs it to /hooks/<id> (JSON; the provider\'s\n' +
  'documented samples are in examples/sources/). Its signature is not checked and nothing is stored.\n' +
  'Exit 0 with the lead; 1 when the payload makes no lead (every problem printed with the lead path and\n' +
  'the expression behind it) or the config or file is invalid.';

/** Prints the lead (JSON) and its warnings, or why there is none; returns the exit code. */
export async function runMap(line: CommandLine, io: CliIo): Promise<number> {
  const [sourceId = '', payloadPath = ''] = line.args;
  const loaded = loadCliConfig(line.values.get('config'), io);
  if (!loaded) return 1;
  const source = loaded.config.sources.find((s) => s.id === sourceId);
  if (!source) {
    const ids = loaded.config.sources.map((s) => s.id);
    io.stderr.write(`unknown source "${sourceId}" in ${loaded.shownAs} (${ids.length === 0 ? 'it has no sources: section' : `sources: ${ids.join(', ')}`})\n`);
    return 1;
  }
  const shownAs = normalize(payloadPath);
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(payloadPath, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr.write(code === 'ENOENT' ? `payload file not found: ${shownAs}\n` : `${shownAs}: ${code === undefined ? 'invalid JSON: ' : ''}${(error as Error).message}\n`);
    return 1;
  }
  const mapped = await compileSourceMapping(source).toLead(payload);
  const through = `source ${source.id} (${source.preset})`;
  switch (mapped.kind) {
    case 'ignored':
      io.stderr.write(`${shownAs} is not a lead for ${through}: ${mapped.reason}\n`);
      return 1;
    case 'invalid':
      io.stderr.write(
        `${shownAs} makes no lead through ${through}:\n${mapped.issues
          .map((issue) => `  ${issue.path === '' ? '(body)' : issue.path}: ${issue.message}${issue.expression === undefined ? '' : `\n    expression: ${issue.expression}`}`)
          .join('\n')}\n`,
      );
      return 1;
    case 'lead':
      io.stdout.write(
        [
          `${shownAs} through ${through} becomes this lead (nothing is stored or sent):`,
          JSON.stringify(mapped.lead, null, 2),
          ...(mapped.warnings.length === 0 ? [] : ['Warnings:', ...mapped.warnings.map((w) => `  ${w.path}: ${w.message}`)]),
          '',
        ].join('\n'),
      );
      return 0;
  }
}
