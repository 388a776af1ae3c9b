/**
 * Calendly (SPEC 2b): a webhook subscription (API v2, `POST /webhook_subscriptions` with a signing
 * key) for `invitee.created`: someone booked a meeting.
 *
 * Verification (developer.calendly.com, "Webhook signatures"):
 * `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signing key, t + "." + raw body)>`,
 * `t` at most 5 minutes off.
 *
 * Mapping, from the documented `invitee.created` payload: the invitee's email, name (else first +
 * last name) and `text_reminder_number` as the phone, the booked event as the message, the answers
 * to the booking questions (by the question, as a field name: "Company size" → `company_size`), the
 * UTM tracking and the event's name into `fields`; `payload.uri` (the invitee) as the external id.
 * `invitee.canceled` and other events are not leads.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../http/webhookSignature.ts';
import type { SourcePreset } from './sourcePreset.ts';

export const CALENDLY_SIGNATURE_HEADER = 'calendly-webhook-signature';

/** Calendly's tolerance for the signature's timestamp (SPEC 2b). */
export const CALENDLY_TOLERANCE_SECONDS = 5 * 60;

/** The value of Calendly-Webhook-Signature for a body signed at `timestampSeconds`. */
export function calendlySignature(secret: string, body: string | Buffer, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** `t=…,v1=…[,v1=…]`: the timestamp and every v1 signature (several while a key is rotated). */
function parseSignatureHeader(value: string): { t?: string; v1: string[] } {
  const parsed: { t?: string; v1: string[] } = { v1: [] };
  for (const part of value.split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const key = part.slice(0, equals).trim();
    const item = part.slice(equals + 1).trim();
    if (key === 't') parsed.t = item;
    else if (key === 'v1') parsed.v1.push(item);
  }
  return parsed;
}

/** A question as a field name: "Company size?" → `company_size`. */
const QUESTION_KEY = "$substring($replace($replace($lowercase(question), /[^a-z0-9]+/, '_'), /^_+|_+$/, ''), 0, 64)";

export const calendlyPreset: SourcePreset = {
  name: 'calendly',
  title: 'Calendly',
  hasCredentials: (header) => header(CALENDLY_SIGNATURE_HEADER) !== undefined,
  verify(request, secret, nowMs) {
    const value = request.header(CALENDLY_SIGNATURE_HEADER);
    if (value === undefined) return { ok: false, reason: 'missing' };
    const { t, v1 } = parseSignatureHeader(value);
    if (t === undefined || v1.length === 0) return { ok: false, reason: 'missing' };
    if (!/^\d{1,12}$/.test(t)) return { ok: false, reason: 'bad_timestamp' };
    if (Math.abs(Math.floor(nowMs / 1000) - Number(t)) > CALENDLY_TOLERANCE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
    const expected = createHmac('sha256', secret).update(`${t}.`).update(request.body).digest('hex');
    // Every candidate is compared (no early exit), so the time taken says nothing about which one matched.
    const matches = v1.map((candidate) => constantTimeEqual(candidate, expected));
    return matches.includes(true) ? { ok: true } : { ok: false, reason: 'bad_signature' };
  },
  sign: (secret, { body, nowMs }) => ({ 'content-type': 'application/json', [CALENDLY_SIGNATURE_HEADER]: calendlySignature(secret, body, Math.floor(nowMs / 1000)) }),
  mediaTypes: ['application/json'],
  bindings: [['p', 'payload']],
  map: {
    email: '$p.email',
    name: "$p.name ? $p.name : ($n := $join([$p.first_name, $p.last_name], ' '); $n ? $n)",
    phone: '$p.text_reminder_number',
    message: "$p.scheduled_event.name ? 'Booked ' & $p.scheduled_event.name & ($p.scheduled_event.start_time ? ' for ' & $p.scheduled_event.start_time : '')",
    fields: `$merge([$p.questions_and_answers{ ${QUESTION_KEY}: answer }, $p.tracking, { "event_name": $p.scheduled_event.name }])`,
    external_id: '$p.uri',
  },
  accepts: { expression: "event = 'invitee.created'", otherwise: 'only invitee.created events are leads' },
};
