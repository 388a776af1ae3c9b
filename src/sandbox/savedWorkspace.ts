/**
 * Sandbox mode with `LEADRELAY_DB`: the leads survive a restart in the database, so the stand-in's
 * Slack workspace (the messages the bot posted, the App Homes) is kept beside it in a JSON file.
 * Without it, a restarted sandbox would have forgotten every card the bot still updates, and the
 * bot would log an error for each. The file is written shortly after each change and at stop,
 * atomically (a new file renamed over the old one).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../adapters/logger.ts';
import type { SlackStandIn } from './slackStandIn.ts';
import type { SavedWorkspace } from './slackWorkspace.ts';

/** Where the workspace of a sandbox on the database at `dbPath` is kept; null for an in-memory database. */
export function savedWorkspacePath(dbPath: string): string | null {
  return dbPath === ':memory:' || dbPath === '' ? null : `${dbPath}.sandbox-slack.json`;
}

/** How long after a change the file is written: a burst of Slack calls is one write. */
const SAVE_DELAY_MS = 200;

export interface WorkspaceKeeper {
  /** What happened at start, for the start-up note: restored, started fresh, or nothing to restore. */
  readonly restored: 'restored' | 'new' | 'missing';
  /** Writes the file now (at stop). */
  flush(): void;
  close(): void;
}

/**
 * Restores the workspace saved at `path` into `slack` (only when the database has leads: a file
 * beside a new database is from an older one, and is replaced) and keeps the file up to date.
 */
export function keepWorkspace(slack: SlackStandIn, path: string, databaseHasLeads: boolean, logger: Logger): WorkspaceKeeper {
  let restored: WorkspaceKeeper['restored'] = databaseHasLeads ? 'missing' : 'new';
  if (databaseHasLeads && existsSync(path)) {
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedWorkspace;
      if (saved.version !== 1) throw new Error(`unknown version ${String(saved.version)}`);
      slack.workspace.restoreState(saved);
      restored = 'restored';
    } catch (error) {
      logger.warn({ err: error, file: path }, 'sandbox: the saved Slack workspace could not be read; starting with an empty one');
    }
  }
  if (restored === 'missing') {
    logger.warn({ file: path }, 'sandbox: the database has leads but no saved Slack workspace beside it; messages posted before are gone, and updates to their cards will fail');
  }
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const write = () => {
    timer = undefined;
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(slack.workspace.saveState()));
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      logger.warn({ err: error, file: path }, 'sandbox: could not save the Slack workspace');
    }
  };
  const stopListening = slack.onChange(() => {
    if (closed || timer !== undefined) return;
    timer = setTimeout(write, SAVE_DELAY_MS);
    timer.unref();
  });
  write();
  return {
    restored,
    flush() {
      if (timer !== undefined) clearTimeout(timer);
      write();
    },
    close() {
      closed = true;
      stopListening();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
