import { describe, expect, it } from 'vitest';
import { parseLeadButtonValue, parseOfferButtonValue } from '../../../src/adapters/slack/cardValues.ts';
import {
  listBlocks,
  NO_OPEN_LEADS,
  NOTHING_WAITING,
  renderMyLeads,
  type OpenLeadItem,
  type PendingOfferItem,
} from '../../../src/adapters/slack/renderMyLeads.ts';
import { ACTIONS } from '../../../src/adapters/slack/slackIds.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { blockProblems } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 4, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Json = Record<string, unknown>;

function buildLead(overrides: Partial<Lead> = {}): Lead {
  return { source: 'linkedin', name: 'Jane Doe', email: 'jane@acme.com', company: { name: 'Acme' }, score: 87, fields: {}, ...overrides };
}

function offer(n: number, overrides: Partial<PendingOfferItem> = {}): PendingOfferItem {
  return {
    leadId: n,
    ref: `L-${n}`,
    lead: buildLead(),
    domain: 'acme.com',
    offerId: 100 + n,
    offerVersion: 2,
    attempt: 1,
    offeredAt: NOW - MINUTE,
    deadlineAt: NOW + 4 * MINUTE,
    why: null,
    ...overrides,
  };
}

function openLead(n: number, overrides: Partial<OpenLeadItem> = {}): OpenLeadItem {
  return { leadId: n, ref: `L-${n}`, lead: buildLead({ name: 'Bob Smith', company: { name: 'Beta' } }), domain: 'beta.io', leadVersion: 5, claimedAt: NOW - 2 * HOUR, ...overrides };
}

/** Every interactive element with `actionId`, in order. */
function elements(blocks: readonly unknown[], actionId: string): Json[] {
  return (blocks as Json[]).flatMap((block) => {
    const candidates = [...(Array.isArray(block.elements) ? (block.elements as Json[]) : []), ...(block.accessory ? [block.accessory as Json] : [])];
    return candidates.filter((el) => el.action_id === actionId);
  });
}

const texts = (blocks: readonly unknown[]) => JSON.stringify(blocks);

describe('renderMyLeads', () => {
  it('lists a pending offer with its lead, the deadline in Slack date formatting, and Claim (primary) + Pass', () => {
    const message = renderMyLeads({ pendingOffers: [offer(17)], openLeads: [] }, NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    const section = message.blocks.find((b) => b.type === 'section' && JSON.stringify(b).includes('L-17')) as unknown as Json;
    const text = (section.text as Json).text as string;
    expect(text).toContain('*L-17* · Jane Doe, Acme · via LinkedIn · score *87*');
    expect(text).toMatch(/⏳ Claim by <!date\^\d+\^\{time\}\|2026-03-04 12:04 UTC> · 4m left/);

    const [claim] = elements(message.blocks, ACTIONS.claimLead);
    const [pass] = elements(message.blocks, ACTIONS.passLead);
    expect(claim).toMatchObject({ type: 'button', style: 'primary', text: { text: 'Claim' } });
    expect(pass).toMatchObject({ type: 'button', text: { text: 'Pass' } });
    expect(pass?.style).toBeUndefined();
    expect(parseOfferButtonValue(claim?.value)).toEqual({ offerId: 117, version: 2 });
    expect(parseOfferButtonValue(pass?.value)).toEqual({ offerId: 117, version: 2 });
  });

  it('shows the date with a deadline more than 12 hours away, and "time is up" once it has passed', () => {
    const far = renderMyLeads({ pendingOffers: [offer(1, { deadlineAt: NOW + 20 * HOUR })], openLeads: [] }, NOW);
    expect(texts(far.blocks)).toContain('{date_short_pretty} {time}|2026-03-05 08:00 UTC>');
    expect(texts(far.blocks)).toContain('20h left');
    const overdue = renderMyLeads({ pendingOffers: [offer(1, { deadlineAt: NOW - 1000 })], openLeads: [] }, NOW);
    expect(texts(overdue.blocks)).toContain('time is up');
  });

  it('lists open leads with the claim time and a Done button whose value names the lead and its version', () => {
    const message = renderMyLeads({ pendingOffers: [], openLeads: [openLead(12), openLead(13, { leadVersion: 9 })] }, NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    const done = elements(message.blocks, ACTIONS.leadDone);
    expect(ACTIONS.leadDone).toBe('lead_done');
    expect(done.map((el) => (el.text as Json).text)).toEqual(['Done', 'Done']);
    expect(done.map((el) => parseLeadButtonValue(el.value))).toEqual([
      { leadId: 12, version: 5 },
      { leadId: 13, version: 9 },
    ]);
    expect(texts(message.blocks)).toContain('*L-12* · Bob Smith, Beta\\nClaimed <!date^');
    expect(texts(message.blocks)).toContain('· 2h ago');
    expect(message.text).toBe('Nothing waiting for you · 2 open leads');
  });

  it('says so, kindly, when there is nothing waiting and nothing open', () => {
    const message = renderMyLeads({ pendingOffers: [], openLeads: [] }, NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(texts(message.blocks)).toContain(NOTHING_WAITING);
    expect(NOTHING_WAITING).toBe('Nothing waiting for you. New leads will arrive here as cards.');
    expect(texts(message.blocks)).toContain(NO_OPEN_LEADS);
    expect(elements(message.blocks, ACTIONS.claimLead)).toEqual([]);
    expect(message.text).toBe('Nothing waiting for you and no open leads.');
  });

  it('lists at most 10 offers and 20 open leads, then "… and N more", within 50 blocks', () => {
    const message = renderMyLeads(
      { pendingOffers: Array.from({ length: 25 }, (_, i) => offer(i + 1)), openLeads: Array.from({ length: 30 }, (_, i) => openLead(i + 100)) },
      NOW,
    );
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(elements(message.blocks, ACTIONS.claimLead)).toHaveLength(10);
    expect(elements(message.blocks, ACTIONS.leadDone)).toHaveLength(20);
    expect(texts(message.blocks)).toContain('_… and 15 more_');
    expect(texts(message.blocks)).toContain('_… and 10 more_');
    expect(texts(message.blocks)).toContain('*Waiting for you* (25)');
    expect(texts(message.blocks)).toContain('*Your open leads* (30)');
  });

  it('escapes lead text, so a lead cannot mention the channel', () => {
    const message = renderMyLeads({ pendingOffers: [offer(1, { lead: buildLead({ name: '<!channel> Eve' }) })], openLeads: [] }, NOW);
    expect(texts(message.blocks)).not.toContain('<!channel>');
    expect(texts(message.blocks)).toContain('&lt;!channel&gt; Eve');
  });
});

describe('listBlocks', () => {
  it('packs lines under the title into sections of at most 3,000 characters', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `• line ${i} ${'x'.repeat(200)}`);
    const blocks = listBlocks('*Title*', lines, { maxBlocks: 5, empty: '_none_' });
    expect(blockProblems(blocks)).toEqual([]);
    expect(blocks.length).toBeGreaterThan(1);
    const all = blocks.map((b) => ((b as unknown as Json).text as Json).text as string);
    expect(all.every((t) => t.length <= 3000)).toBe(true);
    expect(all.join('\n').split('\n')).toHaveLength(41);
    expect(all[0]?.startsWith('*Title*\n• line 0')).toBe(true);
  });

  it('ends with "… and N more" when the lines do not fit in maxBlocks, counting items not loaded', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `• line ${i} ${'x'.repeat(200)}`);
    const blocks = listBlocks('*Title*', lines, { maxBlocks: 1, empty: '_none_', total: 100, noun: 'leads' });
    expect(blocks).toHaveLength(1);
    const text = ((blocks[0] as unknown as Json).text as Json).text as string;
    const shown = text.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(text.endsWith(`_… and ${100 - shown} more leads_`)).toBe(true);
    expect(text.length).toBeLessThanOrEqual(3000);
  });

  it('shows the empty text under the title when there is nothing', () => {
    expect(listBlocks('*Queue*', [], { maxBlocks: 2, empty: '_Nothing queued._' })).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*Queue*\n_Nothing queued._' } },
    ]);
  });
});
