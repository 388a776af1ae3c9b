/**
 * The enrichment webhook of `enrichment.webhook`: POSTs `{"lead": {...}}`, signed like
 * requests to POST /leads, and reads `{"company": {...}, "fields": {...}}` back. It never holds a lead past
 * `timeout`: the time a request waits for a free slot (at most `concurrency` requests at once)
 * counts too. Answers are cached by company domain (a small LRU with a time to live), and leads of
 * the same domain arriving while a request is out share it. Failures are outcomes, never throws.
 */
import { z } from 'zod';
import { describeZodIssues, jsonErrorMap } from '../../config/zodIssues.ts';
import { ENRICHED_COMPANY_FIELDS, type EnrichmentAnswer, type WebhookOutcome } from '../../domain/enrichment.ts';
import type { EnrichRequest } from '../../app/enrichLead.ts';
import { isFreeMailDomain } from '../../domain/lead.ts';
import { signedJsonHeaders } from '../http/webhookSignature.ts';
import { leadFieldsSchema } from '../http/leadPayload.ts';

export interface HttpEnricherOptions {
  url: string;
  /** Signs the request (LEADRELAY_WEBHOOK_SECRET). */
  secret: string;
  /** The most a lead waits for an answer, slot included (`enrichment.timeout`). */
  timeoutMs: number;
  /** The clock's time: the signature's timestamp and the cache's ages. */
  now: () => number;
  /** Requests out at once; more wait for a slot. Default 8. */
  concurrency?: number;
  /** Domains whose answer is kept. Default 1000. */
  cacheSize?: number;
  /** How long an answer is reused for leads of the same domain. Default 1 hour. */
  cacheTtlMs?: number;
}

/** The most of an answer that is read. */
const MAX_ANSWER_BYTES = 256 * 1024;

const optionalText = z
  .string()
  .trim()
  .max(200, 'at most 200 characters')
  .nullish()
  .transform((value) => (value ? value : undefined));

/** Lenient where enrichers differ (extra keys, nulls for unknowns), strict about the types of what it uses. */
const answerSchema = z.looseObject({
  company: z
    .looseObject({
      name: optionalText,
      domain: optionalText,
      employees: z
        .number()
        .int('expected a whole number')
        .min(0, 'must be 0 or more')
        .nullish()
        .transform((value) => value ?? undefined),
      industry: optionalText,
      country: optionalText,
      region: optionalText,
    })
    .nullish(),
  fields: leadFieldsSchema.nullish(),
});

/** The answer with only the keys that carry a value. */
function toAnswer(parsed: z.output<typeof answerSchema>): EnrichmentAnswer {
  const answer: EnrichmentAnswer = {};
  if (parsed.company) {
    const company: NonNullable<EnrichmentAnswer['company']> = {};
    for (const key of [...ENRICHED_COMPANY_FIELDS, 'domain'] as const) {
      const value = parsed.company[key];
      if (value !== undefined) (company as Record<string, string | number>)[key] = value;
    }
    answer.company = company;
  }
  if (parsed.fields) answer.fields = parsed.fields;
  return answer;
}

/** `network error (ECONNREFUSED)`. */
function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `network error (${cause?.code ?? cause?.message ?? (error as Error).message})`;
}

export function createHttpEnricher(options: HttpEnricherOptions) {
  const concurrency = options.concurrency ?? 8;
  const cacheSize = options.cacheSize ?? 1000;
  const cacheTtlMs = options.cacheTtlMs ?? 60 * 60_000;
  const host = new URL(options.url).host;

  /** Least recently used first (a Map keeps insertion order; a hit moves its entry to the end). */
  const cache = new Map<string, { answer: EnrichmentAnswer; at: number }>();
  const shared = new Map<string, Promise<WebhookOutcome>>();
  let active = 0;
  const waiting: (() => void)[] = [];
  let requests = 0;

  const cached = (domain: string): EnrichmentAnswer | undefined => {
    const entry = cache.get(domain);
    if (!entry) return undefined;
    cache.delete(domain);
    if (options.now() - entry.at >= cacheTtlMs) return undefined;
    cache.set(domain, entry);
    return entry.answer;
  };

  const remember = (domain: string, answer: EnrichmentAnswer) => {
    cache.delete(domain);
    cache.set(domain, { answer, at: options.now() });
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  };

  /** A slot for one request; false when the deadline passed while waiting for it. */
  const acquire = (signal: AbortSignal): Promise<boolean> => {
    if (signal.aborted) return Promise.resolve(false);
    if (active < concurrency) {
      active += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const take = () => {
        signal.removeEventListener('abort', giveUp);
        active += 1;
        resolve(true);
      };
      const giveUp = () => {
        const index = waiting.indexOf(take);
        if (index >= 0) waiting.splice(index, 1);
        resolve(false);
      };
      waiting.push(take);
      signal.addEventListener('abort', giveUp, { once: true });
    });
  };

  const release = () => {
    active -= 1;
    waiting.shift()?.();
  };

  const timeout = (): WebhookOutcome => ({ result: 'timeout', afterMs: options.timeoutMs });

  const post = async (request: EnrichRequest, signal: AbortSignal): Promise<WebhookOutcome> => {
    if (!(await acquire(signal))) return timeout();
    try {
      requests += 1;
      const body = JSON.stringify({ lead: { ref: request.ref, ...request.lead } });
      let text: string;
      let status: number;
      try {
        const response = await fetch(options.url, { method: 'POST', headers: signedJsonHeaders(options.secret, options.now(), body), body, signal });
        status = response.status;
        if (!response.ok) {
          await response.arrayBuffer().catch(() => undefined);
          return { result: 'error', error: `HTTP ${status} from ${host}` };
        }
        text = await response.text();
      } catch (error) {
        return signal.aborted ? timeout() : { result: 'error', error: networkError(error) };
      }
      if (Buffer.byteLength(text) > MAX_ANSWER_BYTES) return { result: 'error', error: `answer over ${MAX_ANSWER_BYTES / 1024} KiB from ${host}` };
      let json: unknown = {};
      if (text.trim() !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          return { result: 'error', error: `invalid JSON from ${host}` };
        }
      }
      const parsed = answerSchema.safeParse(json, { error: jsonErrorMap });
      if (!parsed.success) {
        const [first] = describeZodIssues(parsed.error.issues);
        return { result: 'error', error: `invalid answer from ${host}: ${first?.path ? `${first.path}: ` : ''}${first?.message ?? 'unexpected shape'}` };
      }
      const answer = toAnswer(parsed.data);
      if (request.domain !== null && !isFreeMailDomain(request.domain)) remember(request.domain, answer);
      return { result: 'answered', answer };
    } finally {
      release();
    }
  };

  /** Resolves `work`'s outcome, or a timeout when `signal` fires first. */
  const withDeadline = (work: Promise<WebhookOutcome>, signal: AbortSignal): Promise<WebhookOutcome> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve(timeout());
      signal.addEventListener('abort', () => resolve(timeout()), { once: true });
      void work.then(resolve);
    });

  return {
    /** What the enricher knows about the lead, within `timeoutMs`. Never rejects. */
    async enrich(request: EnrichRequest): Promise<WebhookOutcome> {
      const key = request.domain !== null && !isFreeMailDomain(request.domain) ? request.domain : null;
      if (key !== null) {
        const answer = cached(key);
        if (answer) return { result: 'cached', answer };
      }
      const signal = AbortSignal.timeout(options.timeoutMs);
      const inFlight = key === null ? undefined : shared.get(key);
      if (inFlight) return withDeadline(inFlight, signal);
      const work = post(request, signal).catch((error: unknown): WebhookOutcome => ({ result: 'error', error: (error as Error).message }));
      if (key === null) return work;
      shared.set(key, work);
      try {
        return await work;
      } finally {
        shared.delete(key);
      }
    },

    /** Requests sent so far (for tests and metrics). */
    requestsSent: () => requests,

    /** Requests out now, and leads waiting for a slot. */
    pending: () => ({ out: active, waiting: waiting.length }),
  };
}

export type HttpEnricher = ReturnType<typeof createHttpEnricher>;
