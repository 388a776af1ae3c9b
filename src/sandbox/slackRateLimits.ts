/**
 * Slack's rate limits as the stand-in applies them (docs.slack.dev/apis/web-api/rate-limits):
 * posting messages about one per second per channel with short bursts allowed; chat.update is a
 * Tier 3 method (50+ per minute for the workspace, sporadic bursts welcome); views.publish Tier 4
 * (100+ per minute). Each is a token bucket (rate, burst); a call that finds less than one token
 * (allowing `tolerance` of a call for timing jitter between the caller's clock and ours) is over the
 * limit: Slack answers it `429 Too Many Requests` with `Retry-After`.
 */
export interface RateLimitRule {
  /** Calls allowed per second, sustained. */
  ratePerSecond: number;
  /** Calls allowed at once after a quiet spell. */
  burst: number;
  /** Counted per channel (posting messages) or for the whole workspace (a method's tier). */
  perChannel: boolean;
}

export const SLACK_RATE_LIMITS: Record<string, RateLimitRule> = {
  'chat.postMessage': { ratePerSecond: 1, burst: 3, perChannel: true },
  'chat.postEphemeral': { ratePerSecond: 1, burst: 3, perChannel: true },
  'chat.update': { ratePerSecond: 50 / 60, burst: 20, perChannel: false },
  'views.publish': { ratePerSecond: 100 / 60, burst: 20, perChannel: false },
};

export type RateLimitVerdict = { over: false } | { over: true; overdraft: number; retryAfterSeconds: number };

export interface RateLimitStats {
  /** Calls over the limit, per method. */
  overLimit: Record<string, number>;
  /** The largest overdraft seen, in calls. */
  worstOverdraft: number;
}

/**
 * Token buckets per method (and channel). `enforce`: a call over the limit is refused and uses no
 * token. `audit`: every call is let through and counted, and those over the limit are tallied.
 */
export function createRateLimiter(options: { mode: 'enforce' | 'audit'; rules?: Record<string, RateLimitRule>; tolerance?: number }) {
  const rules = options.rules ?? SLACK_RATE_LIMITS;
  const tolerance = options.tolerance ?? 0.25;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const stats: RateLimitStats = { overLimit: {}, worstOverdraft: 0 };
  return {
    stats,
    /** Counts a call to `method` (on `channel`) at `nowMs`: whether it is over the limit. */
    take(method: string, channel: string | undefined, nowMs: number): RateLimitVerdict {
      const rule = rules[method];
      if (!rule) return { over: false };
      const key = rule.perChannel ? `${method}:${channel ?? ''}` : method;
      const bucket = buckets.get(key) ?? { tokens: rule.burst, at: nowMs };
      const tokens = Math.min(rule.burst, bucket.tokens + (Math.max(0, nowMs - bucket.at) / 1000) * rule.ratePerSecond);
      const after = tokens - 1;
      const over = after < -tolerance;
      if (!over || options.mode === 'audit') buckets.set(key, { tokens: after, at: nowMs });
      else buckets.set(key, { tokens, at: nowMs });
      if (!over) return { over: false };
      const overdraft = Math.round(-after * 100) / 100;
      stats.overLimit[method] = (stats.overLimit[method] ?? 0) + 1;
      stats.worstOverdraft = Math.max(stats.worstOverdraft, overdraft);
      return { over: true, overdraft, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rule.ratePerSecond)) };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
