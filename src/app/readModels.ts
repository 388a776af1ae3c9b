/**
 * What `/leads`, `/leads team`, `/leads stats` and the App Home show: the models (plain data the
 * renderers in src/adapters/slack turn into Block Kit), the store's queries behind them (the
 * `ReadModels` port), and `createLeadViews`, which composes them. The runtime state of reps (away,
 * capacity override, open leads, offers today) is read through the routing repository, so the board
 * shows exactly what routing decides on.
 */
import type { Lead } from '../domain/lead.ts';
import { isManager } from '../domain/people.ts';
import { DEFAULT_REP_RUNTIME, effectiveCapacity } from '../domain/routing/index.ts';
import type { Rep, Settings } from '../domain/settings.ts';
import type { SignalFact } from '../domain/signals/matchSignalRule.ts';
import { isWithinHours } from '../domain/workingHours.ts';
import type { Away, UnitOfWork } from './ports.ts';

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
export type AwayStatus = Away;

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

/** A signal as lists show it. */
export type LeadSignalItem = SignalFact;

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

/** Who a board is for: every team (`all`), or the leads of these teams plus leads with no team. */
export interface BoardScope {
  all: boolean;
  teamIds: string[];
}

/** Offers made in a window and what became of them, per rep. */
export type OutcomeCounts = Omit<WindowStats, 'medianClaimMs'>;

/** The store's queries behind the views; read-only, each a consistent read. */
export interface ReadModels {
  /** The rep's pending offers, the soonest deadline first. */
  pendingOffersOfRep(repId: string): Promise<PendingOfferItem[]>;
  /** Leads the rep claimed (or was assigned) and has not marked done, the oldest first. */
  openLeadsOfRep(repId: string): Promise<OpenLeadItem[]>;
  /** Queued leads in scope, oldest first, at most `limit`; and how many there are. */
  queuedLeads(scope: BoardScope, limit: number): Promise<{ items: QueuedLeadItem[]; total: number }>;
  /** Escalated leads in scope, the longest escalated first, at most `limit`; and how many there are. */
  escalatedLeads(scope: BoardScope, limit: number): Promise<{ items: EscalatedLeadItem[]; total: number }>;
  /** Pending offers per rep. */
  pendingOfferCounts(): Promise<Map<string, number>>;
  /** Per rep: offers made in (since7, now] and (since30, now] and how each ended. */
  offerOutcomes(window: { since7: number; since30: number; now: number }): Promise<Map<string, { last7d: OutcomeCounts; last30d: OutcomeCounts }>>;
  /** Claimed offers made in (since30, now]: rep, when offered, time to claim; the quickest claim first. */
  claimTimes(window: { since30: number; now: number }): Promise<{ repId: string; offeredAt: number; ms: number }[]>;
}

/** The middle value of sorted numbers (the mean of the two middle ones for an even count), rounded; null for none. */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : Math.round(((sorted[mid - 1] ?? 0) + upper) / 2);
}

function emptyCounts(): OutcomeCounts {
  return { offered: 0, claimed: 0, passed: 0, expired: 0 };
}

/**
 * Who a board is for: top-level managers (and callers passing no viewer) see every team, the reps
 * in no team, and every queued or escalated lead; a team's manager sees their teams and the leads
 * of those teams (plus leads with no team, which nobody else would be shown).
 */
function boardScope(settings: Settings, viewerId: string | undefined): BoardScope {
  if (viewerId === undefined || settings.managers.includes(viewerId)) return { all: true, teamIds: settings.teams.map((t) => t.id) };
  return { all: false, teamIds: settings.teams.filter((t) => t.manager === viewerId).map((t) => t.id) };
}

/** What the views read: the store's unit of work (routing state, availability, signals) and its read models. */
type ViewStore = { uow: UnitOfWork; readModels: ReadModels };

/**
 * `/leads team`: queued and escalated leads, and each rep's load and availability, for the teams
 * `viewerId` manages (every team when `viewerId` is a top-level manager or not given).
 */
async function teamBoard(store: ViewStore, settings: Settings, now: number, viewerId?: string): Promise<TeamBoardModel> {
  const { uow, readModels } = store;
  const scope = boardScope(settings, viewerId);
  const [queued, escalated, runtimes, pending] = [
    await readModels.queuedLeads(scope, BOARD_LIST_LIMIT),
    await readModels.escalatedLeads(scope, BOARD_LIST_LIMIT),
    (await uow.read((tx) => tx.routing.loadTeamState(settings, now))).reps,
    await readModels.pendingOfferCounts(),
  ];
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
  const repsById = new Map(settings.reps.map((rep) => [rep.id, rep]));
  const teams: TeamLoad[] = settings.teams
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
    const inTeam = new Set(settings.teams.flatMap((team) => team.members));
    const loose = settings.reps.filter((rep) => !inTeam.has(rep.id));
    if (loose.length > 0) teams.push({ teamId: null, managerId: null, reps: loose.map(load) });
  }
  return { queued: queued.items, queuedCount: queued.total, escalated: escalated.items, escalatedCount: escalated.total, teams };
}

/**
 * `/leads stats`: per rep of the config (or of `repIds`), offers made in the last 7 and 30 days
 * before `now` and what became of them, with the median time to claim.
 */
async function repStats(readModels: ReadModels, settings: Settings, now: number, repIds?: readonly string[]): Promise<StatsModel> {
  const since7 = now - STATS_WINDOWS.last7d;
  const since30 = now - STATS_WINDOWS.last30d;
  const counts = await readModels.offerOutcomes({ since7, since30, now });
  // The quickest claim first, so each list below stays sorted.
  const times = await readModels.claimTimes({ since30, now });
  const wanted = repIds === undefined ? null : new Set(repIds);
  const reps = settings.reps.filter((rep) => wanted === null || wanted.has(rep.id));
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
    if (!listed.has(row.repId)) continue;
    append(times30, row.repId, row.ms);
    all30.push(row.ms);
    if (row.offeredAt >= since7) {
      append(times7, row.repId, row.ms);
      all7.push(row.ms);
    }
  }
  const stats: RepStats[] = reps.map((rep) => {
    const row = counts.get(rep.id);
    return {
      repId: rep.id,
      name: rep.name ?? null,
      last7d: { ...(row?.last7d ?? emptyCounts()), medianClaimMs: median(times7.get(rep.id) ?? []) },
      last30d: { ...(row?.last30d ?? emptyCounts()), medianClaimMs: median(times30.get(rep.id) ?? []) },
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
}

/** The views, composed from the store's queries and the routing state. */
export function createLeadViews(store: ViewStore) {
  const { uow, readModels } = store;
  const views = {
    myPendingOffers: (repId: string) => readModels.pendingOffersOfRep(repId),
    myOpenLeads: (repId: string) => readModels.openLeadsOfRep(repId),
    /** Whether the rep is away at `now`, and until when. */
    myAvailability: (repId: string, now: number): Promise<Away | null> => uow.read((tx) => tx.availability.awayOf(repId, now)),
    teamBoard: (settings: Settings, now: number, viewerId?: string) => teamBoard(store, settings, now, viewerId),
    repStats: (settings: Settings, now: number, repIds?: readonly string[]) => repStats(readModels, settings, now, repIds),
    /** The lead's newest signals first, at most `limit`. */
    leadSignals: (leadId: number, limit: number): Promise<LeadSignalItem[]> => uow.read((tx) => tx.signals.recentOfLead(leadId, limit)),
    /** Everything `/leads` shows the rep. */
    async myLeads(repId: string): Promise<MyLeadsModel> {
      return { pendingOffers: await readModels.pendingOffersOfRep(repId), openLeads: await readModels.openLeadsOfRep(repId) };
    },
    /** Everything the App Home shows `userId` at `now`: their own leads and stats if a rep, the team board if a manager. */
    async appHome(settings: Settings, userId: string, now: number): Promise<AppHomeModel> {
      const rep = settings.reps.find((r) => r.id === userId);
      const stats = rep ? (await repStats(readModels, settings, now, [rep.id])).reps[0] : undefined;
      return {
        userId,
        rep:
          rep && stats
            ? {
                ...(await views.myLeads(rep.id)),
                away: await views.myAvailability(rep.id, now),
                outsideHours: rep.hours !== undefined && !isWithinHours(rep.hours, rep.timezone, now),
                stats,
              }
            : null,
        teamBoard: isManager(settings, userId) ? await teamBoard(store, settings, now, userId) : null,
      };
    },
  };
  return views;
}

export type LeadViews = ReturnType<typeof createLeadViews>;
