/**
 * Enrichment before routing: a lead's missing company fields are filled from the local
 * company table (by domain), then from the enrichment webhook's answer. Only what the lead lacks is
 * filled — a value the source sent, or one an earlier step filled, is never replaced — and the trace
 * records where every filled value came from, and what each step did (found, missed, timed out …).
 *
 * Pure: the app looks the lead up in the table and asks the webhook, and passes the results in.
 */
import { formatDuration } from './duration.ts';
import { isFreeMailDomain, normalizeDomain, type Lead, type LeadCompany } from './lead.ts';

/** The company fields enrichment fills (the domain is the key they are looked up by). */
export const ENRICHED_COMPANY_FIELDS = ['name', 'employees', 'industry', 'country', 'region'] as const;
export type EnrichedCompanyField = (typeof ENRICHED_COMPANY_FIELDS)[number];

/** What is known about one company: a row of the company table, or the `company` of a webhook answer. */
export type CompanyFacts = Partial<Pick<LeadCompany, EnrichedCompanyField>>;

export type FieldValue = string | number | boolean;

/** The enrichment webhook's answer, validated at the edge: `{ company: {...}, fields: {...} }`. */
export interface EnrichmentAnswer {
  /** May name the domain of a lead that has none (e.g. a person found behind a gmail.com address). */
  company?: CompanyFacts & { domain?: string };
  fields?: Record<string, FieldValue>;
}

export type EnrichmentSource = 'companies' | 'webhook';

/** One value enrichment added to the lead: its path (`company.country`, `fields.plan`) and where it came from. */
export interface FilledField {
  path: string;
  value: FieldValue;
  from: EnrichmentSource;
}

/** What the company table lookup did. Free-mail domains are never looked up: their users are not one company. */
export type CompanyTableTrace =
  | { result: 'hit' | 'miss' | 'free_mail'; domain: string }
  | { result: 'no_domain' };

/** What the enrichment webhook did: answered now, answered from the cache, or why there is no answer. */
export type WebhookTrace =
  | { result: 'answered' | 'cached' }
  | { result: 'timeout'; afterMs: number }
  | { result: 'error'; error: string };

/** The webhook's outcome for one lead, as the adapter reports it. */
export type WebhookOutcome =
  | { result: 'answered' | 'cached'; answer: EnrichmentAnswer }
  | { result: 'timeout'; afterMs: number }
  | { result: 'error'; error: string };

/** What enrichment did to a lead: stored with the lead and copied into every routing trace. JSON-serializable. */
export interface EnrichmentTrace {
  /** Every value added, in the order it was added. */
  filled: FilledField[];
  /** Absent when `enrichment.companies` is not configured. */
  companies?: CompanyTableTrace;
  /** Absent when `enrichment.webhook` is not configured. */
  webhook?: WebhookTrace;
}

/** A lead on its way through enrichment: the lead as it now stands, its company domain, and the trace so far. */
export interface Enrichment {
  lead: Lead;
  /** The company domain for account routing and lookups (see leadDomain); null = none. */
  domain: string | null;
  trace: EnrichmentTrace;
}

/** A lead before enrichment: nothing filled yet. `domain` is the lead's company domain as intake stored it. */
export function startEnrichment(lead: Lead, domain: string | null): Enrichment {
  return { lead, domain, trace: { filled: [] } };
}

/** Adds the facts the lead lacks, recording each under `from`. */
function fillCompany(state: Enrichment, facts: CompanyFacts, from: EnrichmentSource): Enrichment {
  const company: LeadCompany = { ...state.lead.company };
  const filled = [...state.trace.filled];
  for (const field of ENRICHED_COMPANY_FIELDS) {
    const value = facts[field];
    if (value === undefined || company[field] !== undefined) continue;
    // TypeScript cannot tie the field to its value's type through the loop variable.
    (company as Record<EnrichedCompanyField, string | number>)[field] = value;
    filled.push({ path: `company.${field}`, value, from });
  }
  return { ...state, lead: { ...state.lead, company }, trace: { ...state.trace, filled } };
}

/**
 * Step 1: the company table row of the lead's domain fills what the lead lacks. A lead without a
 * domain, or with a free-mail one, is not looked up.
 */
export function fillFromCompanyTable(state: Enrichment, lookup: (domain: string) => CompanyFacts | undefined): Enrichment {
  if (state.domain === null) return { ...state, trace: { ...state.trace, companies: { result: 'no_domain' } } };
  const domain = state.domain;
  if (isFreeMailDomain(domain)) return { ...state, trace: { ...state.trace, companies: { result: 'free_mail', domain } } };
  const facts = lookup(domain);
  if (facts === undefined) return { ...state, trace: { ...state.trace, companies: { result: 'miss', domain } } };
  const filled = fillCompany(state, facts, 'companies');
  return { ...filled, trace: { ...filled.trace, companies: { result: 'hit', domain } } };
}

/**
 * Step 2: the webhook's answer fills what the lead still lacks: company fields, the company domain
 * when the lead has none (never a free-mail one), and `fields` keys the lead does not have. Without
 * an answer (timeout, error) the lead stays as it is and the trace says why.
 */
export function fillFromWebhook(state: Enrichment, outcome: WebhookOutcome): Enrichment {
  if (outcome.result === 'timeout' || outcome.result === 'error') {
    return { ...state, trace: { ...state.trace, webhook: outcome } };
  }
  const { answer } = outcome;
  let next = fillCompany(state, answer.company ?? {}, 'webhook');
  const domain = answer.company?.domain === undefined ? '' : normalizeDomain(answer.company.domain);
  if (next.domain === null && next.lead.company.domain === undefined && domain !== '' && !isFreeMailDomain(domain)) {
    next = {
      lead: { ...next.lead, company: { ...next.lead.company, domain } },
      domain,
      trace: { ...next.trace, filled: [...next.trace.filled, { path: 'company.domain', value: domain, from: 'webhook' }] },
    };
  }
  const fields = { ...next.lead.fields };
  const filled = [...next.trace.filled];
  for (const [key, value] of Object.entries(answer.fields ?? {})) {
    if (fields[key] !== undefined) continue;
    fields[key] = value;
    filled.push({ path: `fields.${key}`, value, from: 'webhook' });
  }
  return { ...next, lead: { ...next.lead, fields }, trace: { ...next.trace, filled, webhook: { result: outcome.result } } };
}

// ---------------------------------------------------------------------------------------------
// In words, for the routing trace and the history

/** `2s`, `250 ms`. */
function timeoutText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : formatDuration(ms);
}

function filledText(trace: EnrichmentTrace, from: EnrichmentSource): string {
  return trace.filled
    .filter((field) => field.from === from)
    .map((field) => `${field.path} ${JSON.stringify(field.value)}`)
    .join(', ');
}

/** `acme.com found: filled company.name "Acme", company.employees 1200`. */
export function companyTableWords(trace: EnrichmentTrace): string | null {
  const table = trace.companies;
  if (table === undefined) return null;
  switch (table.result) {
    case 'no_domain':
      return 'not looked up: the lead has no company domain';
    case 'free_mail':
      return `not looked up: ${table.domain} is a free-mail domain`;
    case 'miss':
      return `no row for ${table.domain}`;
    case 'hit': {
      const filled = filledText(trace, 'companies');
      return `${table.domain} found: ${filled === '' ? 'nothing missing' : `filled ${filled}`}`;
    }
  }
}

/** `answered: filled company.country "DE"`, `timed out after 2s: routed with what is known`. */
export function webhookWords(trace: EnrichmentTrace): string | null {
  const webhook = trace.webhook;
  if (webhook === undefined) return null;
  switch (webhook.result) {
    case 'timeout':
      return `timed out after ${timeoutText(webhook.afterMs)}: routed with what is known`;
    case 'error':
      return `failed (${webhook.error}): routed with what is known`;
    case 'answered':
    case 'cached': {
      const filled = filledText(trace, 'webhook');
      const how = webhook.result === 'cached' ? 'answered (from the cache, same domain)' : 'answered';
      return `${how}: ${filled === '' ? 'nothing new' : `filled ${filled}`}`;
    }
  }
}

/** The enrichment part of a routing trace, as lines of text; none when the lead was not enriched. */
export function enrichmentLines(trace: EnrichmentTrace | undefined, indent = '  '): string[] {
  if (trace === undefined) return [];
  const table = companyTableWords(trace);
  const webhook = webhookWords(trace);
  return [
    'Enrichment:',
    ...(table === null ? [] : [`${indent}company table: ${table}`]),
    ...(webhook === null ? [] : [`${indent}webhook: ${webhook}`]),
  ];
}
