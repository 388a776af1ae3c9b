import type { Config } from '../config/schema.ts';
import type { EnrichmentTrace } from '../domain/enrichment.ts';
import { decideRoute, type CompiledRouting, type RepRuntime, type RoundRobinState, type RoutingDecision } from '../domain/routing/index.ts';
import type { Lead } from '../domain/lead.ts';
import type { SqliteRoutingStore } from '../adapters/sqlite/sqliteRoutingStore.ts';

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
 * One instance per transaction: inside a batch (many leads routed in one transaction) the loaded
 * state is shared and kept up to date in memory as offers are made (see `offerMade`).
 */
export function createRoutingState(store: SqliteRoutingStore, config: Config) {
  const reps = new Map<string, RepRuntime>();
  const roundRobin = new Map<string, RoundRobinState>();
  const attempted = new Set<string>();

  return {
    decide(input: {
      lead: Lead;
      domain: string | null;
      /** What enrichment did to the lead (already merged into `lead`), for the trace. */
      enrichment?: EnrichmentTrace | null;
      routing: CompiledRouting;
      leadState: { accountOwners: ReadonlyMap<string, string | null>; excludedReps: ReadonlySet<string> };
      now: number;
    }): RoutingDecision {
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
        for (const [id, runtime] of store.loadReps(config, newReps, input.now)) reps.set(id, runtime);
        for (const [id, state] of store.loadRoundRobin(newTeams)) roundRobin.set(id, state);
      }
    },

    /** Records in memory what making an offer changed in the database: the rep's offers today and last offer, the team's round-robin state. */
    offerMade(decision: Extract<RoutingDecision, { kind: 'rep' }>, now: number): void {
      const rep = reps.get(decision.repId);
      if (rep) reps.set(decision.repId, { ...rep, offersToday: rep.offersToday + 1, lastOfferAt: now });
      const update = decision.roundRobin;
      const team = update ? roundRobin.get(update.teamId) : undefined;
      if (update && team) roundRobin.set(update.teamId, { level: update.level, passes: new Map(team.passes).set(update.repId, update.pass) });
    },
  };
}

export type RoutingState = ReturnType<typeof createRoutingState>;
