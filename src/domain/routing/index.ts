/**
 * The routing core: conditions, eligibility, round_robin / least_loaded, account routing,
 * the decision and its trace. Pure: the app loads a RoutingSnapshot, calls decideRoute with `now`,
 * and stores what comes back.
 */
export { checkEligibility, effectiveCapacity, nextEligibilityChange, skipReason } from './checkEligibility.ts';
export { compileRouting, formatHours, type CompiledRouting, type CompiledRule, type CompiledTeam } from './compileRouting.ts';
export { decideRoute, type DecideRouteInput } from './decideRoute.ts';
export { earliestEligibilityChange } from './earliestEligibilityChange.ts';
export { formatTrace } from './formatTrace.ts';
export { storedTrace, traceFromStored, type NotMatchedRule, type StoredTrace } from './storedTrace.ts';
export { localDayStart, nextLocalDayStart } from './localDayStart.ts';
export { describeCondition, matchCondition } from './matchCondition.ts';
export { readLeadPath } from './readLeadPath.ts';
export { whyYou } from './whyYou.ts';
export { afterOffer } from './afterOffer.ts';
export { planRoute, sequencePayload, type RoutePlan, type RoutedLead } from './planRoute.ts';
export * from './types.ts';
