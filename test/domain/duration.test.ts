import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/domain/duration.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['30s', 30 * SECOND],
    ['5m', 5 * MINUTE],
    ['1h', HOUR],
    ['48h', 48 * HOUR],
    ['30d', 30 * DAY],
    ['2w', 14 * DAY],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('adds up compound durations written largest unit first', () => {
    expect(parseDuration('1h30m')).toBe(90 * MINUTE);
    expect(parseDuration('1d 2h 3m 4s')).toBe(DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND);
  });

  it('ignores surrounding spaces', () => {
    expect(parseDuration(' 5m ')).toBe(5 * MINUTE);
  });

  it.each(['300', '0', '0s', '0h0m', '-5m', '1.5h', '5 mins', '5min', '5M', '30m1h', '1h1h', '', 'm', '1h30'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [72 * SECOND, '1m 12s'],
    [2 * HOUR, '2h'],
    [3 * DAY + 4 * HOUR, '3d 4h'],
    [45 * SECOND, '45s'],
    [HOUR + 5 * SECOND, '1h'],
    [20 * DAY, '20d'],
  ])('shows %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('truncates to whole seconds', () => {
    expect(formatDuration(59_999)).toBe('59s');
  });

  it('shows anything under a second, and negative values, as 0s', () => {
    expect(formatDuration(400)).toBe('0s');
    expect(formatDuration(-5_000)).toBe('0s');
  });
});
