import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SignalRequest, SignalResult } from '../../app/recordSignal.ts';
import { SIGNAL_CHANNELS, SIGNAL_KINDS } from '../../domain/settings.ts';
import { describeZodIssues, jsonErrorMap } from '../../config/zodIssues.ts';
import type { Clock } from '../../domain/clock.ts';
import { sendJson } from './httpIo.ts';
import { readAuthenticatedJson } from './authenticatedJson.ts';

const key = z.string().trim().min(1, 'must not be empty').max(500, 'at most 500 characters');

/** The body of POST /signals. */
export const signalPayloadSchema = z
  .object({
    id: key.optional(),
    lead: z
      .object({ email: key.optional(), linkedin_url: key.optional(), external_id: key.optional(), ref: key.optional() })
      .strict()
      .refine((lead) => Object.values(lead).some((value) => value !== undefined), 'give one of email, linkedin_url, external_id, ref'),
    channel: z.enum(SIGNAL_CHANNELS),
    kind: z.enum(SIGNAL_KINDS),
    at: z.iso.datetime({ offset: true, error: 'expected an ISO-8601 time with a zone, e.g. 2026-11-24T14:00:00Z' }).optional(),
  })
  .strict();

/** POST /signals: same authentication as /leads; 404 for an unknown lead; idempotent with `id`. */
export function createSignalsRoute(deps: { webhookSecret: string; clock: Clock; recordSignal: (request: SignalRequest) => Promise<SignalResult> }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = await readAuthenticatedJson(req, res, deps, 'invalid_signal');
    if (!request) return;
    const parsed = signalPayloadSchema.safeParse(request.json, { error: jsonErrorMap });
    if (!parsed.success) {
      sendJson(res, 400, { error: 'invalid_signal', issues: describeZodIssues(parsed.error.issues) });
      return;
    }
    const { at, ...rest } = parsed.data;
    const result = await deps.recordSignal({ ...rest, ...(at ? { at: Date.parse(at) } : {}) });
    switch (result.status) {
      case 'not_found':
        sendJson(res, 404, { error: 'lead_not_found', message: 'no lead matches the given email, linkedin_url, external_id or ref' });
        return;
      case 'duplicate':
        sendJson(res, 200, { lead: result.ref, status: 'duplicate' });
        return;
      case 'accepted':
        sendJson(res, 202, { lead: result.ref, status: 'accepted', rule: result.rule });
        return;
    }
  };
}
