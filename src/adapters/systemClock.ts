import type { Clock } from '../domain/clock.ts';

/** The wall clock, for production wiring only. */
export const systemClock: Clock = { now: () => Date.now() };
