/**
 * Which database a CLI command reads: PostgreSQL when `--database-url` or DATABASE_URL names one
 * (as the bot does), else the SQLite file (`--db`, else LEADRELAY_DB, else ./data/leadrelay.db).
 */
import { databaseUrlProblem } from '../config/env.ts';
import type { CommandLine } from './index.ts';
import { cliDatabasePath } from './readOnlyDatabase.ts';

export type CliStore =
  | { kind: 'sqlite'; path: string }
  /** `name`: where the URL came from, for messages (`--database-url` or `DATABASE_URL`). */
  | { kind: 'postgres'; url: string; name: '--database-url' | 'DATABASE_URL' };

/** The store, or what is wrong with the options or DATABASE_URL (an exit 2: the command line or environment is wrong). */
export function cliStore(line: CommandLine, env: NodeJS.ProcessEnv): CliStore | { problem: string } {
  const db = line.values.get('db');
  const option = line.values.get('database-url');
  if (db !== undefined && option !== undefined) return { problem: '--db and --database-url name two databases: give one of them' };
  const fromEnv = env.DATABASE_URL?.trim() || undefined;
  // An explicit --db wins over DATABASE_URL in the environment.
  const url = option ?? (db === undefined ? fromEnv : undefined);
  if (url === undefined) return { kind: 'sqlite', path: cliDatabasePath(db, env) };
  const name = option !== undefined ? '--database-url' : 'DATABASE_URL';
  const problem = databaseUrlProblem(url.trim(), name);
  return problem === null ? { kind: 'postgres', url: url.trim(), name } : { problem };
}
