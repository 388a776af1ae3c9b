import { describe, expect, it } from 'vitest';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteLeadStore } from '../../src/adapters/sqlite/sqliteLeadStore.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { FakeClock } from '../support/fakeClock.ts';

const config = { dedupe: { window: 1000 }, reps: [], teams: [] };
const lead = (email: string): Lead => ({ source: 'form', email, company: {}, fields: {} });

describe('acceptLead', () => {
  it('rolls back only the lead that fails inside a group commit', async () => {
    const db = openDatabase(':memory:');
    const leads = sqliteLeadStore(db);
    const failing = {
      ...leads,
      insertLead: (row: Parameters<typeof leads.insertLead>[0]) => {
        if (row.lead.email === 'boom@acme.com') {
          leads.insertLead(row); // written, then rolled back with its savepoint
          throw new Error('disk says no');
        }
        return leads.insertLead(row);
      },
    };
    const accept = createAcceptLead({ db, leads: failing, clock: new FakeClock(), config: () => config });
    const results = await Promise.allSettled([accept({ lead: lead('a@acme.com'), requestHash: 'a' }), accept({ lead: lead('boom@acme.com'), requestHash: 'b' }), accept({ lead: lead('c@beta.io'), requestHash: 'c' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT email_key FROM leads ORDER BY id').all()).toEqual([{ email_key: 'a@acme.com' }, { email_key: 'c@beta.io' }]);
    expect(db.prepare("SELECT count(*) AS n FROM lead_history WHERE event = 'received'").get()).toEqual({ n: 2 });
  });
});
