import type { WebClient } from '@slack/web-api';

const TTL_MS = 60 * 60_000;

/**
 * A user's time zone from users.info, cached for an hour ("until 14:00" is read in the user's own
 * zone). Falls back to the given zone (the rep's config zone) when Slack cannot say.
 */
export function createUserTimeZones(now: () => number) {
  const cache = new Map<string, { tz: string; at: number }>();
  return async (client: WebClient, userId: string, fallback: string): Promise<string> => {
    const cached = cache.get(userId);
    if (cached && now() - cached.at < TTL_MS) return cached.tz;
    try {
      const info = await client.users.info({ user: userId });
      const tz = info.user?.tz;
      if (tz) {
        cache.set(userId, { tz, at: now() });
        return tz;
      }
    } catch {
      // Slack unreachable or the user unknown to it: the config's zone is a good answer.
    }
    return fallback;
  };
}
