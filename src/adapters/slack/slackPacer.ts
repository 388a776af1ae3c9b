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

export function createSlackPacer(rules: Record<string, { rule: BucketRule; perChannel: boolean }> = SLACK_PACING) {
  /**
   * Per key: the tokens left by the calls actually made (refilled at the rule's rate, at most its
   * burst), and how many slots are booked against them. Counting only calls made, when they are made,
   * keeps the pace true however late a booked caller comes back (after a pause, a hold of the outbox,
   * a clock jump, all of them at once would otherwise go at once).
   */
  const buckets = new Map<string, { tokens: number; at: number; booked: number }>();
  /**
   * A user id posted to is that user's DM (`U0ALICE` → `D0…`): both names are one channel to Slack's
   * per-channel limit. Learned from chat.postMessage answers (see `learnChannel`).
   */
  const aliases = new Map<string, string>();
  /** Slots booked for callers that come back (see `ticket`): `key#ticket` → the time of their slot. */
  const booked = new Map<string, number>();
  let sweptAt = 0;

  const keyOf = (method: string, perChannel: boolean, channel: string | undefined) =>
    perChannel ? `${method}:${(channel !== undefined ? aliases.get(channel) : undefined) ?? channel ?? ''}` : method;
  const refilled = (key: string, rule: BucketRule, now: number) => {
    const bucket = buckets.get(key) ?? { tokens: rule.burst, at: now, booked: 0 };
    bucket.tokens = Math.min(rule.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rule.ratePerSecond);
    bucket.at = Math.max(bucket.at, now);
    buckets.set(key, bucket);
    return bucket;
  };
  const waitFor = (tokensNeeded: number, rule: BucketRule) => Math.max(1, Math.ceil((tokensNeeded / rule.ratePerSecond) * 1000));
  /** Slots nobody came back for (the row was delivered otherwise or dropped) are forgotten a minute after their time. */
  const sweep = (now: number) => {
    if (now - sweptAt <= 60_000) return;
    sweptAt = now;
    for (const [slotKey, at] of booked) {
      if (now - at <= 60_000) continue;
      booked.delete(slotKey);
      const bucket = buckets.get(slotKey.slice(0, slotKey.lastIndexOf('#')));
      if (bucket) bucket.booked = Math.max(0, bucket.booked - 1);
    }
  };

  return {
    /**
     * Milliseconds to wait before calling `method` on `channel`; 0 means the call may go now (and is
     * counted). With a `ticket` (the outbox row the call is for), a caller that must wait gets a slot of
     * its own: the next caller queues behind it, and when this ticket comes back at its slot it goes
     * first. Without slots, every waiting call would retry at the next token and all but one wait
     * again: quadratic retries for a burst of cards to one DM or of chat.updates.
     */
    reserve(method: string, channel: string | undefined, now: number, ticket?: number): number {
      const pacing = rules[method];
      if (!pacing) return 0;
      sweep(now);
      const key = keyOf(method, pacing.perChannel, channel);
      const bucket = refilled(key, pacing.rule, now);
      const slotKey = ticket === undefined ? undefined : `${key}#${ticket}`;
      const slot = slotKey === undefined ? undefined : booked.get(slotKey);
      if (slotKey !== undefined && slot !== undefined) {
        if (now < slot) return slot - now;
        if (bucket.tokens >= 1) {
          bucket.tokens -= 1;
          bucket.booked = Math.max(0, bucket.booked - 1);
          booked.delete(slotKey);
          return 0;
        }
        // Late, and others back late with it took the tokens: a new slot, still ahead of newcomers.
        const wait = waitFor(1 - bucket.tokens, pacing.rule);
        booked.set(slotKey, now + wait);
        return wait;
      }
      // A newcomer goes only with a token no booked caller is waiting for.
      if (bucket.tokens - bucket.booked >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      const wait = waitFor(1 + bucket.booked - bucket.tokens, pacing.rule);
      if (slotKey === undefined) return wait;
      bucket.booked += 1;
      booked.set(slotKey, now + wait);
      return wait;
    },

    /**
     * Slack answered a post to `given` (a user id) from `channel` (their DM's id): calls to either name
     * now share one bucket, the DM's, so a card (posted to the user) and the notes in its thread
     * (posted to the DM) together stay within the channel's limit.
     */
    learnChannel(given: string, channel: string): void {
      if (given === channel || aliases.get(given) === channel) return;
      aliases.set(given, channel);
      for (const [method, pacing] of Object.entries(rules)) {
        if (!pacing.perChannel) continue;
        const fromKey = `${method}:${given}`;
        const from = buckets.get(fromKey);
        if (!from) continue;
        const toKey = `${method}:${channel}`;
        const to = buckets.has(toKey) ? refilled(toKey, pacing.rule, from.at) : undefined;
        // Calls made under either name were made to the one channel.
        buckets.set(toKey, to ? { tokens: from.tokens + to.tokens - pacing.rule.burst, at: from.at, booked: from.booked + to.booked } : from);
        buckets.delete(fromKey);
        for (const [slotKey, at] of [...booked]) {
          if (!slotKey.startsWith(`${fromKey}#`)) continue;
          booked.delete(slotKey);
          booked.set(`${toKey}${slotKey.slice(fromKey.length)}`, at);
        }
      }
    },

    /** How many booked slots are waiting for their caller. */
    bookedSlots(): number {
      return booked.size;
    },
  };
}

export type SlackPacer = ReturnType<typeof createSlackPacer>;
