import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookAuth } from '../../../src/adapters/http/webhookSignature.ts';

const secret = 'test-webhook-secret';
const body = Buffer.from('{"email":"jane@acme.com"}');
const now = 1_795_000_000;

describe('verifyWebhookAuth', () => {
  it('accepts the bearer secret', () => {
    expect(verifyWebhookAuth({ authorization: `Bearer ${secret}` }, body, secret, now)).toEqual({ ok: true, method: 'bearer' });
  });

  it('refuses a wrong bearer', () => {
    expect(verifyWebhookAuth({ authorization: 'Bearer nope' }, body, secret, now)).toEqual({ ok: false, reason: 'bad_bearer' });
    expect(verifyWebhookAuth({ authorization: `Basic ${secret}` }, body, secret, now)).toEqual({ ok: false, reason: 'bad_bearer' });
  });

  it('accepts a fresh HMAC signature of the raw body', () => {
    const signature = signWebhookBody(secret, now, body);
    expect(signature).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(verifyWebhookAuth({ timestamp: String(now), signature }, body, secret, now + 299)).toEqual({ ok: true, method: 'signature' });
  });

  it('refuses a signature over another body', () => {
    const signature = signWebhookBody(secret, now, '{"email":"eve@acme.com"}');
    expect(verifyWebhookAuth({ timestamp: String(now), signature }, body, secret, now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a timestamp more than five minutes away', () => {
    const signature = signWebhookBody(secret, now, body);
    expect(verifyWebhookAuth({ timestamp: String(now), signature }, body, secret, now + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifyWebhookAuth({ timestamp: String(now), signature }, body, secret, now - 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('refuses a request with no credentials', () => {
    expect(verifyWebhookAuth({}, body, secret, now)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookAuth({ timestamp: String(now) }, body, secret, now)).toEqual({ ok: false, reason: 'missing' });
  });
});
