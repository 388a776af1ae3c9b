import type { Clock } from '../domain/clock.ts';
import { leadRef, normalizeEmail, normalizeLinkedInUrl, parseLeadRef } from '../domain/lead.ts';
import type { Settings, SignalChannel, SignalKind } from '../domain/settings.ts';
import { isHotSignal, matchSignalRule } from '../domain/signals/matchSignalRule.ts';
import type { EventBus } from './events.ts';
import type { Tx, UnitOfWork } from './ports.ts';
import type { RouteOutcome } from './route.ts';
import type { LeadRouter } from './routeLead.ts';

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
export function createRecordSignal(deps: { uow: UnitOfWork; router: Pick<LeadRouter, 'route'>; clock: Clock; settings: () => Settings; events: EventBus }) {
  const { uow, router, clock, events } = deps;

  const findLead = async (tx: Tx, lead: SignalRequest['lead']): Promise<number | null> => {
    if (lead.ref !== undefined) return parseLeadRef(lead.ref);
    if (lead.external_id !== undefined) return (await tx.leads.findByExternalId(lead.external_id))?.id ?? null;
    if (lead.email !== undefined) return tx.leads.findLatestByKey({ emailKey: normalizeEmail(lead.email) });
    if (lead.linkedin_url !== undefined) return tx.leads.findLatestByKey({ linkedinKey: normalizeLinkedInUrl(lead.linkedin_url) });
    return null;
  };

  const record = async (tx: Tx, request: SignalRequest): Promise<SignalResult> => {
    const now = clock.now();
    if (request.id !== undefined) {
      const seen = await tx.signals.leadOfKey(request.id);
      if (seen !== null) return { status: 'duplicate', leadId: seen, ref: leadRef(seen) };
    }
    const leadId = await findLead(tx, request.lead);
    const stored = leadId === null ? null : await tx.leads.get(leadId);
    if (!stored) return { status: 'not_found' };
    const signal = { channel: request.channel, kind: request.kind, at: request.at ?? now };
    await tx.signals.insert(stored.id, signal, request.id ?? null, now);
    await tx.leads.appendHistory(stored.id, now, 'api', 'signal', { channel: signal.channel, kind: signal.kind });

    const match = matchSignalRule(deps.settings().signals, signal, await tx.signals.ofLead(stored.id), now);
    if (match) await tx.leads.appendHistory(stored.id, now, 'system', 'signal_rule', { rule: match.rule.name, count: match.count });
    tx.afterCommit(() => {
      const event = { event: 'lead.signal' as const, leadId: stored.id, at: now, by: 'api', channel: request.channel, kind: request.kind, ...(match ? { rule: match.rule.name } : {}) };
      events.publish({ type: 'leadChanged', event });
      events.publish({ type: 'effectsQueued' });
    });

    let outcome: RouteOutcome | { kind: 'noted' } | null = null;
    if (match && (stored.state === 'in_sequence' || stored.state === 'queued')) {
      outcome = await router.route(tx, stored.id, { signalRule: match.rule });
    } else if (stored.state === 'offered' || stored.state === 'claimed') {
      // The rep holding the lead hears about it, rule or not: a positive reply is news either way.
      const pending = await tx.offers.pendingOfLead(stored.id);
      const card = await tx.offers.currentCardOf(stored.id);
      if (card !== null && (match || isHotSignal(signal))) {
        await tx.outbox.enqueue(stored.id, { type: 'signal_note', offerId: card, channel: signal.channel, kind: signal.kind, hot: isHotSignal(signal) }, now);
        if (pending && signal.kind === 'reply_positive') await tx.outbox.enqueue(stored.id, { type: 'update_offer_card', offerId: pending.id }, now);
        outcome = { kind: 'noted' };
      }
    }
    return { status: 'accepted', leadId: stored.id, ref: leadRef(stored.id), rule: match?.rule.name ?? null, outcome };
  };

  return (request: SignalRequest): Promise<SignalResult> => uow.run((tx) => record(tx, request));
}
