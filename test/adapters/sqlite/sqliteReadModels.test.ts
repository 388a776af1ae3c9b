import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/adapters/sqlite/openDatabase.ts';
import { createLeadViews, median } from '../../../src/app/readModels.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import { AWAY_INDEFINITELY } from '../../../src/adapters/sqlite/sqliteRoutingStore.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { Lead } from '../../../src/domain/lead.ts';

const NOW = Date.UTC(2026, 2, 4, 12, 0, 0); // a Wednesday, 12:00 UTC (07:00 in New York)
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// U0ALICE manages team junior as a rep (a team manager); U0BOSS is a top-level manager.
const YAML = `
timezone: UTC
managers: [U0BOSS]
reps:
  - { id: U0ALICE, name: Alice, capacity: 3, hours: "Mon-Fri 09:00-17:00", timezone: America/New_York }
  - { id: U0BOB, name: Bob, capacity: 2, daily_cap: 5 }
  - { id: U0CAROL, name: Carol }
  - { id: U0DAVE, name: Dave }
teams:
  - { id: senior, manager: U0BOSS, members: [U0ALICE, U0BOB] }
  - { id: junior, manager: U0ALICE, members: [U0CAROL] }
fallback: { team: senior }
`;

function config(): Config {
  const result = parseConfig(YAML, 'test.yml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

function buildLead(name: string): Lead {
  return { source: 'form', name, email: `${name.toLowerCase()}@acme.com`, company: { name: 'Acme' }, fields: {} };
}

interface LeadRow {
  name?: string;
  state?: string;
  owner?: string | null;
  team?: string | null;
  version?: number;
  receivedAt?: number;
  updatedAt?: number;
  claimedAt?: number | null;
  escalatedAt?: number | null;
  reason?: 'max_offers' | 'queued' | null;
  pings?: number;
}

function insertLead(db: Db, row: LeadRow = {}): number {
  const result = db
    .prepare(
      `INSERT INTO leads (source, domain, payload, state, owner_id, team_id, version, received_at, updated_at, claimed_at,
        escalated_at, escalation_reason, escalation_pings)
       VALUES ('form', 'acme.com', @payload, @state, @owner, @team, @version, @receivedAt, @updatedAt, @claimedAt, @escalatedAt, @reason, @pings)`,
    )
    .run({
      payload: JSON.stringify(buildLead(row.name ?? 'Jane')),
      state: row.state ?? 'received',
      owner: row.owner ?? null,
      team: row.team ?? null,
      version: row.version ?? 1,
      receivedAt: row.receivedAt ?? NOW - HOUR,
      updatedAt: row.updatedAt ?? NOW - HOUR,
      claimedAt: row.claimedAt ?? null,
      escalatedAt: row.escalatedAt ?? null,
      reason: row.reason ?? null,
      pings: row.pings ?? 0,
    });
  return Number(result.lastInsertRowid);
}

interface OfferRow {
  leadId: number;
  repId: string;
  state?: string;
  version?: number;
  offeredAt: number;
  deadlineAt?: number;
  resolvedAt?: number | null;
  why?: string | null;
}

let attempts = 0;
function insertOffer(db: Db, row: OfferRow): number {
  attempts += 1;
  const result = db
    .prepare(
      `INSERT INTO offers (lead_id, rep_id, attempt, state, version, offered_at, deadline_at, resolved_at, why)
       VALUES (@leadId, @repId, @attempt, @state, @version, @offeredAt, @deadlineAt, @resolvedAt, @why)`,
    )
    .run({
      leadId: row.leadId,
      repId: row.repId,
      attempt: attempts,
      state: row.state ?? 'pending',
      version: row.version ?? 0,
      offeredAt: row.offeredAt,
      deadlineAt: row.deadlineAt ?? row.offeredAt + 5 * MINUTE,
      resolvedAt: row.resolvedAt ?? null,
      why: row.why ?? null,
    });
  return Number(result.lastInsertRowid);
}

function setRepState(db: Db, repId: string, state: { awayUntil?: number | null; capacityOverride?: number | null }): void {
  db.prepare('INSERT INTO rep_state (rep_id, away_until, capacity_override, updated_at) VALUES (?, ?, ?, ?)').run(
    repId,
    state.awayUntil ?? null,
    state.capacityOverride ?? null,
    NOW,
  );
}

/** A claimed offer of a fresh lead: offered `ago` before NOW, claimed `took` later. */
function claimed(db: Db, repId: string, ago: number, took: number): void {
  const leadId = insertLead(db, { state: 'done', owner: repId });
  insertOffer(db, { leadId, repId, state: 'claimed', offeredAt: NOW - ago, resolvedAt: NOW - ago + took });
}

function resolved(db: Db, repId: string, state: 'passed' | 'expired' | 'withdrawn', ago: number): void {
  const leadId = insertLead(db, { state: 'offered' });
  insertOffer(db, { leadId, repId, state, offeredAt: NOW - ago, resolvedAt: NOW - ago + MINUTE });
}

function setup() {
  const db = openDatabase(':memory:');
  return { db, models: createLeadViews(sqliteStore(db)), config: config() };
}

describe('sqliteReadModels', () => {
  describe('myPendingOffers', () => {
    it("lists the rep's pending offers, soonest deadline first, with what the Claim button needs", async () => {
      const { db, models } = setup();
      const later = insertLead(db, { name: 'Later', state: 'offered', version: 3 });
      const sooner = insertLead(db, { name: 'Sooner', state: 'offered' });
      const laterOffer = insertOffer(db, { leadId: later, repId: 'U0ALICE', version: 2, offeredAt: NOW - MINUTE, deadlineAt: NOW + 4 * MINUTE, why: 'Hot lead' });
      const soonerOffer = insertOffer(db, { leadId: sooner, repId: 'U0ALICE', offeredAt: NOW - 3 * MINUTE, deadlineAt: NOW + 2 * MINUTE });

      expect((await models.myPendingOffers('U0ALICE'))).toEqual([
        {
          leadId: sooner,
          ref: `L-${sooner}`,
          lead: buildLead('Sooner'),
          domain: 'acme.com',
          offerId: soonerOffer,
          offerVersion: 0,
          attempt: expect.any(Number),
          offeredAt: NOW - 3 * MINUTE,
          deadlineAt: NOW + 2 * MINUTE,
          why: null,
        },
        expect.objectContaining({ leadId: later, offerId: laterOffer, offerVersion: 2, deadlineAt: NOW + 4 * MINUTE, why: 'Hot lead' }),
      ]);
    });

    it("leaves out other reps' offers and offers that are no longer pending", async () => {
      const { db, models } = setup();
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0BOB', offeredAt: NOW });
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0ALICE', state: 'passed', offeredAt: NOW - HOUR });
      insertOffer(db, { leadId: insertLead(db, { state: 'claimed' }), repId: 'U0ALICE', state: 'claimed', offeredAt: NOW - HOUR });
      expect((await models.myPendingOffers('U0ALICE'))).toEqual([]);
    });
  });

  describe('myOpenLeads', () => {
    it('lists leads the rep owns in state claimed, oldest claim first, with the lead version for Done', async () => {
      const { db, models } = setup();
      const newer = insertLead(db, { name: 'Newer', state: 'claimed', owner: 'U0ALICE', version: 4, claimedAt: NOW - MINUTE });
      const older = insertLead(db, { name: 'Older', state: 'claimed', owner: 'U0ALICE', version: 7, claimedAt: NOW - HOUR });
      insertLead(db, { state: 'done', owner: 'U0ALICE', claimedAt: NOW - DAY });
      insertLead(db, { state: 'claimed', owner: 'U0BOB', claimedAt: NOW - DAY });

      expect((await models.myOpenLeads('U0ALICE'))).toEqual([
        { leadId: older, ref: `L-${older}`, lead: buildLead('Older'), domain: 'acme.com', leadVersion: 7, claimedAt: NOW - HOUR },
        { leadId: newer, ref: `L-${newer}`, lead: buildLead('Newer'), domain: 'acme.com', leadVersion: 4, claimedAt: NOW - MINUTE },
      ]);
    });
  });

  describe('myAvailability', () => {
    it('is null for a rep who is not away or whose away time has passed', async () => {
      const { db, models } = setup();
      setRepState(db, 'U0BOB', { awayUntil: NOW - MINUTE });
      expect((await models.myAvailability('U0ALICE', NOW))).toBeNull();
      expect((await models.myAvailability('U0BOB', NOW))).toBeNull();
    });

    it('gives the return time, or null for away until turned off', async () => {
      const { db, models } = setup();
      setRepState(db, 'U0ALICE', { awayUntil: NOW + HOUR });
      setRepState(db, 'U0BOB', { awayUntil: AWAY_INDEFINITELY });
      expect((await models.myAvailability('U0ALICE', NOW))).toEqual({ until: NOW + HOUR });
      expect((await models.myAvailability('U0BOB', NOW))).toEqual({ until: null });
    });
  });

  describe('teamBoard', () => {
    it('lists queued leads oldest first with their team and since when they wait, and the total', async () => {
      const { db, models, config } = setup();
      const newer = insertLead(db, { name: 'Newer', state: 'queued', team: 'senior', updatedAt: NOW - MINUTE });
      const older = insertLead(db, { name: 'Older', state: 'queued', team: 'junior', updatedAt: NOW - HOUR, escalatedAt: NOW - HOUR, reason: 'queued' });
      insertLead(db, { state: 'offered', team: 'senior' });

      const board = (await models.teamBoard(config, NOW));
      expect(board.queuedCount).toBe(2);
      expect(board.queued).toEqual([
        { leadId: older, ref: `L-${older}`, lead: buildLead('Older'), domain: 'acme.com', teamId: 'junior', since: NOW - HOUR, escalated: true },
        { leadId: newer, ref: `L-${newer}`, lead: buildLead('Newer'), domain: 'acme.com', teamId: 'senior', since: NOW - MINUTE, escalated: false },
      ]);
    });

    it('lists escalated leads with the reason, since when, and how often the manager was pinged', async () => {
      const { db, models, config } = setup();
      const id = insertLead(db, { state: 'escalated', team: 'senior', escalatedAt: NOW - 20 * MINUTE, reason: 'max_offers', pings: 3 });
      const board = (await models.teamBoard(config, NOW));
      expect(board.escalatedCount).toBe(1);
      expect(board.escalated).toEqual([
        { leadId: id, ref: `L-${id}`, lead: buildLead('Jane'), domain: 'acme.com', teamId: 'senior', since: NOW - 20 * MINUTE, reason: 'max_offers', pings: 3 },
      ]);
    });

    it("gives each rep's open leads against capacity (the runtime override wins), pending offers and offers today", async () => {
      const { db, models, config } = setup();
      setRepState(db, 'U0BOB', { capacityOverride: 4 });
      insertLead(db, { state: 'claimed', owner: 'U0BOB', claimedAt: NOW - HOUR });
      insertLead(db, { state: 'claimed', owner: 'U0BOB', claimedAt: NOW - HOUR });
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0BOB', offeredAt: NOW - MINUTE });
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0BOB', state: 'expired', offeredAt: NOW - 2 * HOUR });
      // Yesterday (UTC, Bob's zone): not today.
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0BOB', state: 'expired', offeredAt: NOW - 13 * HOUR });

      const bob = (await models.teamBoard(config, NOW)).teams.find((t) => t.teamId === 'senior')?.reps.find((r) => r.repId === 'U0BOB');
      expect(bob).toEqual({
        repId: 'U0BOB',
        name: 'Bob',
        openLeads: 2,
        capacity: 4,
        pendingOffers: 1,
        away: null,
        outsideHours: false,
        offersToday: 2,
        dailyCap: 5,
      });
    });

    it('shows who is away (until when, or until turned off) and who is outside working hours now', async () => {
      const { db, models, config } = setup();
      setRepState(db, 'U0BOB', { awayUntil: NOW + 2 * HOUR });
      setRepState(db, 'U0CAROL', { awayUntil: AWAY_INDEFINITELY });
      setRepState(db, 'U0DAVE', { awayUntil: NOW - HOUR });
      const reps = new Map((await models.teamBoard(config, NOW)).teams.flatMap((t) => t.reps).map((r) => [r.repId, r]));
      expect(reps.get('U0ALICE')).toMatchObject({ away: null, outsideHours: true, capacity: 3 }); // 07:00 in New York
      expect(reps.get('U0BOB')).toMatchObject({ away: { until: NOW + 2 * HOUR }, outsideHours: false });
      expect(reps.get('U0CAROL')).toMatchObject({ away: { until: null }, capacity: null });
      expect(reps.get('U0DAVE')).toMatchObject({ away: null });
      expect((await models.teamBoard(config, NOW + 4 * HOUR)).teams[0]?.reps[0]).toMatchObject({ repId: 'U0ALICE', outsideHours: false }); // 11:00 there
    });

    it('shows a top-level manager every team and the reps in no team', async () => {
      const { models, config } = setup();
      const board = (await models.teamBoard(config, NOW, 'U0BOSS'));
      expect(board.teams.map((t) => [t.teamId, t.managerId, t.reps.map((r) => r.repId)])).toEqual([
        ['senior', 'U0BOSS', ['U0ALICE', 'U0BOB']],
        ['junior', 'U0ALICE', ['U0CAROL']],
        [null, null, ['U0DAVE']],
      ]);
    });

    it("shows a team's manager their teams and those teams' leads (and leads of no team), not the others", async () => {
      const { db, models, config } = setup();
      const mine = insertLead(db, { state: 'queued', team: 'junior' });
      const teamless = insertLead(db, { state: 'queued', team: null });
      insertLead(db, { state: 'queued', team: 'senior' });
      const myEscalation = insertLead(db, { state: 'escalated', team: 'junior', escalatedAt: NOW, reason: 'max_offers', pings: 1 });
      insertLead(db, { state: 'escalated', team: 'senior', escalatedAt: NOW, reason: 'max_offers', pings: 1 });

      const board = (await models.teamBoard(config, NOW, 'U0ALICE'));
      expect(board.teams.map((t) => t.teamId)).toEqual(['junior']);
      expect(board.queued.map((l) => l.leadId)).toEqual([mine, teamless]);
      expect(board.queuedCount).toBe(2);
      expect(board.escalated.map((l) => l.leadId)).toEqual([myEscalation]);
      expect(board.escalatedCount).toBe(1);
    });

    it('loads at most 200 queued leads but counts them all', async () => {
      const { db, models, config } = setup();
      for (let i = 0; i < 205; i += 1) insertLead(db, { state: 'queued', updatedAt: NOW - i * MINUTE });
      const board = (await models.teamBoard(config, NOW));
      expect(board.queued).toHaveLength(200);
      expect(board.queuedCount).toBe(205);
      expect(board.queued[0]?.since).toBe(NOW - 204 * MINUTE);
    });
  });

  describe('repStats', () => {
    it('counts offers made in the last 7 and in the last 30 days, by what became of them', async () => {
      const { db, models, config } = setup();
      claimed(db, 'U0ALICE', 1 * DAY, 30 * SECOND);
      claimed(db, 'U0ALICE', 10 * DAY, 90 * SECOND);
      claimed(db, 'U0ALICE', 31 * DAY, 10 * SECOND); // outside both windows
      resolved(db, 'U0ALICE', 'passed', 2 * DAY);
      resolved(db, 'U0ALICE', 'expired', 20 * DAY);
      resolved(db, 'U0ALICE', 'withdrawn', 3 * DAY);
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0ALICE', offeredAt: NOW - MINUTE }); // pending

      const alice = (await models.repStats(config, NOW)).reps.find((r) => r.repId === 'U0ALICE');
      expect(alice).toEqual({
        repId: 'U0ALICE',
        name: 'Alice',
        last7d: { offered: 4, claimed: 1, passed: 1, expired: 0, medianClaimMs: 30 * SECOND },
        last30d: { offered: 6, claimed: 2, passed: 1, expired: 1, medianClaimMs: 60 * SECOND },
      });
    });

    it('takes the window edges as inclusive: an offer exactly 7 days old counts in the 7-day window', async () => {
      const { db, models, config } = setup();
      claimed(db, 'U0BOB', 7 * DAY, MINUTE);
      claimed(db, 'U0BOB', 7 * DAY + 1, MINUTE);
      const bob = (await models.repStats(config, NOW)).reps.find((r) => r.repId === 'U0BOB');
      expect(bob?.last7d.offered).toBe(1);
      expect(bob?.last30d.offered).toBe(2);
    });

    it('gives the median time to claim: the middle one for an odd count, the mean of the two middle ones for an even count', async () => {
      const { db, models, config } = setup();
      for (const took of [5 * MINUTE, 20 * SECOND, MINUTE]) claimed(db, 'U0ALICE', DAY, took);
      for (const took of [10 * SECOND, 40 * SECOND, 2 * MINUTE, 30 * SECOND]) claimed(db, 'U0BOB', DAY, took);
      const stats = (await models.repStats(config, NOW));
      expect(stats.reps.find((r) => r.repId === 'U0ALICE')?.last7d.medianClaimMs).toBe(MINUTE);
      expect(stats.reps.find((r) => r.repId === 'U0BOB')?.last7d.medianClaimMs).toBe(35 * SECOND);
      // Totals: the median over all 7 claims, not a median of medians.
      expect(stats.totals.last7d).toEqual({ offered: 7, claimed: 7, passed: 0, expired: 0, medianClaimMs: 40 * SECOND });
    });

    it('lists every rep of the config, with zeros and no median for a rep without offers', async () => {
      const { models, config } = setup();
      const stats = (await models.repStats(config, NOW));
      expect(stats.reps.map((r) => r.repId)).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE']);
      expect(stats.reps[2]?.last30d).toEqual({ offered: 0, claimed: 0, passed: 0, expired: 0, medianClaimMs: null });
      expect(stats.totals.last30d).toEqual({ offered: 0, claimed: 0, passed: 0, expired: 0, medianClaimMs: null });
    });

    it('limits the reps, and the totals, to the ones asked for', async () => {
      const { db, models, config } = setup();
      claimed(db, 'U0ALICE', DAY, MINUTE);
      claimed(db, 'U0BOB', DAY, 3 * MINUTE);
      const stats = (await models.repStats(config, NOW, ['U0BOB']));
      expect(stats.reps.map((r) => r.repId)).toEqual(['U0BOB']);
      expect(stats.totals.last7d).toMatchObject({ offered: 1, claimed: 1, medianClaimMs: 3 * MINUTE });
    });

    it('ignores offers made after now', async () => {
      const { db, models, config } = setup();
      claimed(db, 'U0ALICE', -HOUR, MINUTE);
      expect((await models.repStats(config, NOW)).totals.last7d.offered).toBe(0);
    });
  });

  describe('median', () => {
    it('is the middle value, the rounded mean of the two middle ones, or null for none', async () => {
      expect(median([])).toBeNull();
      expect(median([7])).toBe(7);
      expect(median([1, 2])).toBe(2); // 1.5 rounded
      expect(median([1, 3, 100])).toBe(3);
    });
  });

  describe('leadSignals', () => {
    it("gives the lead's newest signals first, at most limit", async () => {
      const { db, models } = setup();
      const leadId = insertLead(db);
      const other = insertLead(db);
      const insert = db.prepare('INSERT INTO signals (lead_id, channel, kind, at, received_at) VALUES (?, ?, ?, ?, ?)');
      insert.run(leadId, 'linkedin', 'profile_view', NOW - 3 * HOUR, NOW);
      insert.run(leadId, 'email', 'email_open', NOW - HOUR, NOW);
      insert.run(leadId, 'linkedin', 'reply_positive', NOW - 2 * HOUR, NOW);
      insert.run(other, 'web', 'link_click', NOW, NOW);
      expect((await models.leadSignals(leadId, 2))).toEqual([
        { channel: 'email', kind: 'email_open', at: NOW - HOUR },
        { channel: 'linkedin', kind: 'reply_positive', at: NOW - 2 * HOUR },
      ]);
      expect((await models.leadSignals(leadId, 10))).toHaveLength(3);
    });
  });

  describe('appHome', () => {
    it('gives a rep their offers, open leads, availability and stats, and no board', async () => {
      const { db, models, config } = setup();
      setRepState(db, 'U0BOB', { awayUntil: NOW + HOUR });
      insertOffer(db, { leadId: insertLead(db, { state: 'offered' }), repId: 'U0BOB', offeredAt: NOW - MINUTE });
      insertLead(db, { state: 'claimed', owner: 'U0BOB', claimedAt: NOW - HOUR });
      claimed(db, 'U0BOB', DAY, MINUTE);

      const home = (await models.appHome(config, 'U0BOB', NOW));
      expect(home.userId).toBe('U0BOB');
      expect(home.teamBoard).toBeNull();
      expect(home.rep?.pendingOffers).toHaveLength(1);
      expect(home.rep?.openLeads).toHaveLength(1);
      expect(home.rep?.away).toEqual({ until: NOW + HOUR });
      expect(home.rep?.outsideHours).toBe(false);
      expect(home.rep?.stats).toMatchObject({ repId: 'U0BOB', last7d: { offered: 2, claimed: 1 } });
    });

    it('gives a manager who is a rep both, with the board of their teams', async () => {
      const { models, config } = setup();
      const home = (await models.appHome(config, 'U0ALICE', NOW));
      expect(home.rep?.outsideHours).toBe(true);
      expect(home.teamBoard?.teams.map((t) => t.teamId)).toEqual(['junior']);
    });

    it('gives a manager who is no rep only the board, and a stranger neither', async () => {
      const { models, config } = setup();
      const boss = (await models.appHome(config, 'U0BOSS', NOW));
      expect(boss.rep).toBeNull();
      expect(boss.teamBoard?.teams.map((t) => t.teamId)).toEqual(['senior', 'junior', null]);
      expect((await models.appHome(config, 'U0NOBODY', NOW))).toEqual({ userId: 'U0NOBODY', rep: null, teamBoard: null });
    });
  });
});
