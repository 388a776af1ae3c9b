import type { Config } from '../config/schema.ts';
import type { SignalChannel, SignalKind } from '../domain/settings.ts';
import type { Clock } from '../domain/clock.ts';
import { leadRef, normalizeEmail, normalizeLinkedInUrl, parseLeadRef } from '../domain/lead.ts';
import { isHotSignal, matchSignalRule } from '../domain/signals/matchSignalRule.ts';
import type { Db } from '../adapters/sqlite/openDatabase.ts';
import type { SqliteLeadStore } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { SqliteOfferStore } from '../adapters/sqlite/sqliteOfferStore.ts';
import type { SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';
import type { SqliteSignalStore } from '../adapters/sqlite/sqliteSignalStore.ts';
import { leadEventLog, type Logger } from '../adapters/logger.ts';
import type { LeadEventSink } from './leadEvents.ts';
import type { LeadRouter, RouteOutcome } from './routeLead.ts';

export interface SignalRequest {
  /** The sender's id for the signal: a repeat is recorded once. */
  id?: string | undefined;
  lead: { email?: string | undefined; linkedin_url?: string | undefined; external_id?: string | undefined; ref?: string | undefined };
  channel: SignalChannel;
  kind: SignalKind;
  /** When it happened (epoch ms); default now. */
  at?: number | undefined;
}

export type SignalResult =
  | { status: 'accepted'; leadId: number; ref: string; rule: string | null; outcome: RouteOutcome | { kind: 'noted' } | null }
  | { status: 'duplicate'; leadId: number; ref: string }
  | { status: 'not_found' };

/**
 * Engagement signals: stored on the lead; a `signals:` rule that fires routes a lead that is
 * in a sequence or queued (the trace names the rule), and tells the rep holding an offered or owned
 * lead in their card's thread ("replied positively on LinkedIn: call now") — a positive reply on an
 * unclaimed offer also marks its card urgent. One transaction.
 */
export function createRecordSignal(deps: {
  db: Db;
  leads: SqliteLeadStore;
  offers: SqliteOfferStore;
  signals: SqliteSignalStore;
  outbox: SqliteOutboxStore;
  router: LeadRouter;
  clock: Clock;
  config: () => Config;
  /** The signal is logged here after commit… */
  logger: Logger;
  /** …and then told here (the metrics). */
  onLeadEvent?: LeadEventSink;
  onEffects?: () => void;
}) {
  const { leads, offers, signals, outbox, router, clock } = deps;

  const findLead = (lead: SignalRequest['lead']): number | null => {
    if (lead.ref !== undefined) return parseLeadRef(lead.ref);
    if (lead.external_id !== undefined) return leads.findByExternalId(lead.external_id)?.id ?? null;
    if (lead.email !== undefined) return leads.findLatestByKey({ emailKey: normalizeEmail(lead.email) });
    if (lead.linkedin_url !== undefined) return leads.findLatestByKey({ linkedinKey: normalizeLinkedInUrl(lead.linkedin_url) });
    return null;
  };

  const record = deps.db.transaction((request: SignalRequest): SignalResult => {
    const now = clock.now();
    if (request.id !== undefined) {
      const seen = signals.leadOfSignalKey(request.id);
      if (seen !== null) return { status: 'duplicate', leadId: seen, ref: leadRef(seen) };
    }
    const leadId = findLead(request.lead);
    const stored = leadId === null ? undefined : leads.getLead(leadId);
    if (!stored) return { status: 'not_found' };
    const signal = { channel: request.channel, kind: request.kind, at: request.at ?? now };
    signals.insert(stored.id, signal, request.id ?? null, now);
    leads.appendHistory(stored.id, now, 'api', 'signal', { channel: signal.channel, kind: signal.kind });

    const match = matchSignalRule(deps.config().signals, signal, signals.ofLead(stored.id), now);
    if (match) leads.appendHistory(stored.id, now, 'system', 'signal_rule', { rule: match.rule.name, count: match.count });

    let outcome: RouteOutcome | { kind: 'noted' } | null = null;
    if (match && (stored.state === 'in_sequence' || stored.state === 'queued')) {
      outcome = router.routeForSignalWithinTransaction(stored.id, match.rule);
    } else if (stored.state === 'offered' || stored.state === 'claimed') {
      // The rep holding the lead hears about it, rule or not: a positive reply is news either way.
      const pending = offers.pendingOfLead(stored.id);
      const card = offers.currentCardOf(stored.id);
      if (card !== null && (match || isHotSignal(signal))) {
        outbox.enqueue({ leadId: stored.id, kind: 'card', method: 'signal_note', payload: { offerId: card, channel: signal.channel, kind: signal.kind, hot: isHotSignal(signal) } }, now);
        if (pending && signal.kind === 'reply_positive') outbox.enqueue({ leadId: stored.id, kind: 'card', method: 'update_offer_card', payload: { offerId: pending.id } }, now);
        outcome = { kind: 'noted' };
      }
    }
    return { status: 'accepted', leadId: stored.id, ref: leadRef(stored.id), rule: match?.rule.name ?? null, outcome };
  });

  return (request: SignalRequest): SignalResult => {
    const result = record.immediate(request);
    if (result.status === 'accepted') {
      leadEventLog(deps.logger, deps.onLeadEvent)({
        event: 'lead.signal',
        leadId: result.leadId,
        at: clock.now(),
        by: 'api',
        channel: request.channel,
        kind: request.kind,
        ...(result.rule === null ? {} : { rule: result.rule }),
      });
      if (result.outcome && result.outcome.kind !== 'noted') router.committed(result.leadId, result.outcome);
      deps.onEffects?.();
    }
    return result;
  };
}
