/**
 * Each preset's verification, against signatures computed here straight from the provider's
 * documentation (not with the code under test): Typeform `sha256=` + base64 HMAC of the body,
 * HubSpot v3 base64 HMAC of method + URI + body + timestamp (ms), Calendly `t=…,v1=` + hex HMAC of
 * `t.` + body. Pure functions: the time is a parameter.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SOURCE_PRESETS } from '../../../src/adapters/sources/sourcePresets.ts';
import type { HookRequest } from '../../../src/adapters/sources/sourcePreset.ts';
import { hubspotSignedUri } from '../../../src/adapters/sources/hubspotPreset.ts';

const SECRET = 'whsec-provider-0123';
const NOW = Date.parse('2026-11-24T14:00:00Z');
const BODY = Buffer.from('{"event_id":"LtWXD3crgy","form_response":{"token":"a3a12ec6"}}');

const request = (headers: Record<string, string>, overrides: Partial<HookRequest> = {}): HookRequest => ({
  method: 'POST',
  url: 'https://leads.example.com/hooks/demo',
  header: (name) => headers[name.toLowerCase()],
  body: BODY,
  ...overrides,
});
const hmac = (data: string | Buffer, encoding: 'base64' | 'hex', secret = SECRET) => createHmac('sha256', secret).update(data).digest(encoding);

describe('typeform: Typeform-Signature', () => {
  const { verify } = SOURCE_PRESETS.typeform;
  const documented = `sha256=${hmac(BODY, 'base64')}`;

  it('accepts sha256=<base64 HMAC-SHA256(secret, raw body)>', () => {
    expect(verify(request({ 'typeform-signature': documented }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses another body, another secret, a hex digest and a missing header', () => {
    expect(verify(request({ 'typeform-signature': documented }, { body: Buffer.from(`${BODY.toString()} `) }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(request({ 'typeform-signature': `sha256=${hmac(BODY, 'base64', 'other')}` }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(request({ 'typeform-signature': `sha256=${hmac(BODY, 'hex')}` }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(request({}), SECRET, NOW)).toEqual({ ok: false, reason: 'missing' });
  });

  it('signs its own samples the way it verifies them', () => {
    expect(SOURCE_PRESETS.typeform.sign(SECRET, { method: 'POST', url: '', body: BODY, nowMs: NOW })).toMatchObject({ 'typeform-signature': documented });
  });
});

describe('hubspot: X-HubSpot-Signature-v3', () => {
  const { verify } = SOURCE_PRESETS.hubspot;
  const uri = 'https://leads.example.com/hooks/demo';
  const signed = (timestamp: number, source = `POST${uri}${BODY.toString()}${timestamp}`) => ({
    'x-hubspot-signature-v3': hmac(source, 'base64'),
    'x-hubspot-request-timestamp': String(timestamp),
  });

  it('accepts base64 HMAC-SHA256(secret, method + uri + body + timestamp) with a timestamp in ms within 5 minutes', () => {
    expect(verify(request(signed(NOW)), SECRET, NOW)).toEqual({ ok: true });
    expect(verify(request(signed(NOW - 299_000)), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a timestamp older (or further ahead) than 5 minutes, even correctly signed', () => {
    expect(verify(request(signed(NOW - 301_000)), SECRET, NOW)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify(request(signed(NOW + 301_000)), SECRET, NOW)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('refuses a signature over another URI (the path and query signed are the ones called)', () => {
    expect(verify(request(signed(NOW), { url: 'http://127.0.0.1:3000/hooks/demo' }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(request(signed(NOW), { url: `${uri}?x=1` }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(request(signed(NOW), { method: 'PUT' }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a timestamp in seconds or not a number, and missing headers', () => {
    expect(verify(request(signed(Math.floor(NOW / 1000))), SECRET, NOW)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify(request({ ...signed(NOW), 'x-hubspot-request-timestamp': 'soon' }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify(request({ 'x-hubspot-request-timestamp': String(NOW) }), SECRET, NOW)).toEqual({ ok: false, reason: 'missing' });
  });

  it('signs the URI with the characters HubSpot decodes decoded', () => {
    expect(hubspotSignedUri('https://x.example/hooks/a?next=%2Fb%3Fc%3D1&at=%40me&sp=%20')).toBe('https://x.example/hooks/a?next=/b?c%3D1&at=@me&sp=%20');
    const url = 'https://leads.example.com/hooks/demo?ref=a%3Ab';
    const headers = signed(NOW, `POSThttps://leads.example.com/hooks/demo?ref=a:b${BODY.toString()}${NOW}`);
    expect(verify(request(headers, { url }), SECRET, NOW)).toEqual({ ok: true });
  });
});

describe('calendly: Calendly-Webhook-Signature', () => {
  const { verify } = SOURCE_PRESETS.calendly;
  const t = Math.floor(NOW / 1000);
  const header = (timestamp: number, secret = SECRET) => ({ 'calendly-webhook-signature': `t=${timestamp},v1=${hmac(`${timestamp}.${BODY.toString()}`, 'hex', secret)}` });

  it('accepts t=<unix seconds>,v1=<hex HMAC-SHA256(key, t + "." + raw body)> within 5 minutes', () => {
    expect(verify(request(header(t)), SECRET, NOW)).toEqual({ ok: true });
    expect(verify(request(header(t - 299)), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a stale t, a t not in seconds, another key and a header without v1', () => {
    expect(verify(request(header(t - 301)), SECRET, NOW)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify(request({ 'calendly-webhook-signature': `t=${t}x,v1=ab` }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify(request(header(t, 'old-key')), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(request({ 'calendly-webhook-signature': `t=${t}` }), SECRET, NOW)).toEqual({ ok: false, reason: 'missing' });
  });

  it('accepts any of several v1 signatures (a signing key being rotated)', () => {
    const good = header(t)['calendly-webhook-signature'].split(',v1=')[1];
    expect(verify(request({ 'calendly-webhook-signature': `t=${t},v1=${'0'.repeat(64)},v1=${good}` }), SECRET, NOW)).toEqual({ ok: true });
  });
});

describe('generic: the POST /leads auth', () => {
  const { verify } = SOURCE_PRESETS.generic;
  const t = Math.floor(NOW / 1000);

  it('accepts the bearer secret, or X-Leadrelay-Signature over v0:timestamp:body within 5 minutes', () => {
    expect(verify(request({ authorization: `Bearer ${SECRET}` }), SECRET, NOW)).toEqual({ ok: true });
    const signature = `v0=${hmac(`v0:${t}:${BODY.toString()}`, 'hex')}`;
    expect(verify(request({ 'x-leadrelay-timestamp': String(t), 'x-leadrelay-signature': signature }), SECRET, NOW)).toEqual({ ok: true });
    expect(verify(request({ 'x-leadrelay-timestamp': String(t - 400), 'x-leadrelay-signature': signature }), SECRET, NOW)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('refuses a wrong bearer', () => {
    expect(verify(request({ authorization: 'Bearer nope' }), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
