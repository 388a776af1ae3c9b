import type { AccountOwnerRepository, RuntimeAccountOwner } from '../../app/ports.ts';
import type { Db } from './openDatabase.ts';

/** Account owners set with `/owner` (AccountOwnerRepository). */
export function sqliteAccountOwnerStore(db: Db): AccountOwnerRepository {
  const get = db.prepare('SELECT owner_id AS ownerId, set_by AS setBy, set_at AS setAt FROM account_owners WHERE domain = ?');
  const set = db.prepare(`INSERT INTO account_owners (domain, owner_id, set_by, set_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (domain) DO UPDATE SET owner_id = excluded.owner_id, set_by = excluded.set_by, set_at = excluded.set_at`);
  return {
    async get(domain) {
      return (get.get(domain) as RuntimeAccountOwner | undefined) ?? null;
    },
    async set(domain, ownerId, by, at) {
      set.run(domain, ownerId, by, at);
    },
  };
}
