import { z } from 'zod';
import { LEAD_SOURCES, linkedInHost, type Lead } from '../../domain/lead.ts';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

const company = z
  .object({
    name: text(200).optional(),
    domain: text(253)
      .regex(/^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[a-z0-9-]+\.)+[a-z]{2,}\.?(?:[/?#].*)?$/i, 'expected a domain such as acme.com')
      .optional(),
    employees: z.number().int('expected a whole number').min(0, 'must be 0 or more').optional(),
    industry: text(200).optional(),
    country: text(100).optional(),
    region: text(100).optional(),
  })
  .strict();

const fieldName = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** A lead's `fields`: flat string/number/boolean attributes usable in rules (also what an enricher may add). */
export const leadFieldsSchema = z.record(
  z.string().regex(fieldName, 'field names are letters, digits, _ . - (at most 64)'),
  z.union([z.string().max(1000, 'at most 1000 characters'), z.number(), z.boolean()], {
    error: 'expected a string, number or boolean',
  }),
);

/** The body of POST /leads. Unknown keys are errors so that a typo never passes silently. */
export const leadPayloadSchema = z
  .object({
    external_id: text(200).optional(),
    source: z.enum(LEAD_SOURCES).default('other'),
    email: z.string().trim().max(320, 'at most 320 characters').pipe(z.email('expected an e-mail address')).optional(),
    linkedin_url: text(500)
      .refine((url) => linkedInHost(url) !== null, 'expected a linkedin.com URL')
      .optional(),
    name: text(200).optional(),
    title: text(200).optional(),
    phone: text(50).optional(),
    company: company.default({}),
    score: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').optional(),
    owner: text(320).optional(),
    team: text(100).optional(),
    crm_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2000).optional(),
    message: z.string().max(10_000, 'at most 10000 characters').optional(),
    fields: leadFieldsSchema.default({}),
  })
  .strict()
  .superRefine((lead, ctx) => {
    if (lead.email === undefined && lead.linkedin_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'at least one of email, linkedin_url is required' });
    }
  });

export type LeadPayload = z.output<typeof leadPayloadSchema>;

// The schema's output is the domain Lead; this line fails to compile if they drift apart.
const _sameShape: Lead = {} as LeadPayload;
