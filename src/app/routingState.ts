import type { EnrichmentTrace } from '../domain/enrichment.ts';
import { afterOffer, decideRoute, DEFAULT_REP_RUNTIME, type CompiledRouting, type RepRuntime, type RoundRobinState, type RoutingDecision } from '../domain/routing/index.ts';
import type { Lead } from '../domain/lead.ts';
import type { Settings } from '../domain/settings.ts';
import type { RoutingRepository } from './ports.ts';

/**
 * A map over the entries loaded so far that notes every key asked for but not loaded (answering
 * "absent", which the core reads as the default). Iterating it would only see what happens to be
 * loaded, so it refuses to.
 */
class LoadedEntries<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly loaded: ReadonlyMap<string, V>,
    private readonly missing: Set<string>,
  ) {}

  get(key: string): V | undefined {
    const value = this.loaded.get(key);
    if (value === undefined) this.missing.add(key);
    return value;
  }

  has(key: string): boolean {
    if (this.loaded.has(key)) return true;
    this.missing.add(key);
    return false;
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

/**
 * The reps' and teams' runtime state that routing decisions read, loaded from the database only for
 * the reps and teams a decision actually looks at (with 400 reps, a lead routed to a team of 10 needs
 * 10). The core stays pure: a decision is made on what is loaded; if it asked for anything else, that
 * is loaded and the decision is made again, until it needed nothing more. The result is the decision
 * the full snapshot gives, since a decision is a function of what it reads.
 *
 * One instance per transaction: the leads routed in one transaction (a batch of arrivals, of
 * expiries) share the loaded state, kept up to date in memory as offers are made (`offerMade`, with
 * the same afterOffer the simulation uses). A change of anything else a decision reads (a claim, a
 * lead done, a rep away) makes it `forget` what it loaded.
 */
export function createRoutingState(store: RoutingRepository, settings: Settings) {
  const reps = new Map<string, RepRuntime>();
  const roundRobin = new Map<string, RoundRobinState>();
  const attempted = new Set<string>();

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
      for (;;) {
        const missingReps = new Set<string>();
        const missingTeams = new Set<string>();
        const decision = decideRoute({
          lead: input.lead,
          domain: input.domain,
          enrichment: input.enrichment ?? null,
          config: input.routing,
          snapshot: { reps: new LoadedEntries(reps, missingReps), roundRobin: new LoadedEntries(roundRobin, missingTeams), ...input.leadState },
          now: input.now,
        });
        if (missingReps.size === 0 && missingTeams.size === 0) return decision;
        // Ids the store has no entry for (not in the config) stay absent: the default is right for them.
        const fresh = (ids: Set<string>, kind: string) => [...ids].filter((id) => !attempted.has(`${kind}:${id}`) && attempted.add(`${kind}:${id}`));
        const newReps = fresh(missingReps, 'rep');
        const newTeams = fresh(missingTeams, 'team');
        if (newReps.length === 0 && newTeams.length === 0) return decision;
        if (newReps.length > 0) for (const [id, runtime] of await store.loadReps(settings, newReps, input.now)) reps.set(id, runtime);
        if (newTeams.length > 0) for (const [id, state] of await store.loadRoundRobin(newTeams)) roundRobin.set(id, state);
      }
    },

    /** Records in memory what making an offer changed in the store: the rep's offers today and last offer, the team's round-robin state. */
    offerMade(decision: Extract<RoutingDecision, { kind: 'rep' }>, now: number): void {
      const rep = reps.get(decision.repId);
      const teamId = decision.roundRobin?.teamId;
      const next = afterOffer(decision, now, { rep: rep ?? DEFAULT_REP_RUNTIME, team: teamId === undefined ? undefined : roundRobin.get(teamId) });
      if (rep) reps.set(decision.repId, next.rep);
      if (teamId !== undefined && next.team) roundRobin.set(teamId, next.team);
    },

    /** Forgets what was loaded: the store changed in a way offers do not explain. */
    forget(): void {
      reps.clear();
      roundRobin.clear();
      attempted.clear();
    },
  };
}

export type RoutingState = ReturnType<typeof createRoutingState>;
