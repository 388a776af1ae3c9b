import type { Clock } from '../../src/domain/clock.ts';

/** A clock that only moves when the test says so. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: number | string = '2026-11-24T14:00:00Z') {
    this.current = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('FakeClock cannot go backwards');
    this.current += ms;
  }

  set(at: number | string): void {
    this.current = typeof at === 'number' ? at : Date.parse(at);
  }
}
