/**
 * CPU per phase of a lead's way, from a V8 CPU profile of the bot (`--cpu-prof`, compiled build so
 * that functions keep their names): each sample in the measured window goes to the phase of the
 * deepest frame on its stack that a phase claims (a function name, or a source file), so nested
 * phases win over the ones around them (the card render inside the delivery, the routing state's
 * reads inside the decision). An async function resumed after an await runs with its own frame at
 * the bottom of the stack, so its time still goes to it. Samples no phase claims are "other".
 */
import type { Profile } from './profileSummary.ts';

/** What claims a frame: function names, or a part of the frame's URL. */
interface PhaseRule {
  phase: string;
  functions?: string[];
  url?: string[];
}

/** In the order of a lead's way; the deepest claiming frame decides (see above). */
export const PHASES: PhaseRule[] = [
  { phase: 'intake: HTTP, auth, JSON, validation', functions: ['accept'], url: ['/src/adapters/http/', 'node:_http_server', 'node:_http_incoming'] },
  { phase: 'dedupe', functions: ['findReplay', 'findKnown', 'duplicate'] },
  { phase: 'lead insert + history', functions: ['storeNew', 'resolvePreRouting'] },
  { phase: 'routing: read lead, state loads (SQL)', functions: ['route', 'isRoutable', 'withEnrichment', 'loadReps', 'loadRoundRobin', 'loadLeadState', 'loadTeamState', 'routingStateOf'] },
  { phase: 'routing decision (pure)', functions: ['decide', 'decideRoute'], url: ['/src/domain/routing/'] },
  { phase: 'offer + outbox write', functions: ['writePlan', 'startOffer', 'closeQueuedEscalation'], url: ['/src/adapters/sqlite/sqliteOutboxStore'] },
  { phase: 'commit (BEGIN/COMMIT, fsync)', functions: ['transact', 'commitBatch'] },
  { phase: 'delivery: outbox worker, Slack call, record', url: ['/src/adapters/outbox/', '/src/adapters/slack/deliver', '/src/adapters/slack/slackPacer', '/src/adapters/slack/cardModels', 'node_modules/@slack/web-api', 'node:_http_client', 'node_modules/axios'] },
  { phase: 'card render', url: ['/src/adapters/slack/render', '/src/adapters/slack/slackFormat'] },
  { phase: 'logging, metrics, events', url: ['node_modules/pino', 'node_modules/prom-client', '/src/adapters/logger', '/src/adapters/metrics/', '/src/app/events'] },
];

export interface PhaseCost {
  phase: string;
  /** Sampled main-thread time in the window, ms. */
  ms: number;
  msPerLead: number;
  share: number;
}

/** Sampled time per phase between `fromUs` and `toUs` (process.hrtime µs, the profile's clock), divided by `leads`. */
export function phaseCosts(profile: Profile, window: { fromUs: number; toUs: number }, leads: number, rules: PhaseRule[] = PHASES): { busyMs: number; phases: PhaseCost[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const claim = new Map<number, string | null>();
  const claimOf = (id: number): string | null => {
    const known = claim.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame;
    let phase: string | null = null;
    if (frame) {
      for (const rule of rules) {
        if (rule.functions?.includes(frame.functionName) || rule.url?.some((part) => frame.url.includes(part))) {
          phase = rule.phase;
          break;
        }
      }
    }
    claim.set(id, phase);
    return phase;
  };
  const phaseOfSample = new Map<number, string>();
  const phaseOf = (leaf: number): string => {
    const known = phaseOfSample.get(leaf);
    if (known !== undefined) return known;
    const frame = byId.get(leaf)?.callFrame;
    let phase = frame?.functionName === '(garbage collector)' ? 'garbage collector' : 'other';
    if (phase === 'other') {
      for (let at: number | undefined = leaf; at !== undefined; at = parent.get(at)) {
        const claimed = claimOf(at);
        if (claimed !== null) {
          phase = claimed;
          break;
        }
      }
    }
    phaseOfSample.set(leaf, phase);
    return phase;
  };
  const totals = new Map<string, number>();
  let at = profile.startTime;
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < window.fromUs || at > window.toUs) return;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    busyUs += delta;
    const phase = phaseOf(id);
    totals.set(phase, (totals.get(phase) ?? 0) + delta);
  });
  const order = [...rules.map((rule) => rule.phase), 'garbage collector', 'other'];
  const phases = order
    .filter((phase) => totals.has(phase))
    .map((phase) => {
      const us = totals.get(phase) as number;
      return { phase, ms: Math.round(us) / 1000, msPerLead: leads > 0 ? Math.round((us / leads) * 10) / 10000 : 0, share: busyUs > 0 ? Math.round((1000 * us) / busyUs) / 1000 : 0 };
    });
  return { busyMs: Math.round(busyUs) / 1000, phases };
}
