/**
 * Read models for the Slack surface: what `/leads`, `/leads team`, `/leads stats` and the
 * App Home show. Read-only queries, prepared once; every answer that depends on the time takes `now`.
 * The runtime state of reps (away, capacity override, open leads, offers today) is read through
 * sqliteRoutingStore, so the board shows exactly what routing decides on.
 */
import type { Config } from '../../config/schema.ts';
import type { Rep, SignalChannel } from '../../domain/settings.ts';
import { leadRef, type Lead } from '../../domain/lead.ts';
import { isManager } from '../../domain/people.ts';
import { DEFAULT_REP_RUNTIME, effectiveCapacity } from '../../domain/routing/index.ts';
import { isWithinHours } from '../../domain/workingHours.ts';
import type { Db } from './openDatabase.ts';
import { AWAY_INDEFINITELY, sqliteRoutingStore } from './sqliteRoutingStore.ts';

const DAY = 24 * 60 * 60 * 1000;

/** The stats windows, in days ("over 7/30 days"). */
export const STATS_WINDOWS = { last7d: 7 * DAY, last30d: 30 * DAY } as const;

/** Leads loaded per board list; the board says "… and N more" past what it shows. */
const BOARD_LIST_LIMIT = 200;

/** A lead as lists show it: its reference, the stored lead and its company domain. */
export interface LeadListItem {
  leadId: number;
  /** `L-17` */
  ref: string;
  lead: Lead;
  /** The `leads.domain` column: the company domain, shown when the company has no name. */
  domain: string | null;
}

/** A pending offer to the reader: what the Claim and Pass buttons act on. */
export interface PendingOfferItem extends LeadListItem {
  offerId: number;
  /** The offer's fencing token, carried by the buttons (offerButtonValue). */
  offerVersion: number;
  attempt: number;
  offeredAt: number;
  deadlineAt: number;
  /** The one-line "Why you", if stored. */
  why: string | null;
}

/** A lead the reader claimed and has not marked done. */
export interface OpenLeadItem extends LeadListItem {
  /** The lead's fencing token, carried by the Done button (leadButtonValue). */
  leadVersion: number;
  claimedAt: number | null;
}

export interface QueuedLeadItem extends LeadListItem {
  teamId: string | null;
  /** When the lead entered the queue. */
  since: number;
  /** Whether a manager (or the escalation channel) was told about it. */
  escalated: boolean;
}

export interface EscalatedLeadItem extends LeadListItem {
  teamId: string | null;
  since: number;
  reason: 'max_offers' | 'queued' | null;
  /** How many times the manager was pinged: 1 for the first message. */
  pings: number;
}

/** Away: until an instant, or (`until: null`) until the rep turns it off. */
export interface AwayStatus {
  until: number | null;
}

/** One rep's load and availability as of `now`. */
export interface RepLoad {
  repId: string;
  /** The config's name, if given. */
  name: string | null;
  openLeads: number;
  /** The capacity the rep is held to (runtime override, else the config's); null = unlimited. */
  capacity: number | null;
  pendingOffers: number;
  away: AwayStatus | null;
  /** The rep has working hours and `now` is outside them. */
  outsideHours: boolean;
  /** Offers since the rep's local midnight. */
  offersToday: number;
  dailyCap: number | null;
}

export interface TeamLoad {
  /** Null: the reps in no team (shown to top-level managers). */
  teamId: string | null;
  managerId: string | null;
  reps: RepLoad[];
}

export interface TeamBoardModel {
  /** Oldest first, at most 200. */
  queued: QueuedLeadItem[];
  /** All queued leads in scope, including those not loaded. */
  queuedCount: number;
  escalated: EscalatedLeadItem[];
  escalatedCount: number;
  teams: TeamLoad[];
}

/** Counts over one window, by the time the offers were made. */
export interface WindowStats {
  /** Offers made. */
  offered: number;
  claimed: number;
  passed: number;
  expired: number;
  /** Median of resolved_at − offered_at over the claimed offers; null when none was claimed. */
  medianClaimMs: number | null;
}

export interface RepStats {
  repId: string;
  name: string | null;
  last7d: WindowStats;
  last30d: WindowStats;
}

export interface StatsModel {
  /** In the config's order (renderers sort by name). */
  reps: RepStats[];
  /** Over the listed reps; the median is over all their claimed offers. */
  totals: { last7d: WindowStats; last30d: WindowStats };
}

export interface LeadSignalItem {
  channel: SignalChannel;
  kind: string;
  at: number;
}

export interface MyLeadsModel {
  pendingOffers: PendingOfferItem[];
  openLeads: OpenLeadItem[];
}

/** The reader as a rep on their Home tab. */
export interface HomeRepModel extends MyLeadsModel {
  away: AwayStatus | null;
  outsideHours: boolean;
  stats: RepStats;
}

export interface AppHomeModel {
  userId: string;
  /** Null when the reader is no rep (a manager only, or unknown to leadrelay). */
  rep: HomeRepModel | null;
  /** The team board, for managers only. */
  teamBoard: TeamBoardModel | null;
}

type LeadColumns = { lead_id: number; payload: string; domain: string | null };

function listItem(row: LeadColumns): LeadListItem {
  return { leadId: row.lead_id, ref: leadRef(row.lead_id), lead: JSON.parse(row.payload) as Lead, domain: row.domain };
}

/** The middle value of sorted numbers (the mean of the two middle ones for an even count), rounded; null for none. */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : Math.round(((sorted[mid - 1] ?? 0) + upper) / 2);
}

function emptyWindow(): WindowStats {
  return { offered: 0, claimed: 0, passed: 0, expired: 0, medianClaimMs: null };
}

/**
 * Who a board is for: top-level managers (and callers passing no viewer) see every team, the reps
 * in no team, and every queued or escalated lead; a team's manager sees their teams and the leads
 * of those teams (plus leads with no team, which nobody else would be shown).
 */
function boardScope(config: Config, viewerId: string | undefined): { all: boolean; teamIds: string[] } {
  if (viewerId === undefined || config.managers.includes(viewerId)) return { all: true, teamIds: config.teams.map((t) => t.id) };
  return { all: false, teamIds: config.teams.filter((t) => t.manager === viewerId).map((t) => t.id) };
}

/** Read-only queries behind `/leads`, `/leads team`, `/leads stats` and the App Home. */
export function sqliteReadModels(db: Db) {
  const routing = sqliteRoutingStore(db);
  const statements = {
    pendingOffersOfRep: db.prepare(`SELECT o.id AS offer_id, o.version AS offer_version, o.attempt, o.offered_at, o.deadline_at, o.why,
        l.id AS lead_id, l.payload, l.domain
      FROM offers o JOIN leads l ON l.id = o.lead_id
      WHERE o.rep_id = ? AND o.state = 'pending' ORDER BY o.deadline_at, o.id`),
    openLeadsOfRep: db.prepare(`SELECT id AS lead_id, payload, domain, version, claimed_at FROM leads
      WHERE owner_id = ? AND state = 'claimed' ORDER BY claimed_at, id`),
    awayUntil: db.prepare('SELECT away_until FROM rep_state WHERE rep_id = ?'),
    pendingCounts: db.prepare(`SELECT rep_id, count(*) AS n FROM offers WHERE state = 'pending' GROUP BY rep_id`),
    // @all = 1: every lead; else leads of the teams in the JSON array @teams, and leads with no team.
    queued: db.prepare(`SELECT id AS lead_id, payload, domain, team_id, updated_at, escalated_at FROM leads
      WHERE state = 'queued' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))
      ORDER BY updated_at, id LIMIT @limit`),
    queuedCount: db.prepare(`SELECT count(*) AS n FROM leads
      WHERE state = 'queued' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))`),
    escalated: db.prepare(`SELECT id AS lead_id, payload, domain, team_id, updated_at, escalated_at, escalation_reason, escalation_pings FROM leads
      WHERE state = 'escalated' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))
      ORDER BY coalesce(escalated_at, updated_at), id LIMIT @limit`),
    escalatedCount: db.prepare(`SELECT count(*) AS n FROM leads
      WHERE state = 'escalated' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))`),
    // Offers made in the last 30 days (and, by the conditional sums, the last 7), by rep.
    offerCounts: db.prepare(`SELECT rep_id,
        count(*) AS offered30, sum(state = 'claimed') AS claimed30, sum(state = 'passed') AS passed30, sum(state = 'expired') AS expired30,
        sum(offered_at >= @since7) AS offered7, sum(offered_at >= @since7 AND state = 'claimed') AS claimed7,
        sum(offered_at >= @since7 AND state = 'passed') AS passed7, sum(offered_at >= @since7 AND state = 'expired') AS expired7
      FROM offers WHERE offered_at >= @since30 AND offered_at <= @now GROUP BY rep_id`),
    claimTimes: db.prepare(`SELECT rep_id, offered_at, resolved_at - offered_at AS ms FROM offers
      WHERE state = 'claimed' AND resolved_at IS NOT NULL AND offered_at >= @since30 AND offered_at <= @now ORDER BY ms`),
    signals: db.prepare('SELECT channel, kind, at FROM signals WHERE lead_id = ? ORDER BY at DESC, id DESC LIMIT ?'),
  };

  const readModels = {
    /** The rep's pending offers, the soonest deadline first. */
    myPendingOffers(repId: string): PendingOfferItem[] {
      type Row = LeadColumns & { offer_id: number; offer_version: number; attempt: number; offered_at: number; deadline_at: number; why: string | null };
      return (statements.pendingOffersOfRep.all(repId) as Row[]).map((row) => ({
        ...listItem(row),
        offerId: row.offer_id,
        offerVersion: row.offer_version,
        attempt: row.attempt,
        offeredAt: row.offered_at,
        deadlineAt: row.deadline_at,
        why: row.why,
      }));
    },

    /** Leads the rep claimed (or was assigned) and has not marked done, the oldest first. */
    myOpenLeads(repId: string): OpenLeadItem[] {
      type Row = LeadColumns & { version: number; claimed_at: number | null };
      return (statements.openLeadsOfRep.all(repId) as Row[]).map((row) => ({ ...listItem(row), leadVersion: row.version, claimedAt: row.claimed_at }));
    },

    /** Whether the rep is away at `now`, and until when. */
    myAvailability(repId: string, now: number): AwayStatus | null {
      const row = statements.awayUntil.get(repId) as { away_until: number | null } | undefined;
      return awayOf(row?.away_until ?? null, now);
    },

    /**
     * `/leads team`: queued and escalated leads, and each rep's load and availability, for the
     * teams `viewerId` manages (every team when `viewerId` is a top-level manager or not given).
     */
    teamBoard(config: Config, now: number, viewerId?: string): TeamBoardModel {
      const scope = boardScope(config, viewerId);
      const params = { all: scope.all ? 1 : 0, teams: JSON.stringify(scope.teamIds), limit: BOARD_LIST_LIMIT };
      const countParams = { all: params.all, teams: params.teams };
      type QueuedRow = LeadColumns & { team_id: string | null; updated_at: number; escalated_at: number | null };
      const queued = (statements.queued.all(params) as QueuedRow[]).map((row) => ({
        ...listItem(row),
        teamId: row.team_id,
        since: row.updated_at,
        escalated: row.escalated_at !== null,
      }));
      type EscalatedRow = QueuedRow & { escalation_reason: 'max_offers' | 'queued' | null; escalation_pings: number };
      const escalated = (statements.escalated.all(params) as EscalatedRow[]).map((row) => ({
        ...listItem(row),
        teamId: row.team_id,
        since: row.escalated_at ?? row.updated_at,
        reason: row.escalation_reason,
        pings: row.escalation_pings,
      }));

      const { reps: runtimes } = routing.loadTeamState(config, now);
      const pending = new Map((statements.pendingCounts.all() as { rep_id: string; n: number }[]).map((row) => [row.rep_id, row.n]));
      const load = (rep: Rep): RepLoad => {
        const runtime = runtimes.get(rep.id) ?? DEFAULT_REP_RUNTIME;
        const awayUntil = runtime.awayUntil;
        return {
          repId: rep.id,
          name: rep.name ?? null,
          openLeads: runtime.openLeads,
          capacity: effectiveCapacity(rep, runtime) ?? null,
          pendingOffers: pending.get(rep.id) ?? 0,
          away: awayUntil !== null && awayUntil > now ? { until: Number.isFinite(awayUntil) ? awayUntil : null } : null,
          outsideHours: rep.hours !== undefined && !isWithinHours(rep.hours, rep.timezone, now),
          offersToday: runtime.offersToday,
          dailyCap: rep.dailyCap ?? null,
        };
      };
      const repsById = new Map(config.reps.map((rep) => [rep.id, rep]));
      const teams: TeamLoad[] = config.teams
        .filter((team) => scope.teamIds.includes(team.id))
        .map((team) => ({
          teamId: team.id,
          managerId: team.manager ?? null,
          reps: team.members.flatMap((id) => {
            const rep = repsById.get(id);
            return rep ? [load(rep)] : [];
          }),
        }));
      if (scope.all) {
        const inTeam = new Set(config.teams.flatMap((team) => team.members));
        const loose = config.reps.filter((rep) => !inTeam.has(rep.id));
        if (loose.length > 0) teams.push({ teamId: null, managerId: null, reps: loose.map(load) });
      }
      return {
        queued,
        queuedCount: (statements.queuedCount.get(countParams) as { n: number }).n,
        escalated,
        escalatedCount: (statements.escalatedCount.get(countParams) as { n: number }).n,
        teams,
      };
    },

    /**
     * `/leads stats`: per rep of the config (or of `repIds`), offers made in the last 7 and 30 days
     * before `now` and what became of them, with the median time to claim.
     */
    repStats(config: Config, now: number, repIds?: readonly string[]): StatsModel {
      const since7 = now - STATS_WINDOWS.last7d;
      const since30 = now - STATS_WINDOWS.last30d;
      type CountRow = Record<'offered7' | 'claimed7' | 'passed7' | 'expired7' | 'offered30' | 'claimed30' | 'passed30' | 'expired30', number> & { rep_id: string };
      const counts = new Map((statements.offerCounts.all({ since7, since30, now }) as CountRow[]).map((row) => [row.rep_id, row]));
      // Sorted by ms in SQL, so each list below stays sorted.
      const times = statements.claimTimes.all({ since30, now }) as { rep_id: string; offered_at: number; ms: number }[];
      const wanted = repIds === undefined ? null : new Set(repIds);
      const reps = config.reps.filter((rep) => wanted === null || wanted.has(rep.id));
      const listed = new Set(reps.map((rep) => rep.id));
      const times30 = new Map<string, number[]>();
      const times7 = new Map<string, number[]>();
      const all30: number[] = [];
      const all7: number[] = [];
      const append = (map: Map<string, number[]>, repId: string, ms: number) => {
        const list = map.get(repId);
        if (list) list.push(ms);
        else map.set(repId, [ms]);
      };
      for (const row of times) {
        if (!listed.has(row.rep_id)) continue;
        append(times30, row.rep_id, row.ms);
        all30.push(row.ms);
        if (row.offered_at >= since7) {
          append(times7, row.rep_id, row.ms);
          all7.push(row.ms);
        }
      }
      const stats: RepStats[] = reps.map((rep) => {
        const row = counts.get(rep.id);
        return {
          repId: rep.id,
          name: rep.name ?? null,
          last7d: row
            ? { offered: row.offered7, claimed: row.claimed7, passed: row.passed7, expired: row.expired7, medianClaimMs: median(times7.get(rep.id) ?? []) }
            : emptyWindow(),
          last30d: row
            ? { offered: row.offered30, claimed: row.claimed30, passed: row.passed30, expired: row.expired30, medianClaimMs: median(times30.get(rep.id) ?? []) }
            : emptyWindow(),
        };
      });
      const total = (pick: (s: RepStats) => WindowStats, sorted: number[]): WindowStats => ({
        offered: stats.reduce((n, s) => n + pick(s).offered, 0),
        claimed: stats.reduce((n, s) => n + pick(s).claimed, 0),
        passed: stats.reduce((n, s) => n + pick(s).passed, 0),
        expired: stats.reduce((n, s) => n + pick(s).expired, 0),
        medianClaimMs: median(sorted),
      });
      return { reps: stats, totals: { last7d: total((s) => s.last7d, all7), last30d: total((s) => s.last30d, all30) } };
    },

    /** The lead's newest signals first, at most `limit`. */
    leadSignals(leadId: number, limit: number): LeadSignalItem[] {
      return statements.signals.all(leadId, limit) as LeadSignalItem[];
    },

    /** Everything `/leads` shows the rep. */
    myLeads(repId: string): MyLeadsModel {
      return { pendingOffers: readModels.myPendingOffers(repId), openLeads: readModels.myOpenLeads(repId) };
    },

    /** Everything the App Home shows `userId` at `now`: their own leads and stats if a rep, the team board if a manager. */
    appHome(config: Config, userId: string, now: number): AppHomeModel {
      const rep = config.reps.find((r) => r.id === userId);
      const stats = rep ? readModels.repStats(config, now, [rep.id]).reps[0] : undefined;
      return {
        userId,
        rep:
          rep && stats
            ? {
                ...readModels.myLeads(rep.id),
                away: readModels.myAvailability(rep.id, now),
                outsideHours: rep.hours !== undefined && !isWithinHours(rep.hours, rep.timezone, now),
                stats,
              }
            : null,
        teamBoard: isManager(config, userId) ? readModels.teamBoard(config, now, userId) : null,
      };
    },
  };
  return readModels;
}

/** `away_until` as stored (AWAY_INDEFINITELY for "until turned off") → the status at `now`. */
function awayOf(awayUntil: number | null, now: number): AwayStatus | null {
  if (awayUntil === null || awayUntil <= now) return null;
  return { until: awayUntil >= AWAY_INDEFINITELY ? null : awayUntil };
}

export type SqliteReadModels = ReturnType<typeof sqliteReadModels>;
