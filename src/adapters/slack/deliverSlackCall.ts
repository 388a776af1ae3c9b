import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { stringify } from 'node:querystring';
import type { OutboxRow } from '../sqlite/sqliteOutboxStore.ts';
import type { DeliveryOutcome } from '../outbox/outboxWorker.ts';
import type { SlackPacer } from './slackPacer.ts';
import { deliveryTicket } from '../outbox/deliveryTicket.ts';

/** Slack errors a retry can fix; every other `ok:false` error is permanent (channel_not_found, user_not_found, account_inactive, …). */
const RETRYABLE_SLACK_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'request_timeout', 'service_unavailable', 'team_added_to_org']);

export type SlackFailure = Exclude<DeliveryOutcome, { ok: true }>;
export type SlackCallResult = { ok: true; result: Record<string, unknown> } | SlackFailure;

/**
 * A Web API call's arguments as Slack's form body, the way Slack's own client sends them: strings,
 * numbers and booleans as they are, anything else (blocks, metadata…) as JSON; undefined and null
 * left out.
 */
export function encodeSlackForm(args: Record<string, unknown>): string {
  const form: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    form[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
  }
  return stringify(form);
}

/** What Slack answered, classified: the answer, or whether a retry can help (and when). */
export function classifySlackAnswer(status: number, retryAfter: string | undefined, body: string): SlackCallResult {
  if (status === 429) {
    const seconds = Number.parseInt(retryAfter ?? '', 10);
    return Number.isNaN(seconds) ? { ok: false, retryable: true, error: 'HTTP 429 without a valid Retry-After' } : { ok: false, retryable: true, error: 'ratelimited', retryAfterMs: seconds * 1000 };
  }
  // Slack's Web API uses no status codes besides 200 and 429 on purpose; anything else is the way there failing.
  if (status !== 200) return { ok: false, retryable: status >= 500 || status === 408, error: `HTTP ${status}` };
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { ok: false, retryable: true, error: 'Slack answered with a body that is not JSON' };
  }
  if (result.ok === true) return { ok: true, result };
  const error = typeof result.error === 'string' ? result.error : 'unknown_error';
  return RETRYABLE_SLACK_ERRORS.has(error) ? { ok: false, retryable: true, error } : { ok: false, retryable: false, error };
}

/**
 * A short, bounded code for a call's outcome, for metrics (the same codes `countingFetch` gives Bolt's
 * own calls): `ok`, Slack's own error (`channel_not_found`, `ratelimited`), `http_503` for an HTTP
 * error, `request_error` when Slack was not reached or answered something unreadable.
 */
export function slackOutcomeCode(outcome: SlackCallResult): string {
  if (outcome.ok) return 'ok';
  if (!('error' in outcome)) return 'deferred';
  const http = /^HTTP (\d{3})$/.exec(outcome.error);
  if (http) return `http_${http[1]}`;
  return /^[a-z][a-z0-9_]{0,63}$/.test(outcome.error) ? outcome.error : 'request_error';
}

export interface SlackCallerOptions {
  botToken: string;
  slackApiUrl: string;
  pacer?: SlackPacer;
  now?: () => number;
  /** Told about every call made, for metrics: `ok`, or the error's code (see `slackOutcomeCode`). */
  onCall?: (method: string, code: string) => void;
  /** Default 10 s: a call not answered by then is a (retryable) failure. */
  timeoutMs?: number;
}

/**
 * One attempt at a Slack Web API call, paced and classified, never retried here: retries,
 * Retry-After and ordering are the outbox's. A plain HTTP POST (keep-alive, form body, bearer
 * token) rather than @slack/web-api's WebClient, which costs several times more per call (a request
 * queue, fetch, and debug-log serialization of every body even when nothing is logged): this is the
 * path every card takes.
 */
export function createSlackCaller(options: SlackCallerOptions) {
  const base = new URL(options.slackApiUrl.endsWith('/') ? options.slackApiUrl : `${options.slackApiUrl}/`);
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;

  const post = (method: string, args: Record<string, unknown>) =>
    new Promise<SlackCallResult>((resolve) => {
      const body = encodeSlackForm(args);
      const req = send(
        new URL(method, base),
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${options.botToken}`,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            accept: 'application/json',
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            resolve(classifySlackAnswer(res.statusCode ?? 0, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Buffer.concat(chunks).toString('utf8')));
          });
          res.on('error', (error: Error) => resolve({ ok: false, retryable: true, error: error.message }));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer from Slack within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (error: Error) => resolve({ ok: false, retryable: true, error: error.message }));
      req.end(body);
    });

  return async (method: string, args: Record<string, unknown>): Promise<SlackCallResult> => {
    // Within an outbox delivery, the pacer books this row a slot of its own when it must wait.
    const wait = options.pacer?.reserve(method, typeof args.channel === 'string' ? args.channel : undefined, now(), deliveryTicket.getStore()) ?? 0;
    if (wait > 0) return { ok: false, deferMs: wait };
    const outcome = await post(method, args);
    options.onCall?.(method, slackOutcomeCode(outcome));
    return outcome;
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
