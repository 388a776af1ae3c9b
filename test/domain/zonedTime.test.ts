import { describe, expect, it } from 'vitest';
import { instantAtLocal, instantsAtLocal, nextInstantAtLocal, wallClock } from '../../src/domain/zonedTime.ts';


const at = (iso: string) => Date.parse(iso);
/** A local wall-clock time written as ISO without a zone, as `wallClock` expresses it. */
const wall = (local: string) => Date.parse(`${local}Z`);

describe('instantsAtLocal', () => {
  it('finds the one instant of an ordinary local time', () => {
    expect(instantsAtLocal(wall('2026-11-23T09:00:00'), 'Europe/Berlin')).toEqual([at('2026-11-23T08:00:00Z')]);
    expect(instantsAtLocal(wall('2026-07-01T09:00:00'), 'America/New_York')).toEqual([at('2026-07-01T13:00:00Z')]);
  });

  it('finds both instants of a time in the hour repeated when clocks go back', () => {
    // Berlin 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens at 00:30Z and again at 01:30Z.
    expect(instantsAtLocal(wall('2026-10-25T02:30:00'), 'Europe/Berlin')).toEqual([at('2026-10-25T00:30:00Z'), at('2026-10-25T01:30:00Z')]);
  });

  it('stands the moment of the jump in for a time skipped when clocks go forward', () => {
    // New York 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z; 02:30 never shows.
    expect(instantsAtLocal(wall('2026-03-08T02:30:00'), 'America/New_York')).toEqual([at('2026-03-08T07:00:00Z')]);
    expect(wallClock(at('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(wall('2026-03-08T03:00:00'));
  });

  it('handles a zone whose clocks skip midnight', () => {
    // Santiago 2026-09-06: 00:00 -04 becomes 01:00 -03 at 04:00Z.
    expect(instantsAtLocal(wall('2026-09-06T00:00:00'), 'America/Santiago')).toEqual([at('2026-09-06T04:00:00Z')]);
  });
});

describe('instantAtLocal', () => {
  it('is the first of the instants', () => {
    expect(instantAtLocal(wall('2026-10-25T02:30:00'), 'Europe/Berlin')).toBe(at('2026-10-25T00:30:00Z'));
  });
});

describe('nextInstantAtLocal', () => {
  it('is the first instant after now, or null once the local time has passed', () => {
    const local = wall('2026-10-25T02:30:00');
    expect(nextInstantAtLocal(local, 'Europe/Berlin', at('2026-10-24T12:00:00Z'))).toBe(at('2026-10-25T00:30:00Z'));
    expect(nextInstantAtLocal(local, 'Europe/Berlin', at('2026-10-25T00:45:00Z'))).toBe(at('2026-10-25T01:30:00Z'));
    expect(nextInstantAtLocal(local, 'Europe/Berlin', at('2026-10-25T01:30:00Z'))).toBeNull();
  });
});
