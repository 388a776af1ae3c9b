/**
 * Keeps leadrelay inside Slack's rate limits instead of learning them from 429s: chat.postMessage
 * about one message per second per channel (with a short burst), and chat.update at Tier 3 (~50 per
 * minute) for the workspace. A token bucket per key; `reserve` says how long to wait before a call
 * may be made (0: go now, the token is taken). Time is a parameter.
 */
export interface BucketRule {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens held: the burst allowed after a quiet spell. */
  burst: number;
}

/**
 * The calls the outbox makes that Slack limits tightly (ephemeral answers and App Home publishes go
 * through Bolt's own client, not through the paced caller).
 */
export const SLACK_PACING: Record<string, { rule: BucketRule; perChannel: boolean }> = {
  'chat.postMessage': { rule: { ratePerSecond: 1, burst: 3 }, perChannel: true },
  'chat.update': { rule: { ratePerSecond: 50 / 60, burst: 20 }, perChannel: false },
};

/** A pacing key's token bucket: the tokens left by the calls made as of `at`, and how many slots are booked against them. */
export interface Bucket {
  tokens: number;
  at: number;
  booked: number;
}

/** A slot nobody came back for (the row was delivered otherwise or dropped) is forgotten this long after its time. */
export const SLOT_FORGOTTEN_AFTER_MS = 60_000;

/** The bucket as of `now`: refilled at the rule's rate, at most its burst (a new key starts full). Never moves back in time. */
export function refilled(bucket: Bucket | undefined, rule: BucketRule, now: number): Bucket {
  const from = bucket ?? { tokens: rule.burst, at: now, booked: 0 };
  return { tokens: Math.min(rule.burst, from.tokens + (Math.max(0, now - from.at) / 1000) * rule.ratePerSecond), at: Math.max(from.at, now), booked: from.booked };
}

const waitFor = (tokensNeeded: number, rule: BucketRule) => Math.max(1, Math.ceil((tokensNeeded / rule.ratePerSecond) * 1000));

/** What one `reserve` decides: how long to wait (0: go now, the token is taken), the bucket after it, and the caller's slot after it (null: none). */
export interface PacingDecision {
  wait: number;
  bucket: Bucket;
  slot: number | null;
}

/**
 * The pacing rule, on one key's state, whoever keeps it (this process's memory, or a row every
 * instance shares): `bucket` as stored (undefined: never used), `slot` the time of the caller's
 * booked slot (null: none; always null without a ticket).
 */
export function decide(rule: BucketRule, stored: Bucket | undefined, slot: number | null, hasTicket: boolean, now: number): PacingDecision {
  const bucket = refilled(stored, rule, now);
  if (hasTicket && slot !== null) {
    if (now < slot) return { wait: slot - now, bucket, slot };
    if (bucket.tokens >= 1) return { wait: 0, bucket: { ...bucket, tokens: bucket.tokens - 1, booked: Math.max(0, bucket.booked - 1) }, slot: null };
    // Late, and others back late with it took the tokens: a new slot, still ahead of newcomers.
    const wait = waitFor(1 - bucket.tokens, rule);
    return { wait, bucket, slot: now + wait };
  }
  // A newcomer goes only with a token no booked caller is waiting for.
  if (bucket.tokens - bucket.booked >= 1) return { wait: 0, bucket: { ...bucket, tokens: bucket.tokens - 1 }, slot: null };
  const wait = waitFor(1 + bucket.booked - bucket.tokens, rule);
  if (!hasTicket) return { wait, bucket, slot: null };
  return { wait, bucket: { ...bucket, booked: bucket.booked + 1 }, slot: now + wait };
}

/**
 * One channel's bucket once its two names are known to be one (a user id and their DM): calls made
 * under either name were made to the one channel. `to` undefined: the channel's own name had none.
 */
export function merged(rule: BucketRule, from: Bucket, to: Bucket | undefined): Bucket {
  if (!to) return from;
  const later = refilled(to, rule, from.at);
  return { tokens: from.tokens + later.tokens - rule.burst, at: from.at, booked: from.booked + later.booked };
}

/** The pacing key of a call: the method, or the method and channel (its alias's name when known). */
export function pacingKey(method: string, perChannel: boolean, channel: string | undefined): string {
  return perChannel ? `${method}:${channel ?? ''}` : method;
}

/**
 * What the Slack caller paces with (deliverSlackCall.ts). In this process (`createSlackPacer`), or
 * shared by every instance on PostgreSQL (postgres/postgresSlackPacer.ts): same rule, same answers.
 */
export interface SlackPacer {
  /**
   * Milliseconds to wait before calling `method` on `channel`; 0 means the call may go now (and is
   * counted). With a `ticket` (the outbox row the call is for), a caller that must wait gets a slot of
   * its own: the next caller queues behind it, and when this ticket comes back at its slot it goes
   * first. Without slots, every waiting call would retry at the next token and all but one wait
   * again: quadratic retries for a burst of cards to one DM or of chat.updates.
   */
  reserve(method: string, channel: string | undefined, now: number, ticket?: number): number | Promise<number>;
  /**
   * Slack answered a post to `given` (a user id) from `channel` (their DM's id): calls to either name
   * now share one bucket, the DM's, so a card (posted to the user) and the notes in its thread
   * (posted to the DM) together stay within the channel's limit. Never fails a call that was made.
   */
  learnChannel(given: string, channel: string): void | Promise<void>;
  /** How many booked slots are waiting for their caller. */
  bookedSlots(): number | Promise<number>;
}

/** The pacer of one process: its buckets in memory. */
export function createSlackPacer(rules: Record<string, { rule: BucketRule; perChannel: boolean }> = SLACK_PACING) {
  /**
   * Per key: the tokens left by the calls actually made (refilled at the rule's rate, at most its
   * burst), and how many slots are booked against them. Counting only calls made, when they are made,
   * keeps the pace true however late a booked caller comes back (after a pause, a hold of the outbox,
   * a clock jump, all of them at once would otherwise go at once).
   */
  const buckets = new Map<string, Bucket>();
  /**
   * A user id posted to is that user's DM (`U0ALICE` → `D0…`): both names are one channel to Slack's
   * per-channel limit. Learned from chat.postMessage answers (see `learnChannel`).
   */
  const aliases = new Map<string, string>();
  /** Slots booked for callers that come back (see `ticket`): `key#ticket` → the time of their slot. */
  const booked = new Map<string, number>();
  let sweptAt = 0;

  const keyOf = (method: string, perChannel: boolean, channel: string | undefined) => pacingKey(method, perChannel, (channel !== undefined ? aliases.get(channel) : undefined) ?? channel);
  const sweep = (now: number) => {
    if (now - sweptAt <= SLOT_FORGOTTEN_AFTER_MS) return;
    sweptAt = now;
    for (const [slotKey, at] of booked) {
      if (now - at <= SLOT_FORGOTTEN_AFTER_MS) continue;
      booked.delete(slotKey);
      const bucket = buckets.get(slotKey.slice(0, slotKey.lastIndexOf('#')));
      if (bucket) bucket.booked = Math.max(0, bucket.booked - 1);
    }
  };

  return {
    reserve(method: string, channel: string | undefined, now: number, ticket?: number): number {
      const pacing = rules[method];
      if (!pacing) return 0;
      sweep(now);
      const key = keyOf(method, pacing.perChannel, channel);
      const slotKey = ticket === undefined ? undefined : `${key}#${ticket}`;
      const decision = decide(pacing.rule, buckets.get(key), (slotKey === undefined ? undefined : booked.get(slotKey)) ?? null, slotKey !== undefined, now);
      buckets.set(key, decision.bucket);
      if (slotKey !== undefined) {
        if (decision.slot === null) booked.delete(slotKey);
        else booked.set(slotKey, decision.slot);
      }
      return decision.wait;
    },

    learnChannel(given: string, channel: string): void {
      if (given === channel || aliases.get(given) === channel) return;
      aliases.set(given, channel);
      for (const [method, pacing] of Object.entries(rules)) {
        if (!pacing.perChannel) continue;
        const fromKey = pacingKey(method, true, given);
        const from = buckets.get(fromKey);
        if (!from) continue;
        const toKey = pacingKey(method, true, channel);
        buckets.set(toKey, merged(pacing.rule, from, buckets.get(toKey)));
        buckets.delete(fromKey);
        for (const [slotKey, at] of [...booked]) {
          if (!slotKey.startsWith(`${fromKey}#`)) continue;
          booked.delete(slotKey);
          booked.set(`${toKey}${slotKey.slice(fromKey.length)}`, at);
        }
      }
    },

    bookedSlots(): number {
      return booked.size;
    },
  } satisfies SlackPacer;
}
