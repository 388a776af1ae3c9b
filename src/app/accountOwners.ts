import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../adapters/logger.ts';
import type { Db } from '../adapters/sqlite/openDatabase.ts';

export type AccountOwner = { owner: string | null; source: 'runtime' | 'config' | 'cleared' | 'none'; setBy?: string; setAt?: number };

/**
 * Account owners (`/owner`): set at runtime by managers, winning over the config's
 * `accounts:` until changed back; `none` clears (hides the config's owner). Takes effect for the
 * next lead; who set it and when is recorded.
 */
export function createAccountOwners(deps: { db: Db; clock: Clock; config: () => Config; logger: Logger }) {
  const statements = {
    get: deps.db.prepare('SELECT owner_id, set_by, set_at FROM account_owners WHERE domain = ?'),
    set: deps.db.prepare(`INSERT INTO account_owners (domain, owner_id, set_by, set_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (domain) DO UPDATE SET owner_id = excluded.owner_id, set_by = excluded.set_by, set_at = excluded.set_at`),
  };
  return {
    get(domain: string): AccountOwner {
      const row = statements.get.get(domain) as { owner_id: string | null; set_by: string; set_at: number } | undefined;
      if (row) return { owner: row.owner_id, source: row.owner_id === null ? 'cleared' : 'runtime', setBy: row.set_by, setAt: row.set_at };
      const fromConfig = deps.config().accounts.find((account) => account.domain === domain);
      return fromConfig ? { owner: fromConfig.owner, source: 'config' } : { owner: null, source: 'none' };
    },

    /** `owner` null clears the account (the config's owner no longer applies either). */
    set(domain: string, owner: string | null, by: string): void {
      statements.set.run(domain, owner, by, deps.clock.now());
      deps.logger.info({ event: 'account.owner', domain, owner, by }, 'account owner changed');
    },
  };
}

export type AccountOwners = ReturnType<typeof createAccountOwners>;
