import { describe, expect, it } from 'vitest';
import {
  renderTeamBoard,
  repLoadLine,
  teamBoardBlocks,
  type EscalatedLeadItem,
  type QueuedLeadItem,
  type RepLoad,
  type TeamBoardModel,
} from '../../../src/adapters/slack/renderTeamBoard.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { blockProblems } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 4, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Json = Record<string, unknown>;

const lead = (name: string): Lead => ({ source: 'form', name, company: { name: 'Acme' }, fields: {} });

function rep(overrides: Partial<RepLoad> = {}): RepLoad {
  return {
    repId: 'U0ALICE',
    name: 'Alice',
    openLeads: 3,
    capacity: 10,
    pendingOffers: 1,
    away: null,
    outsideHours: false,
    offersToday: 0,
    dailyCap: null,
    ...overrides,
  };
}

function queued(n: number, overrides: Partial<QueuedLeadItem> = {}): QueuedLeadItem {
  return { leadId: n, ref: `L-${n}`, lead: lead('Jane Doe'), domain: 'acme.com', teamId: 'senior', since: NOW - 2 * HOUR - 5 * MINUTE, escalated: true, ...overrides };
}

function escalated(n: number, overrides: Partial<EscalatedLeadItem> = {}): EscalatedLeadItem {
  return { leadId: n, ref: `L-${n}`, lead: lead('Bob Smith'), domain: 'acme.com', teamId: 'senior', since: NOW - 30 * MINUTE, reason: 'max_offers', pings: 2, ...overrides };
}

function board(overrides: Partial<TeamBoardModel> = {}): TeamBoardModel {
  return {
    queued: [queued(5)],
    queuedCount: 1,
    escalated: [escalated(7)],
    escalatedCount: 1,
    teams: [
      { teamId: 'senior', managerId: 'U0BOSS', reps: [rep(), rep({ repId: 'U0BOB', name: 'Bob', openLeads: 2, capacity: 2, pendingOffers: 0 })] },
      { teamId: null, managerId: null, reps: [rep({ repId: 'U0DAVE', name: null, capacity: null, pendingOffers: 0 })] },
    ],
    ...overrides,
  };
}

const texts = (blocks: readonly unknown[]) => (blocks as Json[]).map((b) => JSON.stringify(b)).join('\n');

describe('repLoadLine', () => {
  it('reads "Alice — 3/10 open · 1 offer pending" for an available rep', () => {
    expect(repLoadLine(rep())).toBe('🟢 *Alice* — 3/10 open · 1 offer pending');
  });

  it('says until when a rep is away, in Slack date formatting, or that they are away until they turn it off', () => {
    expect(repLoadLine(rep({ away: { until: NOW + HOUR } }))).toBe(
      '🏖️ *Alice* — 3/10 open · 1 offer pending · away until <!date^1772629200^{date_short_pretty} {time}|2026-03-04 13:00 UTC>',
    );
    expect(repLoadLine(rep({ away: { until: null }, pendingOffers: 0 }))).toBe('🏖️ *Alice* — 3/10 open · away until they turn it off');
  });

  it('says who is outside hours, at capacity, or at the daily cap', () => {
    expect(repLoadLine(rep({ outsideHours: true, pendingOffers: 0 }))).toBe('🌙 *Alice* — 3/10 open · outside hours');
    expect(repLoadLine(rep({ openLeads: 10, pendingOffers: 2 }))).toBe('🔴 *Alice* — 10/10 open · 2 offers pending · at capacity');
    expect(repLoadLine(rep({ pendingOffers: 0, offersToday: 5, dailyCap: 5 }))).toBe('🔴 *Alice* — 3/10 open · 5/5 offers today · daily cap reached');
  });

  it('shows unlimited capacity as a plain count, offers today when there were some, and a mention for a rep without a name', () => {
    expect(repLoadLine(rep({ repId: 'U0DAVE', name: null, capacity: null, pendingOffers: 0, offersToday: 1 }))).toBe('🟢 <@U0DAVE> — 3 open · 1 offer today');
  });

  it('escapes the name', () => {
    expect(repLoadLine(rep({ name: '<!here> Mallory' }))).toContain('*&lt;!here&gt; Mallory*');
  });
});

describe('renderTeamBoard', () => {
  it('shows the queue, the escalations and each team with its reps', () => {
    const message = renderTeamBoard(board(), NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Team board' } });
    const all = texts(message.blocks);
    expect(all).toContain('*Queue* (1)\\n• *L-5* · Jane Doe, Acme · team senior · waiting 2h 5m (since <!date^');
    expect(all).toContain('*Escalations* (1)\\n• *L-7* · Bob Smith, Acme · team senior · nobody claimed it · for 30m (since <!date^');
    expect(all).toContain('pinged 2 times');
    expect(all).toContain('*Team senior* · manager <@U0BOSS>\\n🟢 *Alice* — 3/10 open · 1 offer pending\\n🔴 *Bob* — 2/2 open · at capacity');
    expect(all).toContain('*Reps in no team*\\n🟢 <@U0DAVE> — 3 open');
    expect(message.text).toBe('Team board: 1 queued · 1 escalated · 0 away');
  });

  it('says so when nothing is queued or escalated', () => {
    const message = renderTeamBoard(board({ queued: [], queuedCount: 0, escalated: [], escalatedCount: 0 }), NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(texts(message.blocks)).toContain('*Queue* (0)\\n_Nothing queued: every lead has found someone._');
    expect(texts(message.blocks)).toContain('*Escalations* (0)\\n_No escalations._');
  });

  it('words an escalation of a queued lead as nobody available', () => {
    const message = renderTeamBoard(board({ escalated: [escalated(9, { reason: 'queued', pings: 1 })] }), NOW);
    expect(texts(message.blocks)).toContain('nobody available');
    expect(texts(message.blocks)).not.toContain('pinged');
  });

  it('summarizes a long queue as "… and N more", counting the leads that were not loaded', () => {
    const many = Array.from({ length: 200 }, (_, i) => queued(i + 1));
    const message = renderTeamBoard(board({ queued: many, queuedCount: 500 }), NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    const all = texts(message.blocks);
    const shown = (all.match(/• \*L-\d+\* · Jane Doe/g) ?? []).length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(200);
    expect(all).toContain(`_… and ${500 - shown} more_`);
  });

  it('stays within 50 blocks with many teams, ending with "… and N more teams"', () => {
    const teams = Array.from({ length: 60 }, (_, t) => ({
      teamId: `team${t}`,
      managerId: 'U0BOSS',
      reps: Array.from({ length: 12 }, (_, r) => rep({ repId: `U0R${t}X${r}`, name: `Rep ${t}-${r}` })),
    }));
    const message = renderTeamBoard(board({ teams }), NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(message.blocks).toHaveLength(50);
    const last = message.blocks.at(-1) as unknown as Json;
    expect(last.type).toBe('context');
    const shownTeams = (texts(message.blocks).match(/\*Team team\d+\*/g) ?? []).length;
    expect(JSON.stringify(last)).toContain(`_… and ${60 - shownTeams} more teams_`);
  });

  it('fits a board into fewer blocks when asked, as the App Home does', () => {
    const teams = Array.from({ length: 30 }, (_, t) => ({ teamId: `t${t}`, managerId: null, reps: [rep()] }));
    const blocks = teamBoardBlocks(board({ teams }), NOW, 12);
    expect(blocks).toHaveLength(12);
    expect(blockProblems(blocks)).toEqual([]);
  });
});
