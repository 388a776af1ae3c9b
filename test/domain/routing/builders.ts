/**
 * Small builders for routing tests: configs go through the real config schema (so conditions,
 * hours and defaults are exactly what the app would see), snapshots and leads from plain objects.
 */
import { validateConfig, type Config } from '../../../src/config/schema.ts';
import { type Condition } from '../../../src/domain/settings.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import type { RepRuntime, RoundRobinState, RoutingDecision, RoutingSnapshot } from '../../../src/domain/routing/index.ts';

/** Monday 2026-11-23 14:00 UTC: inside Mon-Fri office hours in London, Berlin and New York. */
export const MONDAY_AFTERNOON = Date.parse('2026-11-23T14:00:00Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface RepSpec {
  id: string;
  name?: string;
  email?: string;
  capacity?: number;
  daily_cap?: number;
  weight?: number;
  timezone?: string;
  hours?: string;
}

export interface TeamSpec {
  id: string;
  members: string[];
  distribution?: 'round_robin' | 'least_loaded';
  manager?: string;
}

export type RouteSpec = 'account_owner' | { team: string } | { rep: string } | { sequence: string };

export interface RuleSpec {
  name: string;
  when?: Record<string, unknown>;
  route: RouteSpec;
}

export interface ConfigSpec {
  reps: (RepSpec | string)[];
  teams?: TeamSpec[];
  rules?: RuleSpec[];
  fallback: { team: string } | { rep: string } | { sequence: string };
  accounts?: { domain: string; owner: string }[];
  sequences?: string[];
  timezone?: string;
}

/** A rep with only an id, or with settings. */
export function rep(id: string, settings: Omit<RepSpec, 'id'> = {}): RepSpec {
  return { id, ...settings };
}

export function team(id: string, members: string[], distribution: TeamSpec['distribution'] = 'round_robin'): TeamSpec {
  return { id, members, distribution };
}

/** A validated Config, as loadConfig would produce it; throws with the schema's messages when invalid. */
export function buildConfig(spec: ConfigSpec): Config {
  const raw = {
    timezone: spec.timezone ?? 'UTC',
    escalation: { channel: 'C0ESCALATE' },
    reps: spec.reps.map((r) => (typeof r === 'string' ? { id: r } : r)),
    teams: spec.teams ?? [],
    accounts: spec.accounts ?? [],
    sequences: (spec.sequences ?? []).map((id) => ({ id })),
    rules: spec.rules ?? [],
    fallback: spec.fallback,
  };
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(result.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  return result.config;
}

export interface SnapshotSpec {
  reps?: Record<string, Partial<RepRuntime>>;
  roundRobin?: Record<string, { level?: number; passes?: Record<string, number> }>;
  accountOwners?: Record<string, string | null>;
  excluded?: string[];
}

export function runtime(partial: Partial<RepRuntime> = {}): RepRuntime {
  return { awayUntil: null, capacityOverride: null, openLeads: 0, offersToday: 0, lastOfferAt: null, ...partial };
}

export function buildSnapshot(spec: SnapshotSpec = {}): RoutingSnapshot {
  return {
    reps: new Map(Object.entries(spec.reps ?? {}).map(([id, partial]) => [id, runtime(partial)])),
    roundRobin: new Map(
      Object.entries(spec.roundRobin ?? {}).map(([id, state]): [string, RoundRobinState] => [
        id,
        { level: state.level ?? 0, passes: new Map(Object.entries(state.passes ?? {})) },
      ]),
    ),
    accountOwners: new Map(Object.entries(spec.accountOwners ?? {})),
    excludedReps: new Set(spec.excluded ?? []),
  };
}

export type LeadSpec = Partial<Omit<Lead, 'company' | 'fields'>> & { company?: Lead['company']; fields?: Lead['fields'] };

export function buildLead(spec: LeadSpec = {}): Lead {
  return { source: 'form', email: 'jane.doe@example.org', ...spec, company: spec.company ?? {}, fields: spec.fields ?? {} };
}

/**
 * The app's side of a sequence of decisions, in memory: each offer updates the chosen rep's last
 * offer, today's count and open leads (when asked), and stores the round-robin update.
 */
export class Simulation {
  readonly reps = new Map<string, RepRuntime>();
  readonly roundRobin = new Map<string, { level: number; passes: Map<string, number> }>();
  readonly accountOwners = new Map<string, string | null>();
  excluded = new Set<string>();

  constructor(readonly options: { countOpenLeads?: boolean } = {}) {}

  runtimeOf(repId: string): RepRuntime {
    let state = this.reps.get(repId);
    if (!state) {
      state = runtime();
      this.reps.set(repId, state);
    }
    return state;
  }

  snapshot(): RoutingSnapshot {
    return { reps: this.reps, roundRobin: this.roundRobin, accountOwners: this.accountOwners, excludedReps: this.excluded };
  }

  /** Stores what a decision asks for, as the app does when it makes the offer. */
  apply(decision: RoutingDecision, now: number): void {
    if (decision.kind !== 'rep') return;
    const state = this.runtimeOf(decision.repId);
    state.lastOfferAt = now;
    state.offersToday += 1;
    if (this.options.countOpenLeads) state.openLeads += 1;
    const update = decision.roundRobin;
    if (update) {
      let team = this.roundRobin.get(update.teamId);
      if (!team) {
        team = { level: 0, passes: new Map() };
        this.roundRobin.set(update.teamId, team);
      }
      team.level = update.level;
      team.passes.set(update.repId, update.pass);
    }
  }
}

/** A rule condition as the config schema normalizes it (plain values → `{ eq }`, `matches` compiled). */
export function condition(when: Record<string, unknown>): Condition {
  const config = buildConfig({ reps: ['U0ALICE'], rules: [{ name: 'test', when, route: { rep: 'U0ALICE' } }], fallback: { rep: 'U0ALICE' } });
  const parsed = config.rules[0]?.when;
  if (!parsed) throw new Error('no condition');
  return parsed;
}
