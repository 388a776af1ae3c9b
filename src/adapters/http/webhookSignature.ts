import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** How far a signed request's timestamp may be from now. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** `v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)>`: how leadrelay signs and checks webhook bodies. */
export function signWebhookBody(secret: string, timestampSeconds: number | string, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestampSeconds}:`);
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * The headers of a JSON POST leadrelay makes to a webhook (sequences, CRM write-back, the enricher),
 * signed like requests to POST /leads so the receiver can check it came from this leadrelay: X-Leadrelay-Timestamp
 * (unix seconds of `nowMs`) and X-Leadrelay-Signature over the exact body sent.
 */
export function signedJsonHeaders(secret: string, nowMs: number, body: string): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'leadrelay',
    'x-leadrelay-timestamp': String(timestamp),
    'x-leadrelay-signature': signWebhookBody(secret, timestamp, body),
  };
}

export interface WebhookAuthHeaders {
  authorization?: string | undefined;
  timestamp?: string | undefined;
  signature?: string | undefined;
}

export type WebhookAuthResult =
  | { ok: true; method: 'bearer' | 'signature' }
  | { ok: false; reason: 'missing' | 'bad_bearer' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' };

/** The digest of the last value compared against (for a bearer token: the configured secret, the same on every request). */
let lastRight: { value: string; digest: Buffer } | undefined;

/** A fixed-length digest of a compared string (one-shot sha256: a third of an HMAC's time, on every request with a bearer token). */
const digestOf = (value: string): Buffer => hash('sha256', value, 'buffer');

/** Compares in time independent of where the strings first differ (and of the secret's length). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = digestOf(a);
  if (lastRight?.value !== b) lastRight = { value: b, digest: digestOf(b) };
  return timingSafeEqual(left, lastRight.digest) && a.length === b.length;
}

/**
 * Checks a request to /leads or /signals: either `Authorization: Bearer <secret>`, or
 * `X-Leadrelay-Timestamp` + `X-Leadrelay-Signature` over the raw body with the timestamp within
 * five minutes of `nowSeconds`. Pure: the caller passes the clock's time.
 */
export function verifyWebhookAuth(
  headers: WebhookAuthHeaders,
  rawBody: Buffer,
  secret: string,
  nowSeconds: number,
): WebhookAuthResult {
  const { authorization, timestamp, signature } = headers;
  if (authorization !== undefined) {
    const match = /^Bearer (.+)$/i.exec(authorization.trim());
    return match && constantTimeEqual(match[1] ?? '', secret) ? { ok: true, method: 'bearer' } : { ok: false, reason: 'bad_bearer' };
  }
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  return constantTimeEqual(signature.trim(), signWebhookBody(secret, timestamp, rawBody))
    ? { ok: true, method: 'signature' }
    : { ok: false, reason: 'bad_signature' };
}
