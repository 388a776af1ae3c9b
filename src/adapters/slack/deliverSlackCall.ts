import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { stringify } from 'node:querystring';
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

/** The write methods whose JSON bodies Slack documents (its changelog "Keeping up with the JSONs"). */
const JSON_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.delete', 'chat.scheduleMessage']);

/**
 * A call's body: JSON for the chat.* write methods (what Slack recommends for them: blocks and
 * metadata go as they are, without being serialized into form fields and percent-encoded, which
 * cost a card more than rendering it), a form for every other method (Slack's read methods take no
 * JSON). Undefined and null arguments are left out either way.
 */
export function encodeSlackBody(method: string, args: Record<string, unknown>): { body: string; contentType: string } {
  if (!JSON_METHODS.has(method)) return { body: encodeSlackForm(args), contentType: 'application/x-www-form-urlencoded' };
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) if (value !== undefined && value !== null) given[key] = value;
  return { body: JSON.stringify(given), contentType: 'application/json; charset=utf-8' };
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
 * token; a JSON body for chat.*, see encodeSlackBody) rather than @slack/web-api's WebClient, which costs several times more per call (a request
 * queue, fetch, and debug-log serialization of every body even when nothing is logged): this is the
 * path every card takes.
 */
export function createSlackCaller(options: SlackCallerOptions) {
  const base = new URL(options.slackApiUrl.endsWith('/') ? options.slackApiUrl : `${options.slackApiUrl}/`);
  const post = createHttpPoster(options.timeoutMs);
  const now = options.now ?? Date.now;

  return async (method: string, args: Record<string, unknown>): Promise<SlackCallResult> => {
    // Within an outbox delivery, the pacer books this row a slot of its own when it must wait.
    const wait = (await options.pacer?.reserve(method, typeof args.channel === 'string' ? args.channel : undefined, now(), deliveryTicket.getStore())) ?? 0;
    if (wait > 0) return { ok: false, deferMs: wait };
    const { body, contentType } = encodeSlackBody(method, args);
    const answer = await post(new URL(method, base), body, { authorization: `Bearer ${options.botToken}`, 'content-type': contentType });
    const outcome = 'error' in answer ? answer : classifySlackAnswer(answer.status, answer.retryAfter, answer.body);
    options.onCall?.(method, slackOutcomeCode(outcome));
    // A post to a user id lands in their DM: pace both names as the one channel they are.
    if (outcome.ok && typeof args.channel === 'string' && typeof outcome.result.channel === 'string') await options.pacer?.learnChannel(args.channel, outcome.result.channel);
    return outcome;
  };
}

/** An HTTP answer as read, or a (retryable) failure to get one. */
type HttpAnswer = { status: number; retryAfter: string | undefined; body: string } | { ok: false; retryable: true; error: string };

/** POSTs a body over keep-alive connections (one agent per scheme); a request not answered within `timeoutMs` (default 10 s) fails. */
function createHttpPoster(timeoutMs = 10_000) {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  return (url: URL, body: string, headers: Record<string, string>) =>
    new Promise<HttpAnswer>((resolve) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method: 'POST', agent: secure ? agents.https : agents.http, headers: { ...headers, 'content-length': Buffer.byteLength(body), accept: 'application/json' } },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (error: Error) => resolve({ ok: false, retryable: true, error: error.message }));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer from Slack within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (error: Error) => resolve({ ok: false, retryable: true, error: error.message }));
      req.end(body);
    });
}

/**
 * What Slack answered to a post on a response_url: 200 is done (the body may be `ok` or JSON);
 * 404/410 mean the URL is used up (5 posts), expired (30 minutes) or unknown, for good; 429 and
 * 5xx are worth a retry.
 */
export function classifyResponseUrlAnswer(status: number, retryAfter: string | undefined, body: string): SlackCallResult {
  if (status === 200) return { ok: true, result: {} };
  let error = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') error = parsed.error;
  } catch {
    if (/^[a-z_]{1,64}$/.test(body.trim())) error = body.trim();
  }
  if (status === 429) {
    const seconds = Number.parseInt(retryAfter ?? '', 10);
    return { ok: false, retryable: true, error: 'ratelimited', ...(Number.isNaN(seconds) ? {} : { retryAfterMs: seconds * 1000 }) };
  }
  return { ok: false, retryable: status >= 500 || status === 408, error };
}

/**
 * Posts a message to a click's response_url (JSON, no token: the URL is the credential). Not paced
 * by the Web API's tiers: Slack counts posts per URL (5 within 30 minutes), which the caller tracks.
 */
export function createResponseUrlPoster(options: { timeoutMs?: number; onCall?: (method: string, code: string) => void } = {}) {
  const post = createHttpPoster(options.timeoutMs);
  return async (url: string, message: Record<string, unknown>): Promise<SlackCallResult> => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, retryable: false, error: 'invalid_response_url' };
    }
    const answer = await post(target, JSON.stringify(message), { 'content-type': 'application/json; charset=utf-8' });
    const outcome = 'error' in answer ? answer : classifyResponseUrlAnswer(answer.status, answer.retryAfter, answer.body);
    options.onCall?.('response_url', slackOutcomeCode(outcome));
    return outcome;
  };
}

export type ResponseUrlPoster = ReturnType<typeof createResponseUrlPoster>;

export type SlackCaller = ReturnType<typeof createSlackCaller>;
