import { wire } from '../../support/wireMessage.ts';
import { describe, expect, it } from 'vitest';
import { parseAssignBlockId, parseLeadButtonValue } from '../../../src/adapters/slack/cardValues.ts';
import { renderAssignedDm, type AssignedDmModel } from '../../../src/adapters/slack/renderAssignedDm.ts';
import { renderEscalation, type EscalationModel } from '../../../src/adapters/slack/renderEscalation.ts';
import { renderLeadSection } from '../../../src/adapters/slack/renderLeadSection.ts';
import { ACTIONS } from '../../../src/adapters/slack/slackIds.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { findElement } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 2, 14, 0, 0);

function buildLead(overrides: Partial<Lead> = {}): Lead {
  return {
    source: 'form',
    email: 'jane.doe@acme.com',
    name: 'Jane Doe',
    title: 'VP Sales',
    company: { name: 'Acme', employees: 1200, country: 'US' },
    score: 87,
    crm_url: 'https://crm.example.com/leads/9912',
    fields: {},
    ...overrides,
  };
}

function buildEscalation(overrides: Partial<EscalationModel> = {}): EscalationModel {
  return {
    ref: 'L-17',
    lead: buildLead(),
    leadId: 17,
    leadVersion: 5,
    reason: 'max_offers',
    offers: [
      { repId: 'U0A', state: 'expired', resolvedAt: NOW - 15 * 60_000 },
      { repId: 'U0B', state: 'passed', resolvedAt: NOW - 8 * 60_000 },
      { repId: 'U0C', state: 'expired', resolvedAt: NOW - 60_000 },
    ],
    teamId: 'enterprise',
    assignedTo: null,
    claimedBy: null,
    pingCount: 1,
    ...overrides,
  };
}


/** Every text in the blocks, in order, one per line. */
function texts(value: unknown): string {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'text' && typeof child === 'string') found.push(child);
        else walk(child);
      }
    }
  };
  walk(value);
  return found.join('\n');
}

const render = (model: EscalationModel, now = NOW) => wire(renderEscalation(model, now));

describe('renderEscalation, unassigned', () => {
  it('asks for an owner with a users_select and a "Take it myself" button that carry the lead and its version', () => {
    const { blocks } = render(buildEscalation());
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'Needs an owner: L-17 · Jane Doe' } });
    const select = findElement(blocks, ACTIONS.assignLead);
    expect(select?.element).toMatchObject({ type: 'users_select', placeholder: { type: 'plain_text', text: 'Assign to…' } });
    expect(select?.blockId).toBe('assign:17:5');
    expect(parseAssignBlockId(select?.blockId)).toEqual({ leadId: 17, version: 5 });
    const take = findElement(blocks, ACTIONS.claimLead);
    expect(take?.element).toMatchObject({ type: 'button', text: { type: 'plain_text', text: 'Take it myself' }, value: 'lead:17:5' });
    expect(parseLeadButtonValue(take?.element.value)).toEqual({ leadId: 17, version: 5 });
  });

  it('says why: offered max_offers times and what each rep did', () => {
    const { blocks, text } = render(buildEscalation());
    expect(texts(blocks)).toContain('Offered 3 times, nobody claimed: <@U0A> expired, <@U0B> passed, <@U0C> expired');
    expect(text).toBe('L-17 needs an owner: Jane Doe, Acme — offered 3 times, nobody claimed');
  });

  it('says "once" for a single offer', () => {
    const { blocks } = render(buildEscalation({ offers: [{ repId: 'U0A', state: 'withdrawn', resolvedAt: NOW }] }));
    expect(texts(blocks)).toContain('Offered once, nobody claimed: <@U0A> was withdrawn');
  });

  it('says nobody is available when the lead is queued, with the offers made before', () => {
    const queued = render(buildEscalation({ reason: 'queued', offers: [] }));
    expect(texts(queued.blocks)).toContain('Nobody is available to take it in team enterprise; it will be offered as soon as someone is.');
    expect(texts(queued.blocks)).not.toContain('Offered before');
    expect(queued.text).toBe('L-17 needs an owner: Jane Doe, Acme — nobody is available to take it');

    const after = render(buildEscalation({ reason: 'queued', teamId: null, offers: [{ repId: 'U0A', state: 'passed', resolvedAt: NOW }] }));
    expect(texts(after.blocks)).toContain('Nobody is available to take it; it will be offered as soon as someone is.\nOffered before: <@U0A> passed');
  });

  it('shows the lead with the same lead section as the offer card', () => {
    const { blocks } = render(buildEscalation());
    expect(blocks).toEqual(expect.arrayContaining(JSON.parse(JSON.stringify(renderLeadSection(buildLead(), 'acme.com')))));
    expect(texts(blocks)).toContain('<https://crm.example.com/leads/9912|Open in CRM>');
  });

  it('uses the given domain over the one from the e-mail', () => {
    const lead = buildLead({ company: {} });
    expect(texts(render(buildEscalation({ lead })).blocks)).toContain('acme.com');
    expect(texts(render(buildEscalation({ lead, domain: 'acme.io' })).blocks)).toContain('acme.io');
  });

  it('lists at most 10 offers by name', () => {
    const offers = Array.from({ length: 13 }, (_, i) => ({ repId: `U0R${i}`, state: 'expired' as const, resolvedAt: NOW }));
    const all = texts(render(buildEscalation({ offers })).blocks);
    expect(all).toContain('<@U0R9> expired, and 3 more');
    expect(all).not.toContain('<@U0R10>');
  });

  it('shows lead text as typed, in plain_text, without bidi controls', () => {
    const { blocks } = render(buildEscalation({ lead: buildLead({ name: '*Bob* & <b>Co</b> \u202Egnp.exe' }) }));
    const lead = blocks.find((block) => block.type === 'section' && (block as { text: { type: string } }).text.type === 'plain_text');
    expect(lead).toMatchObject({ text: { type: 'plain_text', text: expect.stringMatching(/^\*Bob\* & <b>Co<\/b> gnp\.exe, VP Sales\n/), emoji: false } });
    expect(blocks[0]).toMatchObject({ text: { type: 'plain_text', text: 'Needs an owner: L-17 · *Bob* & <b>Co</b> gnp.exe', emoji: false } });
  });
});

describe('renderEscalation, re-ping', () => {
  it('says it is still unassigned and which ping this is', () => {
    const { blocks, text } = render(buildEscalation({ pingCount: 2 }), NOW + 5 * 60_000);
    expect(texts(blocks)).toContain(`⏰ *Still unassigned (ping 2)* — as of <!date^${(NOW + 5 * 60_000) / 1000}^{time}|`);
    expect(text).toBe('Still unassigned (ping 2): L-17 needs an owner: Jane Doe, Acme — offered 3 times, nobody claimed');
    expect(findElement(blocks, ACTIONS.assignLead)).toBeDefined();
  });

  it('says nothing about pings on the first message', () => {
    expect(texts(render(buildEscalation({ pingCount: 1 })).blocks)).not.toContain('Still unassigned');
  });
});

describe('renderEscalation, once someone owns the lead', () => {
  it('shows who it was assigned to and by whom, without inputs', () => {
    const { blocks, text } = render(buildEscalation({ assignedTo: 'U0ALICE', assignedBy: 'U0MGR', pingCount: 3 }));
    expect(blocks.filter((block) => block.type === 'actions')).toEqual([]);
    expect(findElement(blocks, ACTIONS.assignLead)).toBeUndefined();
    expect(findElement(blocks, ACTIONS.claimLead)).toBeUndefined();
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Owner found: L-17 · Jane Doe' } });
    expect(texts(blocks)).toContain('✅ Assigned to <@U0ALICE> by <@U0MGR>');
    expect(texts(blocks)).not.toContain('Still unassigned');
    expect(texts(blocks)).toContain('Offered 3 times, nobody claimed');
    expect(text).toBe('L-17: Jane Doe, Acme — assigned to <@U0ALICE> by <@U0MGR>');
  });

  it('leaves out "by" when the assigner is not known', () => {
    expect(texts(render(buildEscalation({ assignedTo: 'U0ALICE' })).blocks)).toContain('✅ Assigned to <@U0ALICE>\n');
  });

  it('shows who took it', () => {
    const { blocks, text } = render(buildEscalation({ claimedBy: 'U0MGR' }));
    expect(blocks.filter((block) => block.type === 'actions')).toEqual([]);
    expect(texts(blocks)).toContain('✅ Taken by <@U0MGR>');
    expect(text).toBe('L-17: Jane Doe, Acme — taken by <@U0MGR>');
  });
});

describe('renderAssignedDm', () => {
  const model: AssignedDmModel = { ref: 'L-17', lead: buildLead(), domain: 'acme.com', assignedBy: 'U0MGR' };

  it('tells the rep who assigned them the lead, with the lead section and CRM link', () => {
    const { blocks, text } = wire(renderAssignedDm(model, NOW));
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Assigned to you: L-17 · Jane Doe' } });
    expect(texts(blocks)).toContain('📌 <@U0MGR> assigned you *L-17*');
    expect(blocks).toEqual(expect.arrayContaining(JSON.parse(JSON.stringify(renderLeadSection(buildLead(), 'acme.com')))));
    expect(texts(blocks)).toContain('<https://crm.example.com/leads/9912|Open in CRM>');
    expect(texts(blocks)).toContain(`Assigned <!date^${NOW / 1000}^`);
    expect(blocks.filter((block) => block.type === 'actions')).toEqual([]);
    expect(text).toBe('📌 <@U0MGR> assigned you L-17: Jane Doe, Acme');
  });

  it('shows why, escaped', () => {
    const { blocks } = wire(renderAssignedDm({ ...model, why: 'Alice is <out> & Bob knows them' }, NOW));
    expect(texts(blocks)).toContain('*Why:* Alice is &lt;out&gt; &amp; Bob knows them');
  });
});
