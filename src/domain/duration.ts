/**
 * Durations as people write them in leadrelay.yml and slash commands (`30s`, `5m`, `1h30m`, `30d`),
 * and as cards show them (`1m 12s`). Kept tiny and strict so that a typo such as `5 mins` or a bare
 * `300` (seconds? minutes?) is an error instead of a silently wrong SLA.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Units from largest to smallest: a compound duration must list them in this order, each once. */
const UNITS = [
  { suffix: 'w', ms: WEEK },
  { suffix: 'd', ms: DAY },
  { suffix: 'h', ms: HOUR },
  { suffix: 'm', ms: MINUTE },
  { suffix: 's', ms: SECOND },
] as const;

/** The hint shown next to a rejected duration. */
export const DURATION_HINT = 'use 30s, 5m, 1h, 30d';

/**
 * Parses `30s`, `5m`, `1h`, `30d`, `2w` and compounds such as `1h30m` or `1h 30m` (largest unit
 * first, each unit once) into milliseconds. Returns null for anything else: bare numbers, zero,
 * negative or fractional values, unknown units.
 */
export function parseDuration(text: string): number | null {
  const source = text.trim();
  if (source === '') return null;
  const part = /(\d+)([wdhms])\s*/y;
  let total = 0;
  let nextUnit = 0;
  while (part.lastIndex < source.length) {
    const match = part.exec(source);
    if (!match) return null;
    const unitIndex = UNITS.findIndex((unit) => unit.suffix === match[2]);
    if (unitIndex < nextUnit) return null;
    nextUnit = unitIndex + 1;
    total += Number(match[1]) * (UNITS[unitIndex]?.ms ?? 0);
  }
  return total > 0 && Number.isSafeInteger(total) ? total : null;
}

/** Cards say `14d` rather than `2w`. */
const FORMAT_UNITS = UNITS.filter((unit) => unit.suffix !== 'w');

/**
 * A short human duration for cards and messages: the largest unit plus the next one when it is not
 * zero (`1m 12s`, `2h`, `3d 4h`). Truncated to whole seconds; anything under a second is `0s`.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / SECOND) * SECOND);
  const majorIndex = FORMAT_UNITS.findIndex((unit) => total >= unit.ms);
  const major = FORMAT_UNITS[majorIndex];
  if (!major) return '0s';
  const majorCount = Math.floor(total / major.ms);
  const minor = FORMAT_UNITS[majorIndex + 1];
  const minorCount = minor ? Math.floor((total - majorCount * major.ms) / minor.ms) : 0;
  const text = `${majorCount}${major.suffix}`;
  return minor && minorCount > 0 ? `${text} ${minorCount}${minor.suffix}` : text;
}
