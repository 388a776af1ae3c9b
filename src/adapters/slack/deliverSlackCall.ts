import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import type { OutboxRow } from '../sqlite/sqliteOutboxStore.ts';
import type { DeliveryOutcome } from '../outbox/outboxWorker.ts';
import type { SlackPacer } from './slackPacer.ts';

/** Slack errors a retry can fix; every other `ok:false` error is permanent (channel_not_found, user_not_found, account_inactive, …). */
const RETRYABLE_SLACK_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'request_timeout', 'service_unavailable', 'team_added_to_org']);

export type SlackFailure = Exclude<DeliveryOutcome, { ok: true }>;
export type SlackCallResult = { ok: true; result: Record<string, unknown> } | SlackFailure;

export function classifySlackError(error: unknown): SlackFailure {
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

/**
 * A short, bounded code for a failed call, for metrics: Slack's own error (`channel_not_found`,
 * `ratelimited`), `http_503` for an HTTP error, `request_error` when Slack was not reached.
 */
export function slackErrorCode(error: unknown): string {
  switch ((error as { code?: string }).code) {
    case ErrorCode.RateLimitedError:
      return 'ratelimited';
    case ErrorCode.PlatformError:
      return (error as WebAPIPlatformError).data.error;
    case ErrorCode.HTTPError:
      return `http_${(error as WebAPIHTTPError).statusCode}`;
    default:
      return 'request_error';
  }
}

export interface SlackCallerOptions {
  botToken: string;
  slackApiUrl: string;
  pacer?: SlackPacer;
  now?: () => number;
  /** Told about every call made, for metrics: `ok`, or the error's code (see `slackErrorCode`). */
  onCall?: (method: string, code: string) => void;
}

/**
 * One attempt at a Slack Web API call, paced and classified: the client itself never retries and
 * rejects 429s, so that retries, Retry-After and ordering are the outbox's.
 */
export function createSlackCaller(options: SlackCallerOptions) {
  const client = new WebClient(options.botToken, {
    slackApiUrl: options.slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
  const now = options.now ?? Date.now;
  return async (method: string, args: Record<string, unknown>): Promise<SlackCallResult> => {
    const wait = options.pacer?.reserve(method, typeof args.channel === 'string' ? args.channel : undefined, now()) ?? 0;
    if (wait > 0) return { ok: false, deferMs: wait };
    try {
      const result = (await client.apiCall(method, args)) as unknown as Record<string, unknown>;
      options.onCall?.(method, 'ok');
      return { ok: true, result };
    } catch (error) {
      options.onCall?.(method, slackErrorCode(error));
      return classifySlackError(error);
    }
  };
}

export type SlackCaller = ReturnType<typeof createSlackCaller>;

/** Performs an outbox row that is a stored Slack Web API call (e.g. a sequence's channel note). */
export function createSlackDeliverer(call: SlackCaller) {
  return async (row: OutboxRow): Promise<DeliveryOutcome> => {
    const outcome = await call(row.method, row.payload as Record<string, unknown>);
    return outcome.ok ? { ok: true, result: { ts: outcome.result.ts, channel: outcome.result.channel } } : outcome;
  };
}
