/**
 * Typeform (SPEC 2b): a form's "Connect → Webhooks" posts one `form_response` per submission.
 * Verification: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`, the secret
 * being the one set on the webhook. Typeform sends no timestamp to check.
 *
 * Mapping, from Typeform's example payload (typeform.com/developers/webhooks/example-payload): the
 * answers by the `ref` of their question (`$answer.<ref>`; older payloads give the ref only in
 * `definition.fields`, joined by the field id), the first `email` and `phone_number` answers, the
 * refs with an obvious meaning (name or full_name, job_title, company, website, employees, country,
 * linkedin_url, message) as the lead's fields of that name, every answer and hidden field into
 * `fields`, and `form_response.token` (the submission's id) as the external id.
 *
 * The expressions are written for JSONata's cost: paths are cheap, each function call or condition
 * per answer costs microseconds, so the answers are read in one pass.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../http/webhookSignature.ts';
import type { SourcePreset } from './sourcePreset.ts';

export const TYPEFORM_SIGNATURE_HEADER = 'typeform-signature';

/** `sha256=<base64 HMAC-SHA256(secret, body)>`: how Typeform signs a delivery. */
export function typeformSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`;
}

export const typeformPreset: SourcePreset = {
  name: 'typeform',
  title: 'Typeform',
  hasCredentials: (header) => header(TYPEFORM_SIGNATURE_HEADER) !== undefined,
  verify(request, secret) {
    const given = request.header(TYPEFORM_SIGNATURE_HEADER);
    if (given === undefined) return { ok: false, reason: 'missing' };
    return constantTimeEqual(given.trim(), typeformSignature(secret, request.body)) ? { ok: true } : { ok: false, reason: 'bad_signature' };
  },
  sign: (secret, { body }) => ({ 'content-type': 'application/json', [TYPEFORM_SIGNATURE_HEADER]: typeformSignature(secret, body) }),
  mediaTypes: ['application/json'],
  bindings: [
    ['fr', 'form_response'],
    ['a', '$fr.answers'],
    // Each answer's value is under its type's name: text, email, number, boolean, date, url, choice
    // ({ label }) or choices ({ labels }), which a lead takes as the label(s). Answers carry their
    // question's ref; where some do not (older payloads), it is taken from the definition.
    [
      'answer',
      "$count($a.field.ref) = $count($a) ? $a{ field.ref: $lookup($, type) } : ($refs := $fr.definition.fields{ id: ref }; $a{ $lookup($refs, field.id): $lookup($, type) })",
    ],
  ],
  map: {
    email: '$a.email[0]',
    phone: '$a.phone_number[0]',
    name: '$answer.name ? $answer.name : $answer.full_name',
    title: '$answer.job_title',
    linkedin_url: '$answer.linkedin_url',
    message: '$answer.message',
    'company.name': '$answer.company',
    'company.domain': '$answer.website',
    'company.employees': '$answer.employees',
    'company.country': '$answer.country',
    fields: '$merge([$fr.hidden, $answer])',
    external_id: '$fr.token',
  },
  // Typeform gives every question a generated ref (a UUID, or a ULID in newer forms) until someone names it.
  generatedFieldKeys: /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$/,
  accepts: { expression: "event_type = 'form_response'", otherwise: 'only form_response events are leads' },
};
