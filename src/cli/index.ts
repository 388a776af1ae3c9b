/**
 * The `leadrelay` command line (SPEC 10). bin/leadrelay.js calls `runCli`; tests call it too, with
 * their own output writers and environment, and read the exit code it returns.
 */
import { runCheck } from './check.ts';

/** Anything output can be written to: process.stdout, or a test's collector. */
export interface Writer {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
}

interface Command {
  /** Arguments as shown in the usage, e.g. `[config]`. */
  args: string;
  summary: string;
  /** Most positional arguments the command takes. */
  maxArgs: number;
  run(args: readonly string[], io: CliIo): Promise<number> | number;
}

const COMMANDS = new Map<string, Command>([
  [
    'check',
    {
      args: '[config]',
      summary: 'validate a config file (default: $LEADRELAY_CONFIG or ./leadrelay.yml); exit 1 with every error',
      maxArgs: 1,
      run: (args, io) => runCheck(args[0], io),
    },
  ],
]);

const HELP_FLAGS = new Set(['help', '--help', '-h']);

function usage(): string {
  const entries = [...COMMANDS].map(([name, command]) => [`${name} ${command.args}`.trim(), command.summary] as const);
  entries.push(['help', 'show this help']);
  const width = Math.max(...entries.map(([left]) => left.length));
  const lines = entries.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
  return ['Usage: leadrelay <command> [arguments]', '', 'Commands:', ...lines, ''].join('\n');
}

/** What is wrong with a command's arguments, if anything. */
function argumentProblem(name: string, command: Command, args: readonly string[]): string | undefined {
  const option = args.find((arg) => arg.startsWith('-'));
  if (option !== undefined) return `unknown option "${option}"`;
  if (args.length > command.maxArgs) return `too many arguments for ${name}`;
  return undefined;
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
  if (!command) {
    io.stderr.write(`${name === undefined ? 'missing command' : `unknown command "${name}"`}\n\n${usage()}`);
    return 2;
  }
  if (args.some((arg) => HELP_FLAGS.has(arg))) {
    io.stdout.write(`Usage: leadrelay ${name} ${command.args}\n  ${command.summary}\n`);
    return 0;
  }
  const problem = argumentProblem(name ?? '', command, args);
  if (problem) {
    io.stderr.write(`${problem}\nUsage: leadrelay ${name} ${command.args}\n`);
    return 2;
  }
  return command.run(args, io);
}
