import { fillFromCompanyTable, fillFromWebhook, startEnrichment, type CompanyFacts, type Enrichment, type EnrichmentTrace, type WebhookOutcome } from '../domain/enrichment.ts';
import type { Lead } from '../domain/lead.ts';

/** What the enrichment webhook is asked about a lead. */
export interface EnrichRequest {
  /** `L-17`, sent with the lead so the enricher's logs can name it. */
  ref: string;
  lead: Lead;
  /** The lead's company domain: the cache key; null (or a free-mail domain) = not cached. */
  domain: string | null;
}

/** The company table of `enrichment.companies`: company facts by domain. */
export type CompanyLookup = ReadonlyMap<string, CompanyFacts>;

/** What the app needs of the enrichment webhook adapter (a port). */
export interface WebhookEnricher {
  enrich(request: EnrichRequest): Promise<WebhookOutcome>;
}

export interface LeadEnricherDeps {
  /** The company table as loaded now (it changes on SIGHUP); null when `enrichment.companies` is not set. */
  companies: (() => CompanyLookup) | null;
  /** null when `enrichment.webhook` is not set. */
  webhook: WebhookEnricher | null;
}

/**
 * Enrichment before routing: the company table, then the webhook, each filling only what
 * the lead still lacks (src/domain/enrichment.ts decides). Runs outside any transaction — the
 * webhook is network I/O — and resolves within the webhook's timeout; the router stores the result
 * together with the routing decision, in the decision's transaction.
 */
export function createLeadEnricher(deps: LeadEnricherDeps) {
  const configured = deps.companies !== null || deps.webhook !== null;
  return {
    /** True when the config has an `enrichment:` section. */
    configured,

    /** The lead with its missing company fields filled, and the trace; null when enrichment is not configured. */
    async enrich(request: { ref: string; lead: Lead; domain: string | null }): Promise<Enrichment | null> {
      if (!configured) return null;
      let state = startEnrichment(request.lead, request.domain);
      if (deps.companies) {
        const table = deps.companies();
        state = fillFromCompanyTable(state, (domain) => table.get(domain));
      }
      if (deps.webhook) {
        const outcome = await deps.webhook.enrich({ ref: request.ref, lead: state.lead, domain: state.domain });
        state = fillFromWebhook(state, outcome);
      }
      return state;
    },
  };
}

export type LeadEnricher = ReturnType<typeof createLeadEnricher>;

/** The lead's history entry for an enrichment: which fields came from where, and what the steps did (no values). */
export function enrichmentHistoryDetail(trace: EnrichmentTrace): Record<string, string> {
  const detail: Record<string, string> = {};
  if (trace.companies) detail.company_table = trace.companies.result.replace('_', '-');
  if (trace.webhook) detail.webhook = trace.webhook.result === 'timeout' ? `timeout after ${trace.webhook.afterMs} ms` : trace.webhook.result;
  detail.filled = trace.filled.length === 0 ? 'nothing' : trace.filled.map((field) => `${field.path} (${field.from === 'companies' ? 'table' : 'webhook'})`).join(', ');
  return detail;
}
