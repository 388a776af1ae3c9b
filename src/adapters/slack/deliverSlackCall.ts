import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import type { OutboxRow } from '../sqlite/sqliteOutboxStore.ts';
import type { DeliveryOutcome } from '../outbox/outboxWorker.ts';

/** Slack errors a retry can fix; every other `ok:false` error is permanent (channel_not_found, user_not_found, account_inactive, …). */
const RETRYABLE_SLACK_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'request_timeout', 'service_unavailable', 'team_added_to_org']);

/**
 * Performs an outbox row that is a Slack Web API call. The client makes exactly one attempt
 * (no retries, 429s rejected), so that retries, Retry-After and ordering are the outbox's.
 */
export function createSlackDeliverer(options: { botToken: string; slackApiUrl: string }) {
  const client = new WebClient(options.botToken, {
    slackApiUrl: options.slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
  return async (row: OutboxRow): Promise<DeliveryOutcome> => {
    try {
      const result = (await client.apiCall(row.method, row.payload as Record<string, unknown>)) as { ts?: string; channel?: string };
      return { ok: true, result: { ts: result.ts, channel: result.channel } };
    } catch (error) {
      return classifySlackError(error);
    }
  };
}

export function classifySlackError(error: unknown): DeliveryOutcome {
  const code = (error as { code?: string }).code;
  switch (code) {
    case ErrorCode.RateLimitedError:
      return { ok: false, retryable: true, error: 'ratelimited', retryAfterMs: (error as WebAPIRateLimitedError).retryAfter * 1000 };
    case ErrorCode.PlatformError: {
      const slackError = (error as WebAPIPlatformError).data.error;
      return RETRYABLE_SLACK_ERRORS.has(slackError) ? { ok: false, retryable: true, error: slackError } : { ok: false, retryable: false, error: slackError };
    }
    case ErrorCode.HTTPError: {
      const status = (error as WebAPIHTTPError).statusCode;
      return { ok: false, retryable: status >= 500 || status === 408, error: `HTTP ${status}` };
    }
    default:
      return { ok: false, retryable: true, error: (error as Error).message };
  }
}
