import { z } from 'zod';
import { LEAD_SOURCES, linkedInHost, type Lead } from '../../domain/lead.ts';
import { describeZodIssues, jsonErrorMap, type ValidationIssue } from '../../config/zodIssues.ts';

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

/** What a key of a lead's `fields` may be. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** A lead's `fields`: flat string/number/boolean attributes usable in rules (also what an enricher may add). */
export const leadFieldsSchema = z.record(
  z.string().regex(FIELD_NAME, 'field names are letters, digits, _ . - (at most 64)'),
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

/** A normalization intake made to a lead it accepted: `{ path: 'title', message: 'empty, ignored' }`. */
export interface LeadWarning {
  path: string;
  message: string;
}

export type ParsedLead = { ok: true; lead: Lead; warnings: LeadWarning[] } | { ok: false; issues: ValidationIssue[] };

/** The optional text fields of a lead and of its company: "", white space only or null there mean "not given". */
const OPTIONAL_TOP = ['external_id', 'source', 'email', 'linkedin_url', 'name', 'title', 'phone', 'owner', 'team', 'crm_url', 'message'] as const;
const OPTIONAL_COMPANY = ['name', 'domain', 'industry', 'country', 'region'] as const;

/** A plain decimal (`87`, `87.5`) or one with thousands separators (`1,200`, `12,000.5`). */
const NUMERIC_TEXT = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
/** A head-count range as forms offer it: `51-200`, `51 – 200`, `51 to 200`, or an open one, `1000+`. */
const RANGE_TEXT = /^((?:\d{1,3}(?:,\d{3})+|\d+))\s*(?:(?:-|–|—|to)\s*(?:\d{1,3}(?:,\d{3})+|\d+)|\+)$/i;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why a value counts as "not given" ("", white space, null), or undefined when it is a value. */
export function absence(value: unknown): string | undefined {
  if (value === null) return 'null, ignored';
  if (typeof value !== 'string' || value.trim() !== '') return undefined;
  return value === '' ? 'empty, ignored' : 'only white space, ignored';
}

/** A numeric string as the number it spells (`"1,200"` → 1200), with the words for the warning; undefined when it is not one. */
function readNumber(text: string, ranges: boolean): { value: number; message: string } | undefined {
  const trimmed = text.trim();
  if (NUMERIC_TEXT.test(trimmed)) {
    const value = Number(trimmed.replace(/,/g, ''));
    return { value, message: `${JSON.stringify(text)} read as the number ${value}` };
  }
  const range = ranges ? RANGE_TEXT.exec(trimmed) : null;
  if (range?.[1] === undefined) return undefined;
  const value = Number(range[1].replace(/,/g, ''));
  return { value, message: `${JSON.stringify(text)} read as ${value} (the lower end of the range)` };
}

/**
 * Removes the "nothing" values real lead sources send from one object level, in place on a
 * copy: each listed key whose value is "", white space or null is dropped with a warning at `prefix` + key.
 */
function dropAbsent(object: Record<string, unknown>, keys: readonly string[], prefix: string, warnings: LeadWarning[]): void {
  for (const key of keys) {
    if (!(key in object)) continue;
    const why = absence(object[key]);
    if (why === undefined) continue;
    delete object[key];
    warnings.push({ path: `${prefix}${key}`, message: why });
  }
}

/** `score` or `company.employees` given as text: read as a number when it spells one (else left for the schema to refuse by path). */
function readNumeric(object: Record<string, unknown>, key: string, path: string, ranges: boolean, warnings: LeadWarning[]): void {
  const value = object[key];
  if (typeof value !== 'string') return;
  const number = readNumber(value, ranges);
  if (number === undefined) return;
  object[key] = number.value;
  warnings.push({ path, message: number.message });
}

/**
 * What lenient intake makes of a request body before it is validated: absent-meaning values
 * dropped, numeric strings of `score` and `company.employees` read as numbers (a head-count range as
 * its lower end), each change listed. Only the known keys are looked at; anything else is left for
 * the schema (an unknown key stays an error). The input is not modified.
 */
export function normalizeLeadInput(input: unknown): { value: unknown; warnings: LeadWarning[] } {
  if (!isPlainObject(input)) return { value: input, warnings: [] };
  const warnings: LeadWarning[] = [];
  const lead: Record<string, unknown> = { ...input };
  dropAbsent(lead, [...OPTIONAL_TOP, 'score', 'company', 'fields'], '', warnings);
  readNumeric(lead, 'score', 'score', false, warnings);
  if (isPlainObject(lead.company)) {
    const company: Record<string, unknown> = { ...lead.company };
    dropAbsent(company, [...OPTIONAL_COMPANY, 'employees'], 'company.', warnings);
    readNumeric(company, 'employees', 'company.employees', true, warnings);
    lead.company = company;
  }
  if (isPlainObject(lead.fields)) {
    const fields: Record<string, unknown> = { ...lead.fields };
    dropAbsent(fields, Object.keys(fields), 'fields.', warnings);
    lead.fields = fields;
  }
  return { value: lead, warnings };
}

/**
 * The one validation of a lead, for POST /leads, /hooks/<id> and the CLI's lead files: lenient
 * normalization, then the schema. Issues name the field path.
 */
export function parseLeadPayload(input: unknown): ParsedLead {
  const { value, warnings } = normalizeLeadInput(input);
  // A per-call error map turns off zod's compiled fast path for objects (~4× the time of a valid
  // lead), and messages are only wanted when it fails: a refused body is parsed again with the map.
  const parsed = leadPayloadSchema.safeParse(value);
  if (parsed.success) return { ok: true, lead: parsed.data, warnings };
  const described = leadPayloadSchema.safeParse(value, { error: jsonErrorMap });
  return { ok: false, issues: described.success ? [] : describeZodIssues(described.error.issues) };
}
