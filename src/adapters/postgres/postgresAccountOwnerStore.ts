import type { AccountOwnerRepository, RuntimeAccountOwner } from '../../app/ports.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { firstRow } from './pgQuery.ts';

/** Account owners set with `/owner` (AccountOwnerRepository). */
export function postgresAccountOwnerStore(q: PgQueryable): AccountOwnerRepository {
  return {
    async get(domain) {
      return firstRow<RuntimeAccountOwner>(q, 'SELECT owner_id AS "ownerId", set_by AS "setBy", set_at AS "setAt" FROM account_owners WHERE domain = $1', [domain]);
    },
    async set(domain, ownerId, by, at) {
      await q.query(
        `INSERT INTO account_owners (domain, owner_id, set_by, set_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (domain) DO UPDATE SET owner_id = excluded.owner_id, set_by = excluded.set_by, set_at = excluded.set_at`,
        [domain, ownerId, by, at],
      );
    },
  };
}
