import type { Clock } from '../domain/clock.ts';
import type { Settings } from '../domain/settings.ts';
import type { Logger } from './logger.ts';
import type { UnitOfWork } from './ports.ts';

export type AccountOwner = { owner: string | null; source: 'runtime' | 'config' | 'cleared' | 'none'; setBy?: string; setAt?: number };

/**
 * Account owners (`/owner`): set at runtime by managers, winning over the config's `accounts:`
 * until changed back; `none` clears (hides the config's owner). Takes effect for the next lead; who
 * set it and when is recorded.
 */
export function createAccountOwners(deps: { uow: UnitOfWork; clock: Clock; settings: () => Settings; logger: Logger }) {
  return {
    async get(domain: string): Promise<AccountOwner> {
      const runtime = await deps.uow.read((tx) => tx.accounts.get(domain));
      if (runtime) return { owner: runtime.ownerId, source: runtime.ownerId === null ? 'cleared' : 'runtime', setBy: runtime.setBy, setAt: runtime.setAt };
      const fromConfig = deps.settings().accounts.find((account) => account.domain === domain);
      return fromConfig ? { owner: fromConfig.owner, source: 'config' } : { owner: null, source: 'none' };
    },

    /** `owner` null clears the account (the config's owner no longer applies either). */
    async set(domain: string, owner: string | null, by: string): Promise<void> {
      await deps.uow.run(async (tx) => {
        await tx.accounts.set(domain, owner, by, deps.clock.now());
        tx.afterCommit(() => deps.logger.info({ event: 'account.owner', domain, owner, by }, 'account owner changed'));
      });
    },
  };
}

export type AccountOwners = ReturnType<typeof createAccountOwners>;
