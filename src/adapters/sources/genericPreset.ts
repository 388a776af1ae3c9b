/**
 * Any JSON or form post (SPEC 2b): Zapier's and Make's webhook steps, a Salesforce Flow HTTP
 * callout, curl. Authenticated like POST /leads (`Authorization: Bearer <secret>`, or
 * X-Leadrelay-Timestamp + X-Leadrelay-Signature over the raw body), with LEADRELAY_WEBHOOK_SECRET or
 * the source's own `secret_env`. There is no payload to know in advance, so nothing is mapped by
 * default: the source's `map` says where the contact and everything else is.
 */
import { signedJsonHeaders, verifyWebhookAuth } from '../http/webhookSignature.ts';
import type { SourcePreset } from './sourcePreset.ts';

export const genericPreset: SourcePreset = {
  name: 'generic',
  title: 'any JSON or form post',
  hasCredentials: (header) => header('authorization') !== undefined || (header('x-leadrelay-timestamp') !== undefined && header('x-leadrelay-signature') !== undefined),
  verify(request, secret, nowMs) {
    const result = verifyWebhookAuth(
      { authorization: request.header('authorization'), timestamp: request.header('x-leadrelay-timestamp'), signature: request.header('x-leadrelay-signature') },
      request.body,
      secret,
      Math.floor(nowMs / 1000),
    );
    if (result.ok) return { ok: true };
    return { ok: false, reason: result.reason === 'bad_bearer' ? 'bad_signature' : result.reason };
  },
  sign: (secret, { body, nowMs }) => {
    const { 'user-agent': _agent, ...headers } = signedJsonHeaders(secret, nowMs, body.toString());
    return headers;
  },
  mediaTypes: ['application/json', 'application/x-www-form-urlencoded'],
  bindings: [],
  map: {},
};
