/**
 * Whatever a lead contains, every message leadrelay renders is one Slack accepts: valid Block Kit
 * (checked by the Slack stand-in's validator), within Slack's text limits, and with no markup that
 * came from lead text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderAssignedDm } from '../../../src/adapters/slack/renderAssignedDm.ts';
import { renderEscalation, type EscalationModel } from '../../../src/adapters/slack/renderEscalation.ts';
import { renderLeadDetails } from '../../../src/adapters/slack/renderLeadDetails.ts';
import { renderOfferCard, type LeadWhereabouts, type OfferCardModel, type OfferState } from '../../../src/adapters/slack/renderOfferCard.ts';
import { renderReminder } from '../../../src/adapters/slack/renderReminder.ts';
import { renderSeenAgain } from '../../../src/adapters/slack/renderThreadNote.ts';
import type { HistoryEntry, StoredLead } from '../../../src/app/ports.ts';
import { LEAD_SOURCES, LEAD_STATES, type Lead } from '../../../src/domain/lead.ts';
import { blockProblems } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 2, 14, 0, 0);
const OFFER_STATES: OfferState[] = ['pending', 'claimed', 'passed', 'expired', 'withdrawn'];

const hostile = fc.constantFrom('<script>alert(1)</script>', 'Smith & Sons', '<!channel>', '<@U0CEO>', '<https://evil.example|x>', '*bold* _it_ ~s~ `c`', '&amp;&lt;', '😀👩‍👩‍👧', '|>|<');
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 6000 }), hostile);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const url = fc.oneof(fc.webUrl(), text, fc.constant('https://crm.example.com/a|b>c<d&e'), fc.constant(`https://x.example/${'a'.repeat(3000)}`));
const repId = fc.constantFrom('U0ALICE', 'U0BOB', 'U0MGR');

const lead: fc.Arbitrary<Lead> = fc.record({
  source: fc.constantFrom(...LEAD_SOURCES),
  email: optional(text),
  linkedin_url: optional(url),
  name: optional(text),
  title: optional(text),
  phone: optional(text),
  company: fc.record({
    name: optional(text),
    domain: optional(text),
    employees: optional(fc.integer({ min: 0, max: 10_000_000 })),
    industry: optional(text),
    country: optional(text),
    region: optional(text),
  }),
  score: optional(fc.integer({ min: 0, max: 100 })),
  crm_url: optional(url),
  message: optional(text),
  fields: fc.constant({}),
});

const whereabouts: fc.Arbitrary<LeadWhereabouts | null> = fc.oneof(
  fc.constant(null),
  repId.map((id) => ({ kind: 'offered' as const, repId: id })),
  repId.map((id) => ({ kind: 'claimed' as const, repId: id })),
  repId.map((id) => ({ kind: 'owned' as const, repId: id })),
  fc.option(repId, { nil: null }).map((id) => ({ kind: 'done' as const, repId: id })),
  fc.constantFrom({ kind: 'escalated' as const }, { kind: 'queued' as const }),
  text.map((sequenceId) => ({ kind: 'sequence' as const, sequenceId })),
);

const offerCard: fc.Arbitrary<OfferCardModel> = fc.record({
  ref: fc.integer({ min: 1, max: 1e9 }).map((n) => `L-${n}`),
  lead,
  domain: fc.option(text, { nil: null }),
  offer: fc.record({
    id: fc.integer({ min: 1, max: 1e9 }),
    version: fc.nat(1000),
    repId,
    attempt: fc.integer({ min: 1, max: 20 }),
    state: fc.constantFrom(...OFFER_STATES),
    offeredAt: fc.constant(NOW),
    deadlineAt: fc.integer({ min: NOW, max: NOW + 86_400_000 * 3 }),
    resolvedAt: fc.option(fc.integer({ min: NOW, max: NOW + 86_400_000 }), { nil: null }),
    reason: fc.option(fc.oneof(text, fc.constant('away')), { nil: null }),
  }),
  why: text,
  whereabouts,
  signals: fc.array(
    fc.record({ channel: fc.constantFrom('linkedin', 'email', 'whatsapp', 'web'), kind: fc.oneof(fc.constantFrom('reply_positive', 'profile_view', 'email_open'), text), at: fc.integer({ min: 0, max: NOW }) }),
    { maxLength: 30 },
  ),
  urgent: fc.boolean(),
  maxOffers: fc.integer({ min: 0, max: 10 }),
});

const escalation: fc.Arbitrary<EscalationModel> = fc.record({
  ref: fc.constant('L-17'),
  lead,
  leadId: fc.integer({ min: 1, max: 1e9 }),
  leadVersion: fc.nat(1000),
  reason: fc.constantFrom('max_offers', 'queued'),
  offers: fc.array(fc.record({ repId, state: fc.constantFrom(...OFFER_STATES), resolvedAt: fc.option(fc.constant(NOW), { nil: null }) }), { maxLength: 40 }),
  teamId: fc.option(text, { nil: null }),
  assignedTo: fc.option(repId, { nil: null }),
  assignedBy: fc.option(repId, { nil: null }),
  claimedBy: fc.option(repId, { nil: null }),
  pingCount: fc.integer({ min: 1, max: 50 }),
  domain: optional(fc.option(text, { nil: null })),
});

/** What our own markup looks like: mentions, Slack dates, http(s) links with a label, and quotes. */
const OUR_MARKUP = /<(?:@U[A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+|https?:\/\/[^\s<>|]+\|[^<>|]+)>|^> /gm;

function expectAcceptedBySlack(message: { text: string; blocks?: unknown[] }): void {
  const sent = JSON.parse(JSON.stringify(message)) as { text: string; blocks?: unknown[] };
  expect(sent.text.length).toBeGreaterThan(0);
  expect(sent.text.length).toBeLessThanOrEqual(40_000);
  expect(sent.text.replace(OUR_MARKUP, '')).not.toMatch(/[<>]/);
  if (sent.blocks === undefined) return;
  expect(blockProblems(sent.blocks)).toEqual([]);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') {
        expect(record.text.replace(OUR_MARKUP, '')).not.toMatch(/[<>]/);
      }
      if (record.type === 'users_select') {
        const placeholder = record.placeholder as { text: string };
        expect(placeholder.text.length).toBeLessThanOrEqual(150);
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(sent.blocks);
}

describe('every rendered message is accepted by Slack, whatever the lead contains', () => {
  it('offer cards in every state, and their reminders', () => {
    fc.assert(
      fc.property(offerCard, fc.integer({ min: NOW, max: NOW + 86_400_000 * 4 }), (model, now) => {
        expectAcceptedBySlack(renderOfferCard(model, now));
        expectAcceptedBySlack(renderReminder(model, now));
      }),
      { numRuns: 300 },
    );
  });

  it('escalations, assigned or not, pinged or not', () => {
    fc.assert(fc.property(escalation, (model) => expectAcceptedBySlack(renderEscalation(model, NOW))), { numRuns: 300 });
  });

  it('assignment DMs', () => {
    fc.assert(
      fc.property(lead, fc.option(text, { nil: null }), optional(text), (l, domain, why) => {
        expectAcceptedBySlack(renderAssignedDm({ ref: 'L-17', lead: l, domain, assignedBy: 'U0MGR', ...(why === undefined ? {} : { why }) }, NOW));
      }),
      { numRuns: 200 },
    );
  });

  it('/leads L-17 details', () => {
    const entry: fc.Arbitrary<HistoryEntry> = fc.record({
      at: fc.integer({ min: 0, max: NOW }),
      actor: fc.oneof(repId, fc.constant('system')),
      event: fc.constantFrom('received', 'offered', 'expired', 'passed', 'claimed', 'enriched'),
      detail: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), text, { maxKeys: 4 }), { nil: null }),
    });
    fc.assert(
      fc.property(lead, fc.constantFrom(...LEAD_STATES), fc.array(entry, { maxLength: 40 }), (l, state, history) => {
        const stored: StoredLead = {
          id: 17, state, ownerId: null, teamId: null, sequenceId: null, routedBy: null, domain: null, version: 1, lead: l, enrichment: null,
          receivedAt: NOW, updatedAt: NOW, firstOfferedAt: null, claimedAt: null, firstOwnedAt: null, doneAt: null,
        };
        expectAcceptedBySlack(renderLeadDetails(stored, history));
      }),
      { numRuns: 200 },
    );
  });

  it('seen-again notes', () => {
    for (const source of LEAD_SOURCES) expectAcceptedBySlack(renderSeenAgain(source, NOW));
  });
});
