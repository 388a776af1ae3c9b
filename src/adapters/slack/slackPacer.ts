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

export const SLACK_PACING: Record<string, { rule: BucketRule; perChannel: boolean }> = {
  'chat.postMessage': { rule: { ratePerSecond: 1, burst: 3 }, perChannel: true },
  'chat.postEphemeral': { rule: { ratePerSecond: 1, burst: 3 }, perChannel: true },
  'chat.update': { rule: { ratePerSecond: 50 / 60, burst: 20 }, perChannel: false },
  'views.publish': { rule: { ratePerSecond: 100 / 60, burst: 20 }, perChannel: false },
};

export function createSlackPacer(rules: Record<string, { rule: BucketRule; perChannel: boolean }> = SLACK_PACING) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  /** Slots booked for callers that come back (see `ticket`): `key#ticket` → the time of their slot. */
  const booked = new Map<string, number>();
  let sweptAt = 0;
  return {
    /**
     * Milliseconds to wait before calling `method` on `channel`; 0 means the call may go now (and is
     * counted). With a `ticket` (the outbox row the call is for), a caller that must wait gets a slot of
     * its own: the token is taken now, the next caller queues behind it, and when this ticket comes back
     * at its slot it goes at once. Without slots, every waiting call would retry at the next token and
     * all but one wait again: quadratic retries for a burst of cards to one DM or of chat.updates.
     */
    reserve(method: string, channel: string | undefined, now: number, ticket?: number): number {
      const pacing = rules[method];
      if (!pacing) return 0;
      const key = pacing.perChannel ? `${method}:${channel ?? ''}` : method;
      const slotKey = ticket === undefined ? undefined : `${key}#${ticket}`;
      if (slotKey !== undefined) {
        const slot = booked.get(slotKey);
        if (slot !== undefined) {
          if (now < slot) return slot - now;
          booked.delete(slotKey);
          return 0;
        }
      }
      const bucket = buckets.get(key) ?? { tokens: pacing.rule.burst, at: now };
      const tokens = Math.min(pacing.rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * pacing.rule.ratePerSecond);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at: now });
        return 0;
      }
      const wait = Math.ceil(((1 - tokens) / pacing.rule.ratePerSecond) * 1000);
      if (slotKey === undefined) {
        buckets.set(key, { tokens, at: now });
        return wait;
      }
      // Book the slot: the token is spent now (the bucket goes below zero by the slots booked).
      buckets.set(key, { tokens: tokens - 1, at: now });
      booked.set(slotKey, now + wait);
      // Slots nobody came back for (the row was delivered otherwise or dropped) are forgotten after a while.
      if (now - sweptAt > 60_000) {
        sweptAt = now;
        for (const [k, at] of booked) if (now - at > 60_000) booked.delete(k);
      }
      return wait;
    },

    /** How many booked slots are waiting for their caller. */
    bookedSlots(): number {
      return booked.size;
    },
  };
}

export type SlackPacer = ReturnType<typeof createSlackPacer>;
