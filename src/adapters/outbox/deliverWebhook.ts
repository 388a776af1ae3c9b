import type { OutboxRow } from '../../app/ports.ts';
import type { Effect } from '../../domain/effects.ts';
import { signedJsonHeaders } from '../http/webhookSignature.ts';
import type { DeliveryOutcome } from './outboxWorker.ts';

/** Reads Retry-After (seconds or an HTTP date) as milliseconds. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * POSTs signed JSON (X-Leadrelay-Timestamp + X-Leadrelay-Signature, as requests to POST /leads) to a webhook.
 * 2xx: done; 408/425/429/5xx and network errors: retry (honouring Retry-After); other 4xx: the
 * receiver refuses it, give up.
 */
export function createWebhookDeliverer(options: { secret: (url: string) => string; now: () => number; timeoutMs?: number }) {
  return async (row: OutboxRow, { url, body }: Extract<Effect, { type: 'webhook' }>): Promise<DeliveryOutcome> => {
    const text = JSON.stringify(body);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { ...signedJsonHeaders(options.secret(url), options.now(), text), 'x-leadrelay-delivery': String(row.id) },
        body: text,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      return { ok: false, retryable: true, error: `network: ${(error as Error).message}` };
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true, result: { status: response.status } };
    const error = `HTTP ${response.status} from ${new URL(url).host}`;
    if ([408, 425, 429].includes(response.status) || response.status >= 500) {
      const wait = retryAfterMs(response.headers.get('retry-after'), options.now());
      return wait === undefined ? { ok: false, retryable: true, error } : { ok: false, retryable: true, error, retryAfterMs: wait };
    }
    return { ok: false, retryable: false, error };
  };
}
