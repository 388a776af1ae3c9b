/**
 * Slack's pacing shared by every instance on one PostgreSQL database. Slack's rate limits are per
 * workspace (chat.update's Tier 3) and per channel (chat.postMessage, about one a second), not per
 * instance: two instances pacing on their own would together make twice the calls. So the buckets
 * live in `slack_pacing` (a row per pacing key), the booked slots in `slack_pacing_slots` and the
 * names learned to be one channel in `slack_channel_aliases` (0001_init.sql), and the rule applied
 * to them is the in-process pacer's own (slack/slackPacer.ts: `decide`, `merged`), so one instance
 * on PostgreSQL paces exactly as one process does on SQLite.
 *
 * Each `reserve` of a paced method is one short transaction: the key's row is created or locked
 * (INSERT … ON CONFLICT DO UPDATE takes the row lock, as SELECT … FOR UPDATE would), read with the
 * caller's slot, decided on, and written back; two instances never spend the same token. Locks are
 * taken pacing rows first (in key order where there are several), slots after, so the sweep and
 * the merging of two names never deadlock with a reserve. One call that was waiting on a user id's
 * row while another instance merged it into the DM's may start that name afresh (a burst's worth,
 * once per user): the alias then sends every later call to the DM's row.
 */
import { SLACK_PACING, SLOT_FORGOTTEN_AFTER_MS, decide, merged, pacingKey, type Bucket, type BucketRule, type SlackPacer } from '../slack/slackPacer.ts';
import type { PoolClient } from 'pg';
import type { PgPool } from './connectPostgres.ts';

type Rules = Record<string, { rule: BucketRule; perChannel: boolean }>;

export interface PostgresSlackPacerOptions {
  /** The methods paced and how (default SLACK_PACING). */
  rules?: Rules;
  /** When an alias is learned (`slack_channel_aliases.learned_at`); default Date.now. */
  now?: () => number;
  /** Learning that two names are one channel failed (the call was made; only their pacing as one waits for the next answer). Default: ignored. */
  onError?: (error: Error) => void;
}

const SQL = {
  // $1 the key's prefix (the method, or `method:` for per-channel pacing), $2 the channel (null when
  // not per channel): the key is pacingKey's, with the channel's alias when one was learned. A new
  // key starts full ($3 the burst, $4 now), as in memory.
  lock: `WITH target AS (
      SELECT $1::text || coalesce((SELECT channel FROM slack_channel_aliases WHERE given = $2), $2, '') AS pacing_key
    ), bucket AS (
      INSERT INTO slack_pacing (pacing_key, tokens, refilled_at, booked) SELECT pacing_key, $3::double precision, $4::bigint, 0 FROM target
      ON CONFLICT (pacing_key) DO UPDATE SET booked = slack_pacing.booked
      RETURNING pacing_key, tokens, refilled_at, booked
    )
    SELECT pacing_key AS key, tokens, refilled_at AS at, booked,
      (SELECT slot_at FROM slack_pacing_slots s WHERE s.pacing_key = bucket.pacing_key AND s.ticket = $5::bigint) AS slot
    FROM bucket`,
  // $5 the ticket (null: none), $6 its slot (null: none, or no longer).
  write: `WITH bucket AS (
      UPDATE slack_pacing SET tokens = $2, refilled_at = $3, booked = $4 WHERE pacing_key = $1
    ), gone AS (
      DELETE FROM slack_pacing_slots WHERE $6::bigint IS NULL AND pacing_key = $1 AND ticket = $5
    )
    INSERT INTO slack_pacing_slots (pacing_key, ticket, slot_at) SELECT $1, $5, $6 WHERE $5::bigint IS NOT NULL AND $6::bigint IS NOT NULL
    ON CONFLICT (pacing_key, ticket) DO UPDATE SET slot_at = excluded.slot_at`,
  lockForgotten: `SELECT pacing_key FROM slack_pacing
    WHERE pacing_key IN (SELECT pacing_key FROM slack_pacing_slots WHERE slot_at < $1) ORDER BY pacing_key FOR UPDATE`,
  forget: `WITH gone AS (
      DELETE FROM slack_pacing_slots WHERE slot_at < $1 RETURNING pacing_key
    ), counted AS (
      SELECT pacing_key, count(*) AS n FROM gone GROUP BY pacing_key
    )
    UPDATE slack_pacing p SET booked = greatest(0, p.booked - counted.n) FROM counted WHERE p.pacing_key = counted.pacing_key`,
  learn: `INSERT INTO slack_channel_aliases (given, channel, learned_at) VALUES ($1, $2, $3)
    ON CONFLICT (given) DO UPDATE SET channel = excluded.channel, learned_at = excluded.learned_at
    WHERE slack_channel_aliases.channel <> excluded.channel
    RETURNING given`,
  lockPair: `SELECT pacing_key AS key, tokens, refilled_at AS at, booked FROM slack_pacing WHERE pacing_key = ANY($1::text[]) ORDER BY pacing_key FOR UPDATE`,
  setBucket: `UPDATE slack_pacing SET tokens = $2, refilled_at = $3, booked = $4 WHERE pacing_key = $1`,
  // The slots of the old name go to the channel's (the old name's slot wins where a ticket has both).
  dropTwinSlots: `DELETE FROM slack_pacing_slots WHERE pacing_key = $2 AND ticket IN (SELECT ticket FROM slack_pacing_slots WHERE pacing_key = $1)`,
  moveSlots: `UPDATE slack_pacing_slots SET pacing_key = $2 WHERE pacing_key = $1`,
  dropBucket: `DELETE FROM slack_pacing WHERE pacing_key = $1`,
  // Renames the key; its slots follow (ON UPDATE CASCADE).
  renameBucket: `UPDATE slack_pacing SET pacing_key = $2 WHERE pacing_key = $1`,
  bookedSlots: `SELECT count(*) AS n FROM slack_pacing_slots`,
} as const;

type Client = PoolClient;

/** Runs `work` in one transaction on a connection of its own. */
async function inTransaction<T>(pool: PgPool, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const query = <R extends object>(client: Client | PgPool, name: keyof typeof SQL, values: unknown[]) => client.query<R>({ name: `pacer.${name}`, text: SQL[name], values });

/** The Slack pacer every instance on the database shares (the same answers as createSlackPacer's, for all instances together). */
export function postgresSlackPacer(pool: PgPool, options: PostgresSlackPacerOptions = {}) {
  const rules = options.rules ?? SLACK_PACING;
  const now = options.now ?? Date.now;
  /** Names this instance knows are one channel: learned once, they never change (a user's DM keeps its id). */
  const known = new Map<string, string>();
  let sweptAt = 0;

  /** Slots nobody came back for are forgotten a minute after their time (by whichever instance sweeps first). */
  const sweep = async (at: number) => {
    if (at - sweptAt <= SLOT_FORGOTTEN_AFTER_MS) return;
    sweptAt = at;
    await inTransaction(pool, async (client) => {
      const { rowCount } = await query(client, 'lockForgotten', [at - SLOT_FORGOTTEN_AFTER_MS]);
      if (rowCount) await query(client, 'forget', [at - SLOT_FORGOTTEN_AFTER_MS]);
    });
  };

  return {
    async reserve(method: string, channel: string | undefined, at: number, ticket?: number): Promise<number> {
      const pacing = rules[method];
      if (!pacing) return 0;
      await sweep(at);
      return inTransaction(pool, async (client) => {
        const { rows } = await query<Bucket & { key: string; slot: number | null }>(client, 'lock', [
          pacingKey(method, pacing.perChannel, ''),
          pacing.perChannel ? (channel ?? null) : null,
          pacing.rule.burst,
          at,
          ticket ?? null,
        ]);
        const stored = rows[0] as Bucket & { key: string; slot: number | null };
        const decision = decide(pacing.rule, { tokens: stored.tokens, at: stored.at, booked: stored.booked }, stored.slot, ticket !== undefined, at);
        await query(client, 'write', [stored.key, decision.bucket.tokens, decision.bucket.at, decision.bucket.booked, ticket ?? null, ticket === undefined ? null : decision.slot]);
        return decision.wait;
      });
    },

    async learnChannel(given: string, channel: string): Promise<void> {
      if (given === channel || known.get(given) === channel) return;
      try {
        await inTransaction(pool, async (client) => {
          const learned = await query(client, 'learn', [given, channel, now()]);
          if (learned.rowCount === 0) return;
          for (const [method, pacing] of Object.entries(rules)) {
            if (!pacing.perChannel) continue;
            const fromKey = pacingKey(method, true, given);
            const toKey = pacingKey(method, true, channel);
            const { rows } = await query<Bucket & { key: string }>(client, 'lockPair', [[fromKey, toKey]]);
            const from = rows.find((row) => row.key === fromKey);
            if (!from) continue;
            const to = rows.find((row) => row.key === toKey);
            const bucket = merged(pacing.rule, from, to);
            if (to) {
              await query(client, 'setBucket', [toKey, bucket.tokens, bucket.at, bucket.booked]);
              await query(client, 'dropTwinSlots', [fromKey, toKey]);
              await query(client, 'moveSlots', [fromKey, toKey]);
              await query(client, 'dropBucket', [fromKey]);
            } else {
              await query(client, 'renameBucket', [fromKey, toKey]);
            }
          }
        });
        known.set(given, channel);
      } catch (error) {
        options.onError?.(error as Error);
      }
    },

    async bookedSlots(): Promise<number> {
      return ((await query<{ n: number }>(pool, 'bookedSlots', [])).rows[0] as { n: number }).n;
    },
  } satisfies SlackPacer;
}
