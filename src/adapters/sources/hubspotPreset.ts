/**
 * HubSpot (SPEC 2b): a contact-based workflow's "Send a webhook" action (Automations → Workflows),
 * with "Include request signature in header" and all contact properties. The body is the contact
 * record with each property as `properties.<name>.value`.
 *
 * Verification, signature v3 (developers.hubspot.com, "Validating requests"):
 * `X-HubSpot-Signature-v3: <base64 HMAC-SHA256(client secret, method + uri + raw body + timestamp)>`
 * with `X-HubSpot-Request-Timestamp` in milliseconds, at most 5 minutes off; `uri` is the URL HubSpot
 * called, with the few characters HubSpot decodes in it (%3A → ":" and the like) decoded.
 *
 * Mapping: email, firstname + lastname, jobtitle, phone (else mobilephone), company, website (else
 * domain), numemployees, industry, country, the contact's HubSpot page as the CRM link, lifecycle
 * stage and lead status as fields; the external id is the contact id with the time of its latest
 * form submission (else its last modification), so a retried delivery is a duplicate while the same
 * contact converting again later is a new lead.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../http/webhookSignature.ts';
import type { SourcePreset } from './sourcePreset.ts';

export const HUBSPOT_SIGNATURE_HEADER = 'x-hubspot-signature-v3';
export const HUBSPOT_TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';

/** HubSpot's tolerance for a signed request's timestamp. */
export const HUBSPOT_TOLERANCE_MS = 5 * 60 * 1000;

/** The characters HubSpot decodes in the URI before signing it (the rest stay percent-encoded). */
const DECODED: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

/** The URI as HubSpot signs it. */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(?:3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => DECODED[escape.toUpperCase()] ?? escape);
}

/** `base64 HMAC-SHA256(secret, method + uri + body + timestamp)`: HubSpot's v3 signature. */
export function hubspotSignature(secret: string, method: string, url: string, body: string | Buffer, timestampMs: number | string): string {
  return createHmac('sha256', secret).update(`${method.toUpperCase()}${hubspotSignedUri(url)}`).update(body).update(String(timestampMs)).digest('base64');
}

const p = (name: string) => `properties.${name}.value`;
const either = (first: string, second: string) => `${p(first)} ? ${p(first)} : ${p(second)}`;

export const hubspotPreset: SourcePreset = {
  name: 'hubspot',
  title: 'HubSpot',
  hasCredentials: (header) => header(HUBSPOT_SIGNATURE_HEADER) !== undefined && header(HUBSPOT_TIMESTAMP_HEADER) !== undefined,
  verify(request, secret, nowMs) {
    const signature = request.header(HUBSPOT_SIGNATURE_HEADER);
    const timestamp = request.header(HUBSPOT_TIMESTAMP_HEADER)?.trim();
    if (signature === undefined || timestamp === undefined) return { ok: false, reason: 'missing' };
    if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
    if (Math.abs(nowMs - Number(timestamp)) > HUBSPOT_TOLERANCE_MS) return { ok: false, reason: 'stale_timestamp' };
    const expected = hubspotSignature(secret, request.method, request.url, request.body, timestamp);
    return constantTimeEqual(signature.trim(), expected) ? { ok: true } : { ok: false, reason: 'bad_signature' };
  },
  sign: (secret, { method, url, body, nowMs }) => ({
    'content-type': 'application/json',
    [HUBSPOT_SIGNATURE_HEADER]: hubspotSignature(secret, method, url, body, nowMs),
    [HUBSPOT_TIMESTAMP_HEADER]: String(nowMs),
  }),
  mediaTypes: ['application/json'],
  bindings: [],
  map: {
    email: p('email'),
    name: `($n := $join([${p('firstname')}, ${p('lastname')}], ' '); $n ? $n)`,
    title: p('jobtitle'),
    phone: either('phone', 'mobilephone'),
    'company.name': p('company'),
    'company.domain': either('website', 'domain'),
    'company.employees': p('numemployees'),
    'company.industry': p('industry'),
    'company.country': p('country'),
    crm_url: '`profile-url`',
    fields: `{ "lifecyclestage": ${p('lifecyclestage')}, "hs_lead_status": ${p('hs_lead_status')} }`,
    external_id: `vid & ':' & ($max(\`form-submissions\`.timestamp) ? $max(\`form-submissions\`.timestamp) : ${p('lastmodifieddate')})`,
  },
};
