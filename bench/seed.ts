/**
 * Databases for the expiry and restart phases, built through the bot's own use cases (accept, then
 * route: leads, offers, history, outbox rows and round-robin state exactly as the bot writes them)
 * and, for the 100,000-lead restart database, multiplied by SQL copies of those rows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAcceptLead } from '../src/app/acceptLead.ts';
import { createEventBus } from '../src/app/events.ts';
import { createLeadRouter } from '../src/app/routeLead.ts';
import { createLogger } from '../src/adapters/logger.ts';
import { openDatabase, type Db } from '../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../src/adapters/sqlite/sqliteStore.ts';
import { parseConfig } from '../src/config/loadConfig.ts';
import type { Config } from '../src/config/schema.ts';
import type { Lead } from '../src/domain/lead.ts';
import { benchConfigYaml, TEAM_COUNT, type PoolLayout } from './benchConfig.ts';

/** Writes a bench config (40 teams of 10 by default) next to the database and returns it parsed. */
export function writeBenchConfig(dir: string, name = 'bench.yml', layout: PoolLayout = 'teams'): { path: string; config: Config } {
  const path = join(dir, name);
  const yaml = benchConfigYaml('10m', layout);
  writeFileSync(path, yaml);
  const parsed = parseConfig(yaml, path);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { path, config: parsed.config };
}

/**
 * Accepts and routes `count` leads (spread over the 40 teams) through the use cases, received a
 * minute ago; their cards are marked as delivered without a Slack message (no chat.update follows).
 */
export async function seedOfferedLeads(db: Db, config: Config, count: number, firstIndex = 0): Promise<void> {
  let now = Date.now() - 60_000;
  const clock = { now: () => now };
  const { uow } = sqliteStore(db);
  const accept = createAcceptLead({ uow, clock, config: () => config });
  const events = createEventBus((error) => {
    throw error;
  });
  const router = createLeadRouter({ uow, clock, settings: () => config, events, logger: createLogger('silent') });
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, k) => firstIndex + start + k);
    const results = await Promise.all(
      batch.map((i) =>
        accept({
          lead: { source: 'form', email: `seed${i}@company${i % 300}.example`, name: `Seed ${i}`, company: { name: `Company ${i % 300}` }, fields: { team_no: i % TEAM_COUNT } } as Lead,
          requestHash: String(i),
        }),
      ),
    );
    await Promise.all(results.map((r) => (r.status === 'accepted' ? router.routeSoon(r.leadId) : undefined)));
    now += 1;
  }
  db.prepare(`UPDATE outbox SET state = 'done', attempts = 1, done_at = ? WHERE state = 'pending'`).run(now);
}

/** Opens (and migrates) a bench database and seeds `offered` leads with a pending offer each. */
export async function seedExpiryDb(path: string, config: Config, offered: number): Promise<number> {
  const db = openDatabase(path);
  try {
    await seedOfferedLeads(db, config, offered);
    return (db.prepare(`SELECT count(*) AS n FROM offers WHERE state = 'pending'`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * The restart database: `pending` leads offered and waiting (one pending offer each) and
 * `total - pending` older leads claimed and done, with their offers, history and delivered outbox
 * rows. 400 leads are made by the use cases; the rest are copies of their rows (new ids, keys and
 * times), in one transaction.
 */
export async function seedRestartDb(path: string, config: Config, options: { total: number; pending: number }): Promise<{ leads: number; pendingOffers: number }> {
  const TEMPLATE = 400;
  if (options.total % TEMPLATE !== 0 || options.pending % TEMPLATE !== 0) throw new Error(`total and pending must be multiples of ${TEMPLATE}`);
  const db = openDatabase(path);
  try {
    await seedOfferedLeads(db, config, TEMPLATE);
    const copies = options.total / TEMPLATE - 1;
    const pendingCopies = options.pending / TEMPLATE - 1;
    const offersPerCopy = (db.prepare('SELECT max(id) AS n FROM offers').get() as { n: number }).n;
    const now = Date.now();
    // Bench data, not leads: the copies need not be durable until the checkpoint below.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.transaction(() => {
      const series = `WITH RECURSIVE copy(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM copy WHERE c < ${copies})`;
      // Copies 1..pendingCopies stay offered; the others are older leads, claimed and then done.
      db.prepare(`${series}
        INSERT INTO leads (id, external_id, source, email_key, linkedin_key, domain, payload, state, owner_id, team_id, sequence_id,
          routed_by, version, trace, received_at, updated_at, first_offered_at, claimed_at, done_at)
        SELECT l.id + c * ${TEMPLATE}, NULL, l.source, l.email_key || '.' || c, l.linkedin_key, l.domain, l.payload,
          CASE WHEN c <= ${pendingCopies} THEN l.state ELSE 'done' END,
          CASE WHEN c <= ${pendingCopies} THEN NULL ELSE o.rep_id END,
          l.team_id, l.sequence_id, l.routed_by, l.version + CASE WHEN c <= ${pendingCopies} THEN 0 ELSE 2 END, l.trace,
          l.received_at - c * 60000, l.updated_at - c * 60000, l.first_offered_at - c * 60000,
          CASE WHEN c <= ${pendingCopies} THEN NULL ELSE l.received_at - c * 60000 + 30000 END,
          CASE WHEN c <= ${pendingCopies} THEN NULL ELSE l.received_at - c * 60000 + 3600000 END
        FROM leads l JOIN offers o ON o.lead_id = l.id, copy WHERE l.id <= ${TEMPLATE}`).run();
      db.prepare(`${series}
        INSERT INTO offers (id, lead_id, rep_id, attempt, state, version, offered_at, deadline_at, remind_at, reminded_at, resolved_at, reason, why, channel_id, message_ts)
        SELECT o.id + c * ${offersPerCopy}, o.lead_id + c * ${TEMPLATE}, o.rep_id, o.attempt,
          CASE WHEN c <= ${pendingCopies} THEN 'pending' ELSE 'claimed' END, o.version + CASE WHEN c <= ${pendingCopies} THEN 0 ELSE 1 END,
          o.offered_at - c * 60000, o.deadline_at - c * 60000, o.remind_at, o.reminded_at,
          CASE WHEN c <= ${pendingCopies} THEN NULL ELSE o.offered_at - c * 60000 + 30000 END, o.reason, o.why,
          'D' || o.rep_id, printf('%d.%06d', (o.offered_at - c * 60000) / 1000, o.id + c * ${offersPerCopy})
        FROM offers o, copy WHERE o.lead_id <= ${TEMPLATE}`).run();
      db.prepare(`${series}
        INSERT INTO lead_history (lead_id, at, actor, event, detail)
        SELECT h.lead_id + c * ${TEMPLATE}, h.at - c * 60000, h.actor, h.event, h.detail FROM lead_history h, copy WHERE h.lead_id <= ${TEMPLATE}
        UNION ALL
        SELECT o.lead_id + c * ${TEMPLATE}, o.offered_at - c * 60000 + 30000, o.rep_id, 'claimed', '{"offer":' || o.id || '}' FROM offers o, copy
          WHERE o.lead_id <= ${TEMPLATE} AND c > ${pendingCopies}
        UNION ALL
        SELECT o.lead_id + c * ${TEMPLATE}, o.offered_at - c * 60000 + 3600000, o.rep_id, 'done', NULL FROM offers o, copy
          WHERE o.lead_id <= ${TEMPLATE} AND c > ${pendingCopies}`).run();
      db.prepare(`${series}
        INSERT INTO outbox (lead_id, kind, method, payload, state, attempts, next_attempt_at, result, created_at, done_at)
        SELECT x.lead_id + c * ${TEMPLATE}, x.kind, x.method, x.payload, 'done', 1, x.next_attempt_at - c * 60000, x.result,
          x.created_at - c * 60000, x.created_at - c * 60000 + 50
        FROM outbox x, copy WHERE x.lead_id <= ${TEMPLATE}`).run();
      db.prepare(`UPDATE offers SET deadline_at = ? WHERE state = 'pending'`).run(now + 10 * 60_000);
    })();
    db.pragma('journal_mode = WAL');
    return {
      leads: (db.prepare('SELECT count(*) AS n FROM leads').get() as { n: number }).n,
      pendingOffers: (db.prepare(`SELECT count(*) AS n FROM offers WHERE state = 'pending'`).get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}
