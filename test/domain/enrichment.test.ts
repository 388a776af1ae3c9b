import { describe, expect, it } from 'vitest';
import {
  enrichmentLines,
  fillFromCompanyTable,
  fillFromWebhook,
  startEnrichment,
  type CompanyFacts,
  type Enrichment,
} from '../../src/domain/enrichment.ts';
import { leadDomain, type Lead } from '../../src/domain/lead.ts';

function lead(extra: Partial<Lead> = {}): Lead {
  return { source: 'form', email: 'jane@acme.com', company: {}, fields: {}, ...extra };
}

const TABLE = new Map<string, CompanyFacts>([
  ['acme.com', { name: 'Acme', employees: 1200, industry: 'Software', country: 'DE' }],
  ['globex.com', { name: 'Globex' }],
]);
const lookup = (domain: string) => TABLE.get(domain);

/** A lead through the table step, its domain derived as intake does. */
function fromTable(l: Lead): Enrichment {
  return fillFromCompanyTable(startEnrichment(l, leadDomain(l)), lookup);
}

describe('enrichment from the company table', () => {
  it('fills every missing company field from the row of the lead’s domain, and says each came from the table', () => {
    const result = fromTable(lead());
    expect(result.lead.company).toEqual({ name: 'Acme', employees: 1200, industry: 'Software', country: 'DE' });
    expect(result.trace).toEqual({
      companies: { result: 'hit', domain: 'acme.com' },
      filled: [
        { path: 'company.name', value: 'Acme', from: 'companies' },
        { path: 'company.employees', value: 1200, from: 'companies' },
        { path: 'company.industry', value: 'Software', from: 'companies' },
        { path: 'company.country', value: 'DE', from: 'companies' },
      ],
    });
  });

  it('never replaces a field the lead already has', () => {
    const result = fromTable(lead({ company: { name: 'ACME Corp', country: 'US' } }));
    expect(result.lead.company).toEqual({ name: 'ACME Corp', country: 'US', employees: 1200, industry: 'Software' });
    expect(result.trace.filled.map((f) => f.path)).toEqual(['company.employees', 'company.industry']);
  });

  it('leaves the lead as it is when its domain has no row (a miss)', () => {
    const l = lead({ email: 'bo@initech.io' });
    const result = fromTable(l);
    expect(result.lead).toEqual(l);
    expect(result.trace).toEqual({ filled: [], companies: { result: 'miss', domain: 'initech.io' } });
  });

  it('does not look up a free-mail domain, even one given as the company domain', () => {
    const table = new Map<string, CompanyFacts>([['gmail.com', { name: 'Google' }]]);
    const given = fillFromCompanyTable(startEnrichment(lead({ email: 'jane@gmail.com', company: { domain: 'gmail.com' } }), 'gmail.com'), (d) => table.get(d));
    expect(given.lead.company).toEqual({ domain: 'gmail.com' });
    expect(given.trace.companies).toEqual({ result: 'free_mail', domain: 'gmail.com' });
  });

  it('does not look up a lead without a company domain (a free-mail address gives none)', () => {
    const result = fromTable(lead({ email: 'jane@gmail.com' }));
    expect(result.domain).toBeNull();
    expect(result.trace).toEqual({ filled: [], companies: { result: 'no_domain' } });
  });
});

describe('enrichment from the webhook', () => {
  it('fills only what the lead still lacks after the table: the table’s values win over the webhook’s', () => {
    const result = fillFromWebhook(fromTable(lead()), {
      result: 'answered',
      answer: { company: { name: 'Acme Inc.', country: 'US', region: 'EMEA' }, fields: { plan: 'enterprise' } },
    });
    expect(result.lead.company).toMatchObject({ name: 'Acme', country: 'DE', region: 'EMEA' });
    expect(result.lead.fields).toEqual({ plan: 'enterprise' });
    expect(result.trace.filled.filter((f) => f.from === 'webhook')).toEqual([
      { path: 'company.region', value: 'EMEA', from: 'webhook' },
      { path: 'fields.plan', value: 'enterprise', from: 'webhook' },
    ]);
    expect(result.trace.webhook).toEqual({ result: 'answered' });
  });

  it('adds only the fields keys the lead does not have', () => {
    const result = fillFromWebhook(startEnrichment(lead({ fields: { plan: 'free' } }), 'acme.com'), {
      result: 'cached',
      answer: { fields: { plan: 'enterprise', seats: 300, partner: false } },
    });
    expect(result.lead.fields).toEqual({ plan: 'free', seats: 300, partner: false });
    expect(result.trace.filled.map((f) => f.path)).toEqual(['fields.seats', 'fields.partner']);
    expect(result.trace.webhook).toEqual({ result: 'cached' });
  });

  it('gives a lead without a domain the company domain the webhook found, but never a free-mail one', () => {
    const none = startEnrichment(lead({ email: 'jane@gmail.com' }), null);
    const found = fillFromWebhook(none, { result: 'answered', answer: { company: { domain: 'WWW.Acme.com' } } });
    expect(found.domain).toBe('acme.com');
    expect(found.lead.company.domain).toBe('acme.com');
    expect(found.trace.filled).toEqual([{ path: 'company.domain', value: 'acme.com', from: 'webhook' }]);
    const freeMail = fillFromWebhook(none, { result: 'answered', answer: { company: { domain: 'gmail.com' } } });
    expect(freeMail.domain).toBeNull();
    expect(freeMail.lead.company.domain).toBeUndefined();
  });

  it('does not change a domain the lead already has', () => {
    const result = fillFromWebhook(startEnrichment(lead(), 'acme.com'), { result: 'answered', answer: { company: { domain: 'other.com' } } });
    expect(result.domain).toBe('acme.com');
    expect(result.trace.filled).toEqual([]);
  });

  it('keeps the lead as the table left it when the webhook timed out or failed, and records why', () => {
    const afterTable = fromTable(lead());
    const timedOut = fillFromWebhook(afterTable, { result: 'timeout', afterMs: 2000 });
    expect(timedOut.lead).toEqual(afterTable.lead);
    expect(timedOut.trace).toEqual({ ...afterTable.trace, webhook: { result: 'timeout', afterMs: 2000 } });
    const failed = fillFromWebhook(afterTable, { result: 'error', error: 'HTTP 500 from enrich.example.com' });
    expect(failed.lead).toEqual(afterTable.lead);
    expect(failed.trace.webhook).toEqual({ result: 'error', error: 'HTTP 500 from enrich.example.com' });
  });
});

describe('enrichment in words', () => {
  it('names each filled value and its source, and what each step did', () => {
    const result = fillFromWebhook(fromTable(lead({ company: { name: 'Acme', industry: 'Software', employees: 5 } })), {
      result: 'answered',
      answer: { company: { region: 'EMEA' } },
    });
    expect(enrichmentLines(result.trace)).toEqual([
      'Enrichment:',
      '  company table: acme.com found: filled company.country "DE"',
      '  webhook: answered: filled company.region "EMEA"',
    ]);
  });

  it('says the lead was routed with what is known when the webhook timed out or failed', () => {
    const miss = fromTable(lead({ email: 'x@initech.io' }));
    expect(enrichmentLines(fillFromWebhook(miss, { result: 'timeout', afterMs: 2000 }).trace)).toEqual([
      'Enrichment:',
      '  company table: no row for initech.io',
      '  webhook: timed out after 2s: routed with what is known',
    ]);
    expect(enrichmentLines(fillFromWebhook(miss, { result: 'error', error: 'HTTP 503 from enrich.example.com' }).trace)[2]).toBe(
      '  webhook: failed (HTTP 503 from enrich.example.com): routed with what is known',
    );
  });

  it('explains a lookup skipped for a free-mail or missing domain, and a cached answer with nothing new', () => {
    const freeMail = fillFromCompanyTable(startEnrichment(lead({ email: 'a@gmail.com', company: { domain: 'gmail.com' } }), 'gmail.com'), lookup);
    expect(enrichmentLines(freeMail.trace)).toEqual(['Enrichment:', '  company table: not looked up: gmail.com is a free-mail domain']);
    const noDomain = fillFromWebhook(fromTable(lead({ email: 'a@gmail.com' })), { result: 'cached', answer: {} });
    expect(enrichmentLines(noDomain.trace)).toEqual([
      'Enrichment:',
      '  company table: not looked up: the lead has no company domain',
      '  webhook: answered (from the cache, same domain): nothing new',
    ]);
  });

  it('has no lines for a lead that was not enriched', () => {
    expect(enrichmentLines(undefined)).toEqual([]);
  });
});
