import { describe, expect, it } from 'vitest';
import { parseLeadButtonValue, parseOfferButtonValue } from '../../../src/adapters/slack/cardValues.ts';
import { HOME_MAX_BLOCKS, renderAppHome, type AppHomeModel, type HomeRepModel } from '../../../src/adapters/slack/renderAppHome.ts';
import { ACTIONS, TOGGLE_AWAY_VALUES } from '../../../src/adapters/slack/slackIds.ts';
import { NOTHING_WAITING, type OpenLeadItem, type PendingOfferItem } from '../../../src/adapters/slack/renderMyLeads.ts';
import type { RepLoad, TeamBoardModel } from '../../../src/adapters/slack/renderTeamBoard.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { viewProblems } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 4, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Json = Record<string, unknown>;

const lead: Lead = { source: 'form', name: 'Jane Doe', company: { name: 'Acme' }, fields: {} };

function offer(n: number): PendingOfferItem {
  return { leadId: n, ref: `L-${n}`, lead, domain: null, offerId: 500 + n, offerVersion: 1, attempt: 1, offeredAt: NOW - MINUTE, deadlineAt: NOW + 4 * MINUTE, why: null };
}

function openLead(n: number): OpenLeadItem {
  return { leadId: n, ref: `L-${n}`, lead, domain: null, leadVersion: 3, claimedAt: NOW - HOUR };
}

const noOffers = { offered: 0, claimed: 0, passed: 0, expired: 0, medianClaimMs: null };

function repModel(overrides: Partial<HomeRepModel> = {}): HomeRepModel {
  return {
    pendingOffers: [offer(17)],
    openLeads: [openLead(12)],
    away: null,
    outsideHours: false,
    stats: { repId: 'U0BOB', name: 'Bob', last7d: { offered: 4, claimed: 3, passed: 1, expired: 0, medianClaimMs: 90_000 }, last30d: noOffers },
    ...overrides,
  };
}

function rep(repId: string): RepLoad {
  return { repId, name: `Rep ${repId}`, openLeads: 1, capacity: 5, pendingOffers: 0, away: null, outsideHours: false, offersToday: 0, dailyCap: null };
}

function teamBoard(overrides: Partial<TeamBoardModel> = {}): TeamBoardModel {
  return { queued: [], queuedCount: 0, escalated: [], escalatedCount: 0, teams: [{ teamId: 'senior', managerId: 'U0BOSS', reps: [rep('U0BOB')] }], ...overrides };
}

/** Every interactive element with `actionId`, in order. */
function elements(blocks: readonly unknown[], actionId: string): Json[] {
  return (blocks as Json[]).flatMap((block) => {
    const candidates = [...(Array.isArray(block.elements) ? (block.elements as Json[]) : []), ...(block.accessory ? [block.accessory as Json] : [])];
    return candidates.filter((el) => el.action_id === actionId);
  });
}

const texts = (blocks: readonly unknown[]) => JSON.stringify(blocks);

describe('renderAppHome', () => {
  describe('for a rep', () => {
    const model: AppHomeModel = { userId: 'U0BOB', rep: repModel(), teamBoard: null };

    it('is a valid home view with the availability toggle, offers with Claim, open leads with Done, and stats', () => {
      const view = renderAppHome(model, NOW);
      expect(view.type).toBe('home');
      expect(viewProblems(view, 'home')).toEqual([]);
      const [toggle] = elements(view.blocks, ACTIONS.toggleAway);
      expect(toggle).toMatchObject({ type: 'button', text: { text: 'Go away' }, value: TOGGLE_AWAY_VALUES.away });
      expect(texts(view.blocks)).toContain("*You're available* for new leads.");
      expect(parseOfferButtonValue(elements(view.blocks, ACTIONS.claimLead)[0]?.value)).toEqual({ offerId: 517, version: 1 });
      expect(parseOfferButtonValue(elements(view.blocks, ACTIONS.passLead)[0]?.value)).toEqual({ offerId: 517, version: 1 });
      expect(parseLeadButtonValue(elements(view.blocks, ACTIONS.leadDone)[0]?.value)).toEqual({ leadId: 12, version: 3 });
      expect(texts(view.blocks)).toContain(
        '*Your stats*\\n*7 days:* 4 offered · 3 claimed · 1 passed · 0 expired · median time to claim 1m 30s\\n*30 days:* no offers',
      );
      expect(texts(view.blocks)).not.toContain('Team board');
    });

    it('offers "I\'m back" while away, with the return time in Slack date formatting', () => {
      const view = renderAppHome({ ...model, rep: repModel({ away: { until: NOW + 2 * HOUR } }) }, NOW);
      expect(viewProblems(view, 'home')).toEqual([]);
      expect(elements(view.blocks, ACTIONS.toggleAway)).toEqual([
        expect.objectContaining({ text: expect.objectContaining({ text: "I'm back" }), value: TOGGLE_AWAY_VALUES.back }),
      ]);
      expect(texts(view.blocks)).toContain("*You're away* until <!date^1772632800^{date_short_pretty} {time}|2026-03-04 14:00 UTC>");
    });

    it('says a rep away with no return time is away until they turn it off', () => {
      const view = renderAppHome({ ...model, rep: repModel({ away: { until: null } }) }, NOW);
      expect(texts(view.blocks)).toContain("*You're away* until you turn it off.");
      expect(elements(view.blocks, ACTIONS.toggleAway)[0]?.value).toBe('back');
    });

    it('notes when the rep is outside their working hours', () => {
      const view = renderAppHome({ ...model, rep: repModel({ outsideHours: true }) }, NOW);
      expect(texts(view.blocks)).toContain('Outside your working hours now');
    });

    it('shows the empty states when there is nothing', () => {
      const view = renderAppHome({ ...model, rep: repModel({ pendingOffers: [], openLeads: [] }) }, NOW);
      expect(viewProblems(view, 'home')).toEqual([]);
      expect(texts(view.blocks)).toContain(NOTHING_WAITING);
      expect(elements(view.blocks, ACTIONS.claimLead)).toEqual([]);
    });
  });

  describe('for a manager', () => {
    it('adds the team board under the rep part for a manager who is also a rep', () => {
      const view = renderAppHome({ userId: 'U0ALICE', rep: repModel(), teamBoard: teamBoard() }, NOW);
      expect(viewProblems(view, 'home')).toEqual([]);
      expect(elements(view.blocks, ACTIONS.toggleAway)).toHaveLength(1);
      const headers = view.blocks.filter((b) => b.type === 'header').map((b) => (b as unknown as Json).text as Json);
      expect(headers.map((h) => h.text)).toEqual(['leadrelay', 'Team board']);
      expect(texts(view.blocks)).toContain('*Team senior* · manager <@U0BOSS>\\n🟢 *Rep U0BOB* — 1/5 open');
    });

    it('shows a manager who is no rep only the board: no toggle, no offers', () => {
      const view = renderAppHome({ userId: 'U0BOSS', rep: null, teamBoard: teamBoard() }, NOW);
      expect(viewProblems(view, 'home')).toEqual([]);
      expect(elements(view.blocks, ACTIONS.toggleAway)).toEqual([]);
      expect(texts(view.blocks)).not.toContain('Waiting for you');
      expect(texts(view.blocks)).toContain('*Queue* (0)');
    });

    it('stays within 100 blocks with full lists and a huge board', () => {
      const me = repModel({
        pendingOffers: Array.from({ length: 40 }, (_, i) => offer(i + 1)),
        openLeads: Array.from({ length: 40 }, (_, i) => openLead(i + 100)),
      });
      const teams = Array.from({ length: 80 }, (_, t) => ({ teamId: `team${t}`, managerId: null, reps: [rep(`U0R${t}`)] }));
      const view = renderAppHome({ userId: 'U0ALICE', rep: me, teamBoard: teamBoard({ teams }) }, NOW);
      expect(viewProblems(view, 'home')).toEqual([]);
      expect(view.blocks).toHaveLength(HOME_MAX_BLOCKS);
      expect(elements(view.blocks, ACTIONS.claimLead)).toHaveLength(10);
      expect(elements(view.blocks, ACTIONS.leadDone)).toHaveLength(15);
      expect(texts(view.blocks)).toContain('_… and 30 more_');
      expect(texts(view.blocks)).toContain('_… and 25 more_');
      expect(texts(view.blocks)).toMatch(/_… and \d+ more teams_/);
    });
  });

  it('tells someone leadrelay does not know how to get set up', () => {
    const view = renderAppHome({ userId: 'U0NOBODY', rep: null, teamBoard: null }, NOW);
    expect(viewProblems(view, 'home')).toEqual([]);
    expect(texts(view.blocks)).toContain("You're not set up in leadrelay yet.");
  });
});
