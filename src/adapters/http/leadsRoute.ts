import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AcceptLeadRequest, AcceptLeadResult } from '../../app/acceptLead.ts';
import type { Clock } from '../../domain/clock.ts';
import { LEAD_SOURCES, type Lead, type LeadSource } from '../../domain/lead.ts';
import type { ValidationIssue } from '../../config/zodIssues.ts';
import { readAuthenticatedJson } from './authenticatedJson.ts';
import { header, sendJson } from './httpIo.ts';
import { parseLeadPayload, type LeadWarning } from './leadPayload.ts';


export interface LeadsRouteDeps {
  webhookSecret: string;
  clock: Clock;
  /** Stores the lead (and routes it, or has it routed after the answer): resolves once that is committed. */
  acceptLead: (request: AcceptLeadRequest) => Promise<AcceptLeadResult>;
  /** Called after a lead was answered, whatever the answer (not for auth, media type or malformed JSON): for metrics and logs. */
  onAnswered?: (answer: LeadAnswer) => void;
}

/** How a lead was answered; `source` is `unknown` when the body was not a valid lead. */
export type LeadAnswer =
  | { status: 'accepted'; leadId: number; source: LeadSource }
  | { status: 'duplicate'; leadId: number; source: LeadSource; reason: string }
  | { status: 'invalid' | 'conflict'; source: LeadSource | 'unknown' };

/** The source a rejected body claims, when it names a valid one. */
function claimedSource(json: unknown): LeadSource | 'unknown' {
  const source = (json as { source?: unknown } | null)?.source;
  return (LEAD_SOURCES as readonly unknown[]).includes(source) ? (source as LeadSource) : 'unknown';
}

export const invalid = (res: ServerResponse, issues: readonly ValidationIssue[]) => sendJson(res, 400, { error: 'invalid_lead', issues });

/** What a lead answer needs besides the lead: the parsed request as /leads or /hooks/<id> made it. */
export interface LeadSubmission {
  lead: Lead;
  warnings: readonly LeadWarning[];
  idempotencyKey?: string | undefined;
  /** sha256 of the body when an Idempotency-Key came with it; '' without one. */
  requestHash: string;
  /** `hooks/<source id>` for a mapped lead. */
  via?: string;
}

/**
 * Stores a validated lead and answers the request (the answers shared by /leads and
 * /hooks/<id>): 202 accepted, 200 duplicate, 400 with the issues of a pre-routing that does not
 * resolve (`describeIssues` may add to them, e.g. the expression that made the path), 409 a reused key.
 */
export async function answerLead(
  res: ServerResponse,
  deps: Pick<LeadsRouteDeps, 'acceptLead' | 'onAnswered'>,
  submission: LeadSubmission,
  describeIssues: (issues: ValidationIssue[]) => ValidationIssue[] = (issues) => issues,
): Promise<void> {
  const { lead, warnings } = submission;
  const source = lead.source;
  const result = await deps.acceptLead({
    lead,
    idempotencyKey: submission.idempotencyKey,
    requestHash: submission.requestHash,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(submission.via !== undefined ? { via: submission.via } : {}),
  });
  const warned = warnings.length > 0 ? { warnings } : {};
  switch (result.status) {
    case 'accepted':
      sendJson(res, 202, { lead: result.ref, status: 'accepted', ...warned });
      deps.onAnswered?.({ status: 'accepted', leadId: result.leadId, source });
      return;
    case 'duplicate':
      sendJson(res, 200, { lead: result.ref, status: 'duplicate', matched_by: result.reason, ...warned });
      deps.onAnswered?.({ status: 'duplicate', leadId: result.leadId, source, reason: result.reason });
      return;
    case 'rejected':
      invalid(res, describeIssues(result.issues));
      deps.onAnswered?.({ status: 'invalid', source });
      return;
    case 'conflict':
      sendJson(res, 409, {
        error: result.error,
        lead: result.ref,
        message: 'this Idempotency-Key was already used for a different request body',
      });
      deps.onAnswered?.({ status: 'conflict', source });
      return;
  }
}

/** sha256 of a raw body (tells an Idempotency-Key replay from a different request). */
export const requestHash = (raw: Buffer): string => createHash('sha256').update(raw).digest('hex');

/** POST /leads. */
export function createLeadsRoute(deps: LeadsRouteDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = await readAuthenticatedJson(req, res, deps, 'invalid_lead');
    if (!request) return;

    const idempotencyKey = header(req, 'idempotency-key');
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      invalid(res, [{ path: 'Idempotency-Key', message: 'expected 1 to 255 visible ASCII characters' }]);
      deps.onAnswered?.({ status: 'invalid', source: claimedSource(request.json) });
      return;
    }
    const parsed = parseLeadPayload(request.json);
    if (!parsed.ok) {
      invalid(res, parsed.issues);
      deps.onAnswered?.({ status: 'invalid', source: claimedSource(request.json) });
      return;
    }
    // The body's hash tells a replay from another request reusing the key: without a key, nothing to tell apart.
    await answerLead(res, deps, { lead: parsed.lead, warnings: parsed.warnings, idempotencyKey, requestHash: idempotencyKey === undefined ? '' : requestHash(request.raw) });
  };
}
