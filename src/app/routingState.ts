import type { EnrichmentTrace } from '../domain/enrichment.ts';
import { afterOffer, decideRoute, DEFAULT_REP_RUNTIME, type CompiledRouting, type CompiledTeam, type RepRuntime, type RoundRobinState, type RoutingDecision } from '../domain/routing/index.ts';
import type { Lead } from '../domain/lead.ts';
import type { Settings } from '../domain/settings.ts';
import type { RoutingRepository } from './ports.ts';

/** Thrown out of a decision that asked for an entry not loaded yet: it is loaded, and the decision made again. */
const NOT_LOADED: unique symbol = Symbol('not loaded');

/**
 * A map over the entries loaded so far. Asked for a key not loaded (and not tried yet), it stops
 * the decision (`NOT_LOADED`) after noting the key; a key tried and still absent (not in the
 * config) answers "absent", which the core reads as the default. Iterating it would only see what
 * happens to be loaded, so it refuses to.
 */
class LoadedEntries<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly loaded: ReadonlyMap<string, V>,
    private readonly tried: ReadonlySet<string>,
    private readonly missing: Set<string>,
  ) {}

  get(key: string): V | undefined {
    const value = this.loaded.get(key);
    if (value === undefined && !this.tried.has(key)) {
      this.missing.add(key);
      throw NOT_LOADED;
    }
    return value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  private refuse(): never {
    throw new Error('the routing state is loaded per rep and per team as a decision asks for them: iterate the config instead');
  }

  get size(): number {
    return this.refuse();
  }
  forEach(): void {
    this.refuse();
  }
  entries(): MapIterator<[string, V]> {
    return this.refuse();
  }
  keys(): MapIterator<string> {
    return this.refuse();
  }
  values(): MapIterator<V> {
    return this.refuse();
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.refuse();
  }
}

/** Each rep's teams in a compiled config: computed once per config, not once per decision. */
const teamsByRep = new WeakMap<CompiledRouting, ReadonlyMap<string, readonly CompiledTeam[]>>();
function teamsOf(routing: CompiledRouting, repId: string): readonly CompiledTeam[] {
  let index = teamsByRep.get(routing);
  if (!index) {
    const built = new Map<string, CompiledTeam[]>();
    for (const team of routing.teams.values()) for (const member of team.members) built.set(member.id, [...(built.get(member.id) ?? []), team]);
    teamsByRep.set(routing, built);
    index = built;
  }
  return index.get(repId) ?? [];
}

/**
 * The reps' and teams' runtime state that routing decisions read, loaded from the database only for
 * the teams a decision actually looks at (with 400 reps, a lead routed to a team of 10 needs 10).
 * The core stays pure: a decision is made on what is loaded; the first entry it asks for that is
 * not loaded stops it, and that rep is loaded together with the other members of its teams and the
 * teams' round-robin state (a team's members are assessed together), or that team's state; then
 * the decision is made again, until it needed nothing more. The result is the decision the full
 * snapshot gives, since a decision is a function of what it reads; a stopped decision costs next
 * to nothing, so a lead is decided about once however large its team.
 *
 * One instance per transaction: the leads routed in one transaction (a batch of arrivals, of
 * expiries) share the loaded state, kept up to date in memory as offers are made (`offerMade`, with
 * the same afterOffer the simulation uses). A change of anything else a decision reads (a claim, a
 * lead done, a rep away) makes it `forget` what it loaded.
 */
export function createRoutingState(store: RoutingRepository, settings: Settings) {
  const reps = new Map<string, RepRuntime>();
  const roundRobin = new Map<string, RoundRobinState>();
  /** Keys asked of the store already: one still absent is not in the config, and stays absent. */
  const triedReps = new Set<string>();
  const triedTeams = new Set<string>();

  /**
   * The teams' states this routing state made itself (afterOffer's copy of what the store gave it):
   * the next offer to the team sets its pass in place. A state the store gave is never changed, and
   * is copied once per transaction rather than once per offer (400 passes for each lead of a batch
   * to a team of 400).
   */
  const ownTeams = new Set<RoundRobinState>();

  /** Offers made since the last decision, in order (see offerMade). */
  const offersMade: { decision: Extract<RoutingDecision, { kind: 'rep' }>; now: number }[] = [];
  const applyOffersMade = () => {
    for (const { decision, now } of offersMade) {
      const rep = reps.get(decision.repId);
      const update = decision.roundRobin;
      const team = update === undefined ? undefined : roundRobin.get(update.teamId);
      if (update && team && ownTeams.has(team)) {
        (team.passes as Map<string, number>).set(update.repId, update.pass);
        team.level = update.level;
        if (rep) reps.set(decision.repId, afterOffer(decision, now, { rep, team: undefined }).rep);
        continue;
      }
      const next = afterOffer(decision, now, { rep: rep ?? DEFAULT_REP_RUNTIME, team });
      if (rep) reps.set(decision.repId, next.rep);
      if (update && next.team) {
        roundRobin.set(update.teamId, next.team);
        if (next.team !== team) ownTeams.add(next.team);
      }
    }
    offersMade.length = 0;
  };

  /** Loads what a stopped decision asked for (see above). */
  const load = async (routing: CompiledRouting, missingReps: Set<string>, missingTeams: Set<string>, now: number) => {
    const repIds = new Set<string>();
    const teamIds = new Set<string>();
    const wantRep = (id: string) => {
      if (!reps.has(id) && !triedReps.has(id)) repIds.add(id);
    };
    const wantTeam = (id: string) => {
      if (!roundRobin.has(id) && !triedTeams.has(id)) teamIds.add(id);
    };
    for (const id of missingReps) {
      wantRep(id);
      for (const team of teamsOf(routing, id)) {
        wantTeam(team.team.id);
        for (const member of team.members) wantRep(member.id);
      }
    }
    for (const id of missingTeams) wantTeam(id);
    for (const id of repIds) triedReps.add(id);
    for (const id of teamIds) triedTeams.add(id);
    if (repIds.size > 0) for (const [id, runtime] of await store.loadReps(settings, repIds, now)) reps.set(id, runtime);
    if (teamIds.size > 0) for (const [id, state] of await store.loadRoundRobin(teamIds)) roundRobin.set(id, state);
  };

  return {
    async decide(input: {
      lead: Lead;
      domain: string | null;
      /** What enrichment did to the lead (already merged into `lead`), for the trace. */
      enrichment?: EnrichmentTrace | null;
      routing: CompiledRouting;
      leadState: { accountOwners: ReadonlyMap<string, string | null>; excludedReps: ReadonlySet<string> };
      now: number;
    }): Promise<RoutingDecision> {
      applyOffersMade();
      for (;;) {
        const missingReps = new Set<string>();
        const missingTeams = new Set<string>();
        try {
          return decideRoute({
            lead: input.lead,
            domain: input.domain,
            enrichment: input.enrichment ?? null,
            config: input.routing,
            snapshot: { reps: new LoadedEntries(reps, triedReps, missingReps), roundRobin: new LoadedEntries(roundRobin, triedTeams, missingTeams), ...input.leadState },
            now: input.now,
          });
        } catch (error) {
          if (error !== NOT_LOADED) throw error;
        }
        // Each round tries at least the key that stopped the decision: it ends.
        await load(input.routing, missingReps, missingTeams, input.now);
      }
    },

    /**
     * Records in memory what making an offer changed in the store: the rep's offers today and last
     * offer, the team's round-robin state. Applied when the next decision of this state comes, if one
     * does (most transactions route one lead: a team's passes are not copied for nothing).
     */
    offerMade(decision: Extract<RoutingDecision, { kind: 'rep' }>, now: number): void {
      offersMade.push({ decision, now });
    },

    /** Forgets what was loaded: the store changed in a way offers do not explain. */
    forget(): void {
      reps.clear();
      roundRobin.clear();
      triedReps.clear();
      triedTeams.clear();
      ownTeams.clear();
      offersMade.length = 0;
    },
  };
}

export type RoutingState = ReturnType<typeof createRoutingState>;
