/**
 * The `leadrelay` command line. bin/leadrelay.js calls `runCli`; tests call it too, with
 * their own output writers and environment, and read the exit code it returns.
 */
import { BACKUP_DETAILS, runBackup } from './backup.ts';
import { runCheck } from './check.ts';
import { DEFAULT_EXPORT_SINCE, EXPORT_DETAILS, runExport } from './export.ts';
import { MAP_DETAILS, runMap } from './map.ts';
import { MIGRATE_STORE_DETAILS, runMigrateStore } from './migrateStore.ts';
import { FRESH_STATE_WORDS, runRoute } from './route.ts';
import { SIMULATION_MODEL, runSimulate } from './simulate.ts';
import { HELP_WIDTH, wrap } from './wrapText.ts';

/** Anything output can be written to: process.stdout, or a test's collector. */
export interface Writer {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
}

/** An option a command accepts: a flag (`--json`) or, with `value`, an option taking one (`--config file`). */
interface OptionSpec {
  name: `--${string}`;
  /** The value's placeholder in the usage, e.g. `file`; absent for a flag. */
  value?: string;
  summary: string;
  /** The command cannot run without it (shown without brackets in the usage). */
  required?: true;
}

/** A command line as the command receives it: positional arguments, option values and flags (names without `--`). */
export interface CommandLine {
  args: readonly string[];
  values: ReadonlyMap<string, string>;
  flags: ReadonlySet<string>;
}

interface Command {
  /** Positional arguments as shown in the usage, e.g. `[config]` or `<lead.json>`. */
  args: string;
  summary: string;
  /** Fewest and most positional arguments the command takes. */
  minArgs: number;
  maxArgs: number;
  options: readonly OptionSpec[];
  /** More to say in `leadrelay <command> --help`. */
  details?: string;
  run(line: CommandLine, io: CliIo): Promise<number> | number;
}

const CONFIG_OPTION: OptionSpec = { name: '--config', value: 'file', summary: 'the config (default: $LEADRELAY_CONFIG or ./leadrelay.yml)' };
const JSON_OPTION: OptionSpec = { name: '--json', summary: 'print the result as JSON' };
const DB_OPTION = (what: string): OptionSpec => ({ name: '--db', value: 'file', summary: `${what} (default: $LEADRELAY_DB or ./data/leadrelay.db)` });
const DATABASE_URL_OPTION: OptionSpec = {
  name: '--database-url',
  value: 'url',
  summary: 'a PostgreSQL database (postgres://…) instead of the SQLite file (default: $DATABASE_URL when set)',
};

const COMMANDS = new Map<string, Command>([
  [
    'check',
    {
      args: '[config]',
      summary: 'validate a config (default: $LEADRELAY_CONFIG or ./leadrelay.yml); exit 1 with every error',
      minArgs: 0,
      maxArgs: 1,
      options: [],
      run: (line, io) => runCheck(line.args[0], io),
    },
  ],
  [
    'route',
    {
      args: '<lead.json>',
      summary: 'dry run: who would get this lead now, and the full trace; changes nothing',
      minArgs: 1,
      maxArgs: 1,
      options: [
        CONFIG_OPTION,
        DB_OPTION('runtime state to route against, opened read-only'),
        { name: '--at', value: 'time', summary: 'route as of this ISO time with a zone, e.g. 2026-01-05T18:30:00Z (default: now)' },
        { name: '--no-webhook', summary: 'do not ask the enrichment webhook (the company table is still used)' },
        { name: '--all', summary: 'list every eligible member of the teams tried (the stored trace counts those behind the runner-up)' },
        JSON_OPTION,
      ],
      details:
        'The lead file holds one JSON object as POSTed to /leads. It is enriched first, as the bot would: the ' +
        'company table, then the enrichment webhook (signed with $LEADRELAY_WEBHOOK_SECRET). Without a database ' +
        `the lead is routed ${FRESH_STATE_WORDS}. Exit 0 with a decision (queued included), 1 on a bad config, ` +
        'company table or lead.',
      run: (line, io) => runRoute(line, io),
    },
  ],
  [
    'map',
    {
      args: '<source id> <payload.json>',
      summary: "the lead a provider's payload becomes through a source of the config, with its warnings; stores nothing",
      minArgs: 2,
      maxArgs: 2,
      options: [CONFIG_OPTION],
      details: MAP_DETAILS,
      run: (line, io) => runMap(line, io),
    },
  ],
  [
    'simulate',
    {
      args: '<leads.jsonl|leads.csv>',
      summary: 'replay leads on simulated time: who gets what, share vs weight, what --compare would change',
      minArgs: 1,
      maxArgs: 1,
      options: [
        CONFIG_OPTION,
        { name: '--compare', value: 'file', summary: 'a second config to replay the same leads through' },
        { name: '--start', value: 'time', summary: 'when the leads without an `at` start arriving, one a minute (default: 2026-01-05T09:00:00Z, a Monday)' },
        { name: '--explain', summary: 'describe the simulation model at the head of the report' },
        JSON_OPTION,
      ],
      details: SIMULATION_MODEL,
      run: (line, io) => runSimulate(line, io),
    },
  ],
  [
    'export',
    {
      args: '',
      summary: 'CSV of leads on stdout: owner, times to first offer and to claim, offers, outcome',
      minArgs: 0,
      maxArgs: 0,
      options: [
        { name: '--since', value: 'when', summary: `leads received since: a duration back from now (30d, 12h) or an ISO time (default: ${DEFAULT_EXPORT_SINCE})` },
        DB_OPTION('the SQLite database, opened read-only; the bot may be running'),
        DATABASE_URL_OPTION,
        { name: '--config', value: 'file', summary: 'for owner names and e-mails (default: $LEADRELAY_CONFIG or ./leadrelay.yml, if present)' },
      ],
      details: EXPORT_DETAILS,
      run: (line, io) => runExport(line, io),
    },
  ],
  [
    'backup',
    {
      args: '<file>',
      summary: 'online copy of the database while the bot runs (consistent, checked, then moved into place); on PostgreSQL, with pg_dump',
      minArgs: 1,
      maxArgs: 1,
      options: [DB_OPTION('the SQLite database to copy'), DATABASE_URL_OPTION, { name: '--force', summary: 'replace <file> if it exists' }],
      details: BACKUP_DETAILS,
      run: (line, io) => runBackup(line, io),
    },
  ],
  [
    'migrate-store',
    {
      args: '',
      summary: 'copy every table of the SQLite database into an empty PostgreSQL database, in one transaction, checked by counts',
      minArgs: 0,
      maxArgs: 0,
      options: [
        { name: '--to', value: 'url', required: true, summary: 'the PostgreSQL database (postgres://…), migrated first when needed; it must hold no leadrelay data yet' },
        DB_OPTION('the SQLite database to copy; no bot may be running on it'),
      ],
      details: MIGRATE_STORE_DETAILS,
      run: (line, io) => runMigrateStore(line, io),
    },
  ],
]);

const HELP_FLAGS = new Set(['help', '--help', '-h']);

function optionUsage(option: OptionSpec): string {
  const text = `${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
  return option.required ? text : `[${text}]`;
}

/** `route <lead.json> [--config file] [--json]`. */
function commandUsage(name: string, command: Command): string {
  return [name, command.args, ...command.options.map(optionUsage)].filter(Boolean).join(' ');
}

/**
 * Two columns, the right one wrapped so that no line is wider than HELP_WIDTH; when the left column
 * is too wide for that, each entry takes two lines instead: the left text, then the right one below it.
 */
function columns(entries: readonly (readonly [string, string])[], indent: string): string[] {
  const width = Math.max(...entries.map(([left]) => left.length));
  const rightWidth = HELP_WIDTH - indent.length - width - 2;
  if (rightWidth >= 40) {
    return entries.flatMap(([left, right]) => wrap(right, rightWidth).map((text, i) => `${indent}${(i === 0 ? left : '').padEnd(width)}  ${text}`));
  }
  const below = `${indent}    `;
  return entries.flatMap(([left, right]) => [
    ...wrap(left, HELP_WIDTH - below.length).map((text, i) => `${i === 0 ? indent : `${below}  `}${text}`),
    ...wrap(right, HELP_WIDTH - below.length).map((text) => `${below}${text}`),
  ]);
}

function usage(): string {
  const entries = [...COMMANDS].map(([name, command]) => [commandUsage(name, command), command.summary] as const);
  entries.push(['help', 'show this help; `leadrelay <command> --help` for one command']);
  return ['Usage: leadrelay <command> [arguments]', '', 'Commands:', ...columns(entries, '  '), ''].join('\n');
}

function commandHelp(name: string, command: Command): string {
  const lines = [...wrap(`Usage: leadrelay ${commandUsage(name, command)}`, HELP_WIDTH), ...wrap(command.summary, HELP_WIDTH - 2).map((text) => `  ${text}`)];
  if (command.options.length > 0) {
    const entries = command.options.map((option) => [`${option.name}${option.value === undefined ? '' : ` ${option.value}`}`, option.summary] as const);
    lines.push('', 'Options:', ...columns(entries, '  '));
  }
  if (command.details !== undefined) lines.push('', ...formatDetails(command.details));
  return `${lines.join('\n')}\n`;
}

/**
 * Text of paragraphs and `- ` list items, however its source lines were broken, as lines that fit
 * HELP_WIDTH: a line that starts neither a list item nor follows a blank line continues the one
 * before; a list item's continuation lines are indented under its text.
 */
export function formatDetails(text: string): string[] {
  const blocks: string[] = [];
  let previousBlank = true;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') blocks.push('');
    else if (previousBlank || trimmed.startsWith('- ')) blocks.push(trimmed);
    else blocks[blocks.length - 1] = `${blocks[blocks.length - 1] ?? ''} ${trimmed}`;
    previousBlank = trimmed === '';
  }
  return blocks.flatMap((block) => {
    if (block === '') return [''];
    const indent = block.startsWith('- ') ? '  ' : '';
    return wrap(block, HELP_WIDTH - indent.length).map((line, i) => (i === 0 || indent === '' ? line : `${indent}${line}`));
  });
}

/** Splits a command's arguments into positionals, option values and flags, or says what is wrong with them. */
function parseCommandLine(name: string, command: Command, argv: readonly string[]): CommandLine | { problem: string } {
  const args: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      args.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const optionName = equals < 0 ? arg : arg.slice(0, equals);
    const option = command.options.find((o) => o.name === optionName);
    if (!option) return { problem: `unknown option "${optionName}"` };
    const key = option.name.slice(2);
    if (values.has(key) || flags.has(key)) return { problem: `${option.name} is given twice` };
    if (option.value === undefined) {
      if (equals >= 0) return { problem: `${option.name} takes no value` };
      flags.add(key);
      continue;
    }
    let value = equals < 0 ? argv[i + 1] : arg.slice(equals + 1);
    if (equals < 0) {
      if (value !== undefined && value.startsWith('-') && value !== '-') value = undefined;
      else i += 1;
    }
    if (value === undefined || value === '') return { problem: `${option.name} needs a value (${option.value})` };
    values.set(key, value);
  }
  if (args.length > command.maxArgs) return { problem: `too many arguments for ${name}` };
  if (args.length < command.minArgs) return { problem: `missing ${command.args.split(' ')[args.length] ?? 'argument'}` };
  const missing = command.options.find((option) => option.required && !values.has(option.name.slice(2)));
  if (missing) return { problem: `missing ${missing.name} ${missing.value ?? ''}`.trimEnd() };
  return { args, values, flags };
}

/**
 * Runs one command and returns its exit code: 0 success, 1 the command found problems, 2 the
 * command line itself was wrong (usage printed to stderr).
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const [name, ...args] = argv;
  if (name !== undefined && HELP_FLAGS.has(name)) {
    io.stdout.write(usage());
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (name === undefined || !command) {
    io.stderr.write(`${name === undefined ? 'missing command' : `unknown command "${name}"`}\n\n${usage()}`);
    return 2;
  }
  if (args.some((arg) => HELP_FLAGS.has(arg))) {
    io.stdout.write(commandHelp(name, command));
    return 0;
  }
  const line = parseCommandLine(name, command, args);
  if ('problem' in line) {
    io.stderr.write(`${line.problem}\nUsage: leadrelay ${commandUsage(name, command)}\n`);
    return 2;
  }
  return command.run(line, io);
}
