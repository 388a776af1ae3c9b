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
  return {
    /** Milliseconds to wait before calling `method` on `channel`; 0 means the call may go now (and is counted). */
    reserve(method: string, channel: string | undefined, now: number): number {
      const pacing = rules[method];
      if (!pacing) return 0;
      const key = pacing.perChannel ? `${method}:${channel ?? ''}` : method;
      const bucket = buckets.get(key) ?? { tokens: pacing.rule.burst, at: now };
      const tokens = Math.min(pacing.rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * pacing.rule.ratePerSecond);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at: now });
        return 0;
      }
      buckets.set(key, { tokens, at: now });
      return Math.ceil(((1 - tokens) / pacing.rule.ratePerSecond) * 1000);
    },
  };
}

export type SlackPacer = ReturnType<typeof createSlackPacer>;
